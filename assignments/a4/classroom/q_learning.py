"""Simulated students of a4 `q_learning`: one correct solution written differently and five
planted mistakes carried by three students (two carry two mistakes in cells that do not use each
other's code, which saves notebook runs). Each hands in only q_learning.ipynb; `dl4cv prove a4
--notebook q_learning` grades them and checks each scores exactly as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "q_learning.py"
NOTEBOOK = ("q_learning",)
P = "a4_q_learning_"

EVALUATE = "        state, _ = env.reset(seed=seed) if episode == 0 else env.reset()\n        total, done = 0.0, False\n"
EXPLORE = """    explore = torch.rand(batch, generator=generator, device=q_values.device) < epsilon
    random_actions = torch.randint(actions, batch, generator=generator, device=q_values.device)
    return torch.where(explore, random_actions, q_values.argmax(-1))
"""
TARGET = """    future = next_q_values.max(dim=1).values.to(rewards.dtype)
    return rewards + gamma * future * (~terminated).to(rewards.dtype)
"""
UPDATE = """    target = reward if terminated else reward + gamma * float(q_table[next_state].max())
    error = target - float(q_table[state, action])
    q_table[state, action] += alpha * error
    return error
"""
BACKUP = """    future = values.view(1, 1, -1) * (~terminal).to(values.dtype)
    return (probabilities * (rewards + gamma * future)).sum(dim=2)
"""
ITERATION = """    values = torch.zeros(probabilities.shape[0], dtype=torch.float64, device=probabilities.device)
    for _ in range(max_iterations):
        q = bellman_backup(values, probabilities, rewards, terminal, gamma)
        new_values = q.max(dim=1).values
        converged = (new_values - values).abs().max() < tolerance
        values = new_values
        if converged:
            break
    return values, q.argmax(dim=1)
"""
LOSS = """    chosen = network(states).gather(1, actions.view(-1, 1)).squeeze(1)
    with torch.no_grad():
        targets = td_target(rewards.to(chosen.dtype), network(next_states), terminated, gamma)
    return ((chosen - targets) ** 2).mean()
"""

STUDENTS = [
    SimulatedStudent(
        "q_learning_alt_correct",
        "every function written differently: random actions drawn before the coin flips (so training takes other "
        "random paths), torch.where targets, the update through td_target, einsum backups, a while loop for value "
        "iteration, F.mse_loss on a detached target",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, EXPLORE, """    device = q_values.device
    random_actions = torch.randint(0, actions, batch, generator=generator, device=device)
    coin = torch.rand(batch, generator=generator, device=device)
    greedy = q_values.argmax(dim=-1)
    return torch.where(coin >= epsilon, greedy, random_actions)
"""),
            Edit(MODULE, TARGET, """    best_next = next_q_values.amax(dim=1).to(rewards.dtype)
    return torch.where(terminated, rewards, rewards + gamma * best_next)
"""),
            Edit(MODULE, UPDATE, """    target = td_target(torch.tensor([reward], dtype=q_table.dtype), q_table[next_state].unsqueeze(0),
                       torch.tensor([terminated]), gamma)[0]
    error = (target - q_table[state, action]).item()
    q_table[state, action] = q_table[state, action] + alpha * error
    return error
"""),
            Edit(MODULE, BACKUP, """    alive = (~terminal).to(values.dtype)
    expected_reward = torch.einsum("san,san->sa", probabilities, rewards)
    return expected_reward + gamma * torch.einsum("san,san,n->sa", probabilities, alive, values)
"""),
            Edit(MODULE, ITERATION, """    values = probabilities.new_zeros(probabilities.shape[0])
    iterations = 0
    while True:
        iterations += 1
        q = bellman_backup(values, probabilities, rewards, terminal, gamma)
        change = (q.amax(dim=1) - values).abs().max()
        values = q.amax(dim=1)
        if change < tolerance or iterations >= max_iterations:
            return values, q.argmax(dim=1)
"""),
            Edit(MODULE, LOSS, """    import torch.nn.functional as F

    predicted = network(states)[torch.arange(len(states), device=states.device), actions]
    targets = td_target(rewards.to(predicted.dtype), network(next_states), terminated, gamma).detach()
    return F.mse_loss(predicted, targets)
"""),
        ),
    ),
    SimulatedStudent(
        "q_learning_bootstraps_terminal", "the TD target adds gamma * max Q(s') even when s' is terminal",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, TARGET, """    future = next_q_values.max(dim=1).values.to(rewards.dtype)
    return rewards + gamma * future
"""),),
        loses=(P + "td_target", P + "q_network_loss"),
    ),
    SimulatedStudent(
        "q_learning_explores_only_other_actions_and_gradient_through_target",
        "a random action is never the greedy one; and the Q-network's loss lets the gradient flow through the target too",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, EXPLORE, """    explore = torch.rand(batch, generator=generator, device=q_values.device) < epsilon
    greedy = q_values.argmax(-1)
    offset = torch.randint(1, actions, batch, generator=generator, device=q_values.device)
    return torch.where(explore, (greedy + offset) % actions, greedy)
"""), Edit(MODULE, LOSS, """    chosen = network(states).gather(1, actions.view(-1, 1)).squeeze(1)
    targets = td_target(rewards.to(chosen.dtype), network(next_states), terminated, gamma)
    return ((chosen - targets) ** 2).mean()
""")),
        loses=(P + "epsilon_greedy", P + "q_network_loss"),
    ),
    SimulatedStudent(
        "q_learning_reseeds_every_episode_and_backup_ignores_terminal",
        "evaluate_policy resets with the seed before every episode; and the Bellman backup adds gamma * V(s') after "
        "terminal transitions too",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, EVALUATE, "        state, _ = env.reset(seed=seed)\n        total, done = 0.0, False\n"), Edit(MODULE, BACKUP, """    return (probabilities * (rewards + gamma * values.view(1, 1, -1))).sum(dim=2)
""")),
        loses=(P + "evaluate_policy", P + "bellman_backup", P + "value_iteration"),
    ),
]
