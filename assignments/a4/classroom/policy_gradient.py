"""Simulated students of a4 `policy_gradient`: one correct solution written differently and broken
ones, each handing in only policy_gradient.ipynb; `dl4cv prove a4 --notebook policy_gradient`
grades them and checks each scores exactly as listed. Students whose bugs sit in cells that do
not use each other's code carry two bugs at once (the hidden tests of `reinforce_loss` and
`generalized_advantages` run on exact versions of the helpers they call), which saves a notebook
run per pair."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "policy_gradient.py"
NOTEBOOK = ("policy_gradient",)
P = "a4_policy_gradient_"

TO_GO = """    steps = rewards.shape[0]
    index = torch.arange(steps, device=rewards.device)
    offsets = (index.view(1, -1) - index.view(-1, 1)).to(torch.float64)
    discounts = torch.where(offsets >= 0, gamma ** offsets.clamp(min=0), torch.zeros_like(offsets))
    flat = rewards.reshape(steps, -1).to(torch.float64)
    return (discounts @ flat).reshape(rewards.shape).to(rewards.dtype)
"""
RETURN = """    powers = gamma ** torch.arange(rewards.shape[0], dtype=torch.float64, device=rewards.device)
    return torch.tensordot(powers, rewards.to(torch.float64), dims=1).to(rewards.dtype)
"""
NORMALIZE = """    chosen = advantages[mask]
    scaled = (advantages - chosen.mean()) / (chosen.std() + 1e-8)
    return torch.where(mask, scaled, torch.zeros_like(scaled))
"""
PG_LOSS = """    log_probs = torch.log_softmax(logits, dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    return -(log_probs * advantages.detach())[mask].mean()
"""
REINFORCE = """    alive = rollout.alive
    returns = reward_to_go(rollout.rewards, gamma)
    values = value(rollout.states).squeeze(-1)
    advantages = normalize_advantages(returns - values.detach(), alive)
    actor = policy_gradient_loss(policy(rollout.states), rollout.actions, advantages, alive)
    critic = ((values - returns)[alive] ** 2).mean() / returns[alive].var()
    return actor + 0.5 * critic
"""
TD = """    with torch.no_grad():
        return rewards + gamma * next_values * (~terminated).to(values.dtype) - values
"""
GAE = """    live = deltas * alive.to(deltas.dtype)
    return torch.where(alive, reward_to_go(live, gamma * lam), torch.zeros_like(live))
"""
DYNAMICS = """        standardised = (states - self.state_mean) / self.state_std
        one_hot = nn.functional.one_hot(actions, 2).to(states.dtype)
        return states + self.net(torch.cat([standardised, one_hot], dim=-1)) * self.delta_std + self.delta_mean
"""
IMAGINE_STEP = """            following = model(state, action)
            ended = alive & cartpole_ended(following)
            fields.append((state, action, alive.to(state.dtype), following, ended, alive))
            alive = alive & ~ended
"""

STUDENTS = [
    SimulatedStudent(
        "policy_gradient_alt_correct",
        "written differently: rewards-to-go from a reversed cumulative sum of discounted rewards "
        "divided by the discounts, the return as the first reward-to-go, normalisation from masked "
        "sums, log-probabilities from torch.distributions.Categorical averaged as a masked sum, the "
        "critic's loss with F.mse_loss, TD errors with torch.where, GAE with the mask applied after, "
        "the one-hot action from an identity matrix, and imagined steps written into preallocated "
        "tensors",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, TO_GO,
                 "    powers = gamma ** torch.arange(rewards.shape[0], dtype=torch.float64, device=rewards.device)\n"
                 "    powers = powers.reshape(-1, *([1] * (rewards.dim() - 1)))\n"
                 "    weighted = rewards.to(torch.float64) * powers\n"
                 "    tails = weighted.flip(0).cumsum(0).flip(0)\n"
                 "    return (tails / powers).to(rewards.dtype)\n"),
            Edit(MODULE, RETURN, "    return reward_to_go(rewards, gamma)[0]\n"),
            Edit(MODULE, NORMALIZE,
                 "    weights = mask.to(advantages.dtype)\n"
                 "    count = weights.sum()\n"
                 "    mean = (advantages * weights).sum() / count\n"
                 "    spread = (((advantages - mean) ** 2) * weights).sum() / (count - 1)\n"
                 "    return (advantages - mean) / (spread.sqrt() + 1e-8) * weights\n"),
            Edit(MODULE, PG_LOSS,
                 "    weights = mask.to(logits.dtype)\n"
                 "    log_probs = torch.distributions.Categorical(logits=logits).log_prob(actions)\n"
                 "    return -(log_probs * advantages.detach() * weights).sum() / weights.sum()\n"),
            Edit(MODULE, REINFORCE,
                 "    returns = reward_to_go(rollout.rewards, gamma)\n"
                 "    values = value(rollout.states)[..., 0]\n"
                 "    with torch.no_grad():\n"
                 "        advantages = normalize_advantages(returns - values, rollout.alive)\n"
                 "    live_returns = returns[rollout.alive]\n"
                 "    critic = nn.functional.mse_loss(values[rollout.alive], live_returns) / live_returns.var()\n"
                 "    return policy_gradient_loss(policy(rollout.states), rollout.actions, advantages, rollout.alive) + critic / 2\n"),
            Edit(MODULE, TD,
                 "    bootstrap = torch.where(terminated, torch.zeros_like(next_values), next_values)\n"
                 "    return (rewards + gamma * bootstrap - values).detach()\n"),
            Edit(MODULE, GAE,
                 "    advantages = reward_to_go(torch.where(alive, deltas, torch.zeros_like(deltas)), gamma * lam)\n"
                 "    return advantages * alive\n"),
            Edit(MODULE, DYNAMICS,
                 "        eye = torch.eye(2, dtype=states.dtype, device=states.device)\n"
                 "        inputs = torch.cat([(states - self.state_mean) / self.state_std, eye[actions]], dim=1)\n"
                 "        change = self.delta_mean + self.delta_std * self.net(inputs)\n"
                 "        return states + change\n"),
            Edit(MODULE, IMAGINE_STEP,
                 "            following = model(state, action)\n"
                 "            ended = cartpole_ended(following) & alive\n"
                 "            reward = torch.where(alive, torch.ones_like(state[:, 0]), torch.zeros_like(state[:, 0]))\n"
                 "            fields.append((state, action, reward, following, ended, alive))\n"
                 "            alive = torch.logical_and(alive, torch.logical_not(ended))\n"),
        ),
    ),
    SimulatedStudent(
        "returns_discounted_forward",
        "rewards-to-go discounted in the wrong direction: each step sums the rewards before it, "
        "G_t = sum over k <= t of gamma^(t - k) r_k, so REINFORCE and the model-based agent learn "
        "from the wrong weights",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    discounts = torch.where(offsets >= 0, gamma ** offsets.clamp(min=0), torch.zeros_like(offsets))\n",
                    "    discounts = torch.where(offsets <= 0, gamma ** (-offsets).clamp(min=0), torch.zeros_like(offsets))\n"),),
        loses=(f"{P}reward_to_go", f"{P}reinforce_trains", f"{P}model_based_trains"),
    ),
    SimulatedStudent(
        "gradient_into_advantages_and_td_bootstraps_terminal",
        "the policy-gradient loss lets gradients flow into the advantages (no detach); and the TD "
        "error bootstraps from V(s') even where the episode terminated",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    return -(log_probs * advantages.detach())[mask].mean()\n",
                    "    return -(log_probs * advantages)[mask].mean()\n"),
               Edit(MODULE, "        return rewards + gamma * next_values * (~terminated).to(values.dtype) - values\n",
                    "        return rewards + gamma * next_values - values\n")),
        loses=(f"{P}policy_gradient_loss", f"{P}td_errors"),
    ),
    SimulatedStudent(
        "loss_sign_flipped",
        "the policy-gradient loss without its minus sign: gradient descent makes actions with a "
        "positive advantage less likely, so neither agent learns",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    return -(log_probs * advantages.detach())[mask].mean()\n",
                    "    return (log_probs * advantages.detach())[mask].mean()\n"),),
        loses=(f"{P}policy_gradient_loss", f"{P}reinforce_trains", f"{P}model_based_trains"),
    ),
    SimulatedStudent(
        "gae_counts_padding_and_imagined_episodes_revive",
        "GAE sums the TD errors of padded steps after an episode's end; and an imagined episode "
        "comes back to life whenever the model's next state is back inside CartPole's limits",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, GAE, "    return torch.where(alive, reward_to_go(deltas, gamma * lam), torch.zeros_like(deltas))\n"),
               Edit(MODULE, "            alive = alive & ~ended\n", "            alive = ~cartpole_ended(following)\n")),
        loses=(f"{P}generalized_advantages", f"{P}imagine"),
    ),
    SimulatedStudent(
        "dynamics_predicts_state_not_change",
        "the dynamics model returns the de-standardised network output as the next state itself, "
        "forgetting to add it to the current state",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "        return states + self.net(torch.cat([standardised, one_hot], dim=-1)) * self.delta_std + self.delta_mean\n",
                    "        return self.net(torch.cat([standardised, one_hot], dim=-1)) * self.delta_std + self.delta_mean\n"),),
        loses=(f"{P}dynamics_model", f"{P}model_based_trains"),
    ),
]
