"""a4 · Deep Q-learning: what students write for the `dqn` notebook.

A DQN agent for MiniGrid rooms seen whole from above. An observation is the room's grid as an
(H, W, 3) uint8 "image" whose three channels are the object, its colour and its state (for the
agent: the direction it faces) at each cell; a batch of them is (N, H, W, 3). The agent has
three actions: turn left, turn right, move forward. A batch of transitions is a dict of
`states` (N, H, W, 3) uint8, `actions` int64 (N,), `rewards` float32 (N,), `next_states`
(N, H, W, 3) uint8 and `terminated` bool (N,).
"""

from __future__ import annotations

import copy
from collections import deque

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid environments with gymnasium)
import torch
from minigrid.wrappers import FullyObsWrapper, ImgObsWrapper
from torch import nn

#: Turn left, turn right, move forward: all an empty room needs (MiniGrid's actions 0, 1, 2).
ACTIONS = 3
#: The largest value of each channel (object index, colour index, state or direction).
CHANNEL_SCALE = (10.0, 5.0, 3.0)

# ---------------------------------------------------------------------------------------------
# Given: the environment


def make_grid_world(name: str = "MiniGrid-Empty-Random-6x6-v0", render_mode: str | None = None) -> gym.Env:
    """Given: a MiniGrid environment whose observation is the whole grid, (H, W, 3) uint8."""
    return ImgObsWrapper(FullyObsWrapper(gym.make(name, render_mode=render_mode)))


def shortest_path_length(env: gym.Env) -> int:
    """Given: the fewest actions (turns and moves) that take the agent from where it stands now,
    facing the way it faces, to the goal; a breadth-first search over (x, y, direction)."""
    grid = env.unwrapped.grid
    start = (*map(int, env.unwrapped.agent_pos), int(env.unwrapped.agent_dir))
    steps = {(1, 0): 0, (0, 1): 1, (-1, 0): 2, (0, -1): 3}
    moves = {d: step for step, d in steps.items()}
    frontier, seen = deque([(start, 0)]), {start}
    while frontier:
        (x, y, d), cost = frontier.popleft()
        cell = grid.get(x, y)
        if cell is not None and cell.type == "goal":
            return cost
        dx, dy = moves[d]
        ahead = grid.get(x + dx, y + dy)
        options = [(x, y, (d - 1) % 4), (x, y, (d + 1) % 4)]
        if ahead is None or ahead.can_overlap():
            options.append((x + dx, y + dy, d))
        for option in options:
            if option not in seen:
                seen.add(option)
                frontier.append((option, cost + 1))
    raise ValueError("the goal cannot be reached")


# ---------------------------------------------------------------------------------------------
# Experience replay


class ReplayBuffer:
    """A ring buffer of the last `capacity` transitions, held in preallocated tensors on `device`.

    Attributes (given): `states`, `next_states` (capacity, H, W, 3) uint8; `actions` int64,
    `rewards` float32, `terminated` bool, each (capacity,); `position`, the slot the next
    transition goes to; `size`, how many slots hold a transition.
    """

    def __init__(self, capacity: int, observation_shape: tuple[int, ...], device: torch.device | str = "cpu"):
        self.capacity, self.device = capacity, torch.device(device)
        self.states = torch.zeros(capacity, *observation_shape, dtype=torch.uint8, device=self.device)
        self.next_states = torch.zeros_like(self.states)
        self.actions = torch.zeros(capacity, dtype=torch.int64, device=self.device)
        self.rewards = torch.zeros(capacity, dtype=torch.float32, device=self.device)
        self.terminated = torch.zeros(capacity, dtype=torch.bool, device=self.device)
        self.position = self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, state, action: int, reward: float, next_state, terminated: bool) -> None:
        """Store one transition (observations as arrays or tensors of shape (H, W, 3)) in slot
        `position`, overwriting the oldest once the buffer is full; then advance `position`
        (wrapping round to 0) and `size` (up to `capacity`)."""
        ### BEGIN SOLUTION
        slot = self.position
        self.states[slot] = torch.as_tensor(state, device=self.device)
        self.next_states[slot] = torch.as_tensor(next_state, device=self.device)
        self.actions[slot], self.rewards[slot], self.terminated[slot] = action, reward, terminated
        self.position = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        ### END SOLUTION

    def sample(self, batch_size: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """`batch_size` stored transitions drawn uniformly with replacement, using only
        `generator` (on the buffer's device), as a dict with the keys `states`, `actions`,
        `rewards`, `next_states`, `terminated` (see the module's docstring); no loops."""
        ### BEGIN SOLUTION
        picked = torch.randint(self.size, (batch_size,), generator=generator, device=self.device)
        return {"states": self.states[picked], "actions": self.actions[picked], "rewards": self.rewards[picked],
                "next_states": self.next_states[picked], "terminated": self.terminated[picked]}  # fmt: skip
        ### END SOLUTION


def linear_epsilon(step: int, *, start: float, end: float, decay_steps: int) -> float:
    """The exploration rate at environment step `step`: from `start` at step 0 falling linearly
    to `end` at step `decay_steps`, and `end` after that."""
    ### BEGIN SOLUTION
    return start + (end - start) * min(step / decay_steps, 1.0)
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# The network


class DuelingHead(nn.Module):
    """Q(s, a) = V(s) + A(s, a) - mean over a' of A(s, a'), from two given layers: `value`
    (hidden -> 1) and `advantage` (hidden -> actions). Subtracting the mean makes the split
    unique: the advantages of each state average to 0, so V is the mean of Q."""

    def __init__(self, hidden: int, actions: int):
        super().__init__()
        self.value = nn.Linear(hidden, 1)
        self.advantage = nn.Linear(hidden, actions)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, hidden) -> (N, actions)."""
        ### BEGIN SOLUTION
        advantages = self.advantage(features)
        return self.value(features) + advantages - advantages.mean(dim=1, keepdim=True)
        ### END SOLUTION


class ConvQNetwork(nn.Module):
    """(N, H, W, 3) uint8 observations -> (N, actions) action values.

    Given layers: `body` = Conv2d(3, 16, 3, padding=1), ReLU, Conv2d(16, 32, 3, padding=1), ReLU,
    Flatten, Linear(32 H W, hidden), ReLU; `head` = Linear(hidden, actions), or a `DuelingHead`.
    """

    def __init__(self, height: int, width: int, actions: int = ACTIONS, hidden: int = 64, dueling: bool = False):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                                  nn.Flatten(), nn.Linear(32 * height * width, hidden), nn.ReLU())  # fmt: skip
        self.head = DuelingHead(hidden, actions) if dueling else nn.Linear(hidden, actions)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Scale each channel to [0, 1] by dividing by `CHANNEL_SCALE` (in the network's dtype,
        on the observations' device), move the channels first ((N, 3, H, W)), then `body`, then
        `head`."""
        ### BEGIN SOLUTION
        dtype = self.head.weight.dtype if isinstance(self.head, nn.Linear) else self.head.value.weight.dtype
        scale = torch.tensor(CHANNEL_SCALE, dtype=dtype, device=observations.device)
        x = (observations.to(dtype) / scale).permute(0, 3, 1, 2)
        return self.head(self.body(x))
        ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# Targets, loss and the update


def dqn_target(rewards: torch.Tensor, next_states: torch.Tensor, terminated: torch.Tensor, target_network: nn.Module,
               gamma: float) -> torch.Tensor:  # fmt: skip
    """y = r + gamma * max_a Q_target(s', a), and y = r where s' is terminal. (N,), no gradient."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        best = target_network(next_states).max(dim=1).values
    return rewards + gamma * best * (~terminated).to(best.dtype)
    ### END SOLUTION


def double_dqn_target(rewards: torch.Tensor, next_states: torch.Tensor, terminated: torch.Tensor, online_network: nn.Module,
                      target_network: nn.Module, gamma: float) -> torch.Tensor:  # fmt: skip
    """Double DQN (van Hasselt et al., 2016): the online network picks the next action, the
    target network says what it is worth: y = r + gamma * Q_target(s', argmax_a Q_online(s', a)),
    and y = r where s' is terminal. (N,), no gradient."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        chosen = online_network(next_states).argmax(dim=1, keepdim=True)
        worth = target_network(next_states).gather(1, chosen).squeeze(1)
    return rewards + gamma * worth * (~terminated).to(worth.dtype)
    ### END SOLUTION


def huber_loss(predicted: torch.Tensor, target: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """The mean over all elements of the Huber loss of the error e = predicted - target:
    e^2 / 2 where |e| <= delta, and delta (|e| - delta / 2) beyond. Quadratic near 0, linear far
    away, so one surprising target cannot produce a huge gradient. From the formula."""
    ### BEGIN SOLUTION
    error = (predicted - target).abs()
    return torch.where(error <= delta, 0.5 * error**2, delta * (error - 0.5 * delta)).mean()
    ### END SOLUTION


def dqn_update(online_network: nn.Module, target_network: nn.Module, optimizer: torch.optim.Optimizer,
               batch: dict[str, torch.Tensor], *, gamma: float, double: bool, max_grad_norm: float) -> float:  # fmt: skip
    """One gradient step of DQN on a batch: the Huber loss between Q_online(s, a) and the target
    (`double_dqn_target` if `double`, else `dqn_target`), gradients clipped to a total norm of
    `max_grad_norm` (`torch.nn.utils.clip_grad_norm_`), one optimizer step. Returns the loss."""
    ### BEGIN SOLUTION
    predicted = online_network(batch["states"]).gather(1, batch["actions"].view(-1, 1)).squeeze(1)
    if double:
        target = double_dqn_target(batch["rewards"], batch["next_states"], batch["terminated"], online_network, target_network, gamma)
    else:
        target = dqn_target(batch["rewards"], batch["next_states"], batch["terminated"], target_network, gamma)
    loss = huber_loss(predicted, target)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# Given: training and evaluation


def greedy_action(network: nn.Module, observation) -> int:
    """Given: the action of highest value for one observation (H, W, 3)."""
    device = next(network.parameters()).device
    with torch.no_grad():
        return int(network(torch.as_tensor(observation, device=device).unsqueeze(0)).argmax(1))


def train_dqn(env: gym.Env, network: nn.Module, *, steps: int, double: bool = False, gamma: float = 0.9,
              learning_rate: float = 5e-4, batch_size: int = 64, buffer_size: int = 20_000, warmup: int = 500,
              train_every: int = 1, target_every: int = 100, epsilon_start: float = 1.0, epsilon_end: float = 0.05, decay_steps: int | None = None,
              max_grad_norm: float = 10.0, seed: int = 0) -> dict[str, list]:  # fmt: skip
    """Given: DQN's loop. Acts epsilon-greedily (`linear_epsilon`, decaying over half the steps
    unless `decay_steps` says otherwise), stores each transition in a `ReplayBuffer`, and after
    `warmup` steps makes one `dqn_update` every `train_every` environment steps on a sampled batch; copies the
    online network into the target network every `target_every` steps. Episodes start with
    `env.reset(seed=seed)`, then `env.reset()`. Returns per finished episode its `returns`,
    `lengths`, `successes` (reached the goal) and `ends` (the step it ended at), and `losses`."""
    device = next(network.parameters()).device
    target = copy.deepcopy(network)
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    generator = torch.Generator(device=device).manual_seed(seed)
    chooser = torch.Generator().manual_seed(seed)
    state, _ = env.reset(seed=seed)
    buffer = ReplayBuffer(buffer_size, state.shape, device)
    decay_steps = decay_steps or steps // 2
    history = {"returns": [], "lengths": [], "successes": [], "ends": [], "losses": []}
    total, length = 0.0, 0
    for step in range(steps):
        epsilon = linear_epsilon(step, start=epsilon_start, end=epsilon_end, decay_steps=decay_steps)
        if torch.rand((), generator=chooser) < epsilon:
            action = int(torch.randint(ACTIONS, (), generator=chooser))
        else:
            action = greedy_action(network, state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        buffer.add(state, action, float(reward), next_state, terminated)
        total, length, state = total + float(reward), length + 1, next_state
        if terminated or truncated:
            for key, value in zip(("returns", "lengths", "successes", "ends"), (total, length, bool(terminated and reward > 0), step)):
                history[key].append(value)
            state, _ = env.reset()
            total, length = 0.0, 0
        if step >= warmup and step % train_every == 0:
            network.train()
            history["losses"].append(dqn_update(network, target, optimizer, buffer.sample(batch_size, generator), gamma=gamma,
                                                double=double, max_grad_norm=max_grad_norm))  # fmt: skip
        if step >= warmup and step % target_every == 0:
            target.load_state_dict(network.state_dict())
    network.eval()
    return history


def evaluate_greedy(env: gym.Env, network: nn.Module, *, episodes: int, seed: int) -> dict[str, float]:
    """Given: greedy episodes from the starts `env.reset(seed=seed + i)`, i < episodes. Returns the
    success rate, the mean episode length, and the mean shortest path from the same starts."""
    successes, lengths, shortest = 0, 0, 0
    for episode in range(episodes):
        state, _ = env.reset(seed=seed + episode)
        shortest += shortest_path_length(env)
        done, length = False, 0
        while not done:
            state, reward, terminated, truncated, _ = env.step(greedy_action(network, state))
            length, done = length + 1, terminated or truncated
        successes += bool(terminated and reward > 0)
        lengths += length
    return {"success": successes / episodes, "length": lengths / episodes, "shortest": shortest / episodes}
