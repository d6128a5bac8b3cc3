"""Simulated students of a4 `dqn`: one correct solution written differently and five
planted mistakes carried by four students (the buffer and dueling mistakes share one, as no cell
uses both). Each hands in only dqn.ipynb; `dl4cv prove a4 --notebook dqn` grades them and checks
each scores exactly as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "dqn.py"
NOTEBOOK = ("dqn",)
P = "a4_dqn_"

ADVANCE = """        self.position = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
"""
SAMPLE = """        picked = torch.randint(self.size, (batch_size,), generator=generator, device=self.device)
"""
DUELING = """        advantages = self.advantage(features)
        return self.value(features) + advantages - advantages.mean(dim=1, keepdim=True)
"""
FORWARD = """        dtype = self.head.weight.dtype if isinstance(self.head, nn.Linear) else self.head.value.weight.dtype
        scale = torch.tensor(CHANNEL_SCALE, dtype=dtype, device=observations.device)
        x = (observations.to(dtype) / scale).permute(0, 3, 1, 2)
        return self.head(self.body(x))
"""
TARGET = """    with torch.no_grad():
        best = target_network(next_states).max(dim=1).values
    return rewards + gamma * best * (~terminated).to(best.dtype)
"""
DOUBLE = """    with torch.no_grad():
        chosen = online_network(next_states).argmax(dim=1, keepdim=True)
        worth = target_network(next_states).gather(1, chosen).squeeze(1)
"""
HUBER = """    error = (predicted - target).abs()
    return torch.where(error <= delta, 0.5 * error**2, delta * (error - 0.5 * delta)).mean()
"""
EPSILON = "    return start + (end - start) * min(step / decay_steps, 1.0)\n"

STUDENTS = [
    SimulatedStudent(
        "dqn_alt_correct",
        "written differently: indices from randperm-free multinomial sampling, a dueling head from the centred "
        "advantages, the network scaling with a reshaped buffer, targets with torch.where, the Huber loss as a "
        "clamp (quadratic part plus linear rest), epsilon by interpolation",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, SAMPLE, """        weights = torch.ones(self.size, device=self.device)
        picked = torch.multinomial(weights, batch_size, replacement=True, generator=generator)
"""),
            Edit(MODULE, DUELING, """        advantages = self.advantage(features)
        centred = advantages - advantages.mean(dim=-1, keepdim=True)
        return centred + self.value(features)
"""),
            Edit(MODULE, FORWARD, """        weight = next(self.parameters())
        scale = weight.new_tensor(CHANNEL_SCALE).view(1, 3, 1, 1)
        x = observations.permute(0, 3, 1, 2).to(weight.dtype) / scale
        return self.head(self.body(x))
"""),
            Edit(MODULE, TARGET, """    next_values = target_network(next_states).detach().amax(dim=1)
    return torch.where(terminated, rewards, rewards + gamma * next_values).detach()
"""),
            Edit(MODULE, HUBER, """    error = (predicted - target).abs()
    quadratic = error.clamp(max=delta)
    return (0.5 * quadratic**2 + delta * (error - quadratic)).mean()
"""),
            Edit(MODULE, EPSILON, "    fraction = step / decay_steps if step < decay_steps else 1.0\n    return (1 - fraction) * start + fraction * end\n"),
        ),
    ),
    SimulatedStudent(
        "dqn_buffer_never_wraps_and_dueling_without_mean",
        "once full, the buffer keeps overwriting its last slot instead of the oldest; and the dueling head adds V and A "
        "without subtracting the mean advantage (the trained agent fills no buffer and has no dueling head)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, ADVANCE, """        self.position = min(slot + 1, self.capacity - 1)
        self.size = min(self.size + 1, self.capacity)
"""), Edit(MODULE, DUELING, """        return self.value(features) + self.advantage(features)
""")),
        loses=(P + "replay_buffer", P + "dueling_head"),
    ),
    SimulatedStudent(
        "dqn_double_uses_target_twice", "Double DQN's next action is picked by the target network, which also values it",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, DOUBLE, """    with torch.no_grad():
        chosen = target_network(next_states).argmax(dim=1, keepdim=True)
        worth = target_network(next_states).gather(1, chosen).squeeze(1)
"""),),
        loses=(P + "double_dqn_target", P + "dqn_update"),
    ),
    SimulatedStudent(
        "dqn_bootstraps_terminal", "the DQN target bootstraps from terminal next states",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, TARGET, """    with torch.no_grad():
        best = target_network(next_states).max(dim=1).values
    return rewards + gamma * best
"""),),
        loses=(P + "dqn_target", P + "dqn_update"),
    ),
    SimulatedStudent(
        "dqn_huber_without_half_delta", "the linear part of the Huber loss is delta |e|, not delta (|e| - delta / 2)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, HUBER, """    error = (predicted - target).abs()
    return torch.where(error <= delta, 0.5 * error**2, delta * error).mean()
"""),),
        loses=(P + "huber_loss", P + "dqn_update"),
    ),
]
