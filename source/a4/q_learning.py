"""a4 · Q-learning: what students write for the `q_learning` notebook.

Tabular Q-learning and value iteration on gymnasium's FrozenLake, then the same TD target
trained into a one-layer Q-network. Shapes: S states, A actions; a Q-table is (S, A); a batch of
N transitions is given as `states`, `actions`, `next_states` int64 (N,), `rewards` float (N,)
and `terminated` bool (N,). A policy is (S,) int64: the action taken in each state.

A model of the environment, as `transition_arrays` builds it from gymnasium's table
`env.unwrapped.P`, is three (S, A, S) tensors: `probabilities[s, a, s2]` = P(s2 | s, a),
`rewards[s, a, s2]` the reward of that transition and `terminal[s, a, s2]` whether it ends the
episode.
"""

from __future__ import annotations

import gymnasium as gym
import torch
from torch import nn

# ---------------------------------------------------------------------------------------------
# The environment's interface


def evaluate_policy(env: gym.Env, policy: torch.Tensor, *, episodes: int, seed: int) -> float:
    """The fraction of `episodes` episodes of `policy` in `env` whose total reward is positive.

    Args:
        env: a gymnasium environment with discrete observations and actions (FrozenLake).
        policy: (S,) int64, the action to take in each state.
        episodes: how many episodes to run.
        seed: the first episode starts with `env.reset(seed=seed)`, every later one with
            `env.reset()`, so the environment's own random stream runs on across episodes.
    An episode ends when `env.step` says `terminated` or `truncated`. Actions go to `env.step` as
    Python ints.
    """
    ### BEGIN SOLUTION
    successes = 0
    for episode in range(episodes):
        state, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        total, done = 0.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(int(policy[state]))
            total += float(reward)
            done = terminated or truncated
        successes += total > 0
    return successes / episodes
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# Tabular Q-learning


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, generator: torch.Generator) -> torch.Tensor:
    """Epsilon-greedy actions for a batch of states, with no Python loop.

    Args:
        q_values: (..., A) action values of each state (a single state's (A,) gives a 0-d result).
        epsilon: the probability of exploring.
        generator: the only source of randomness; it lives on `q_values`' device.
    Returns:
        (...) int64 on `q_values`' device: for each state independently, with probability
        `epsilon` an action drawn uniformly from all A actions (it may be the greedy one), and
        otherwise the greedy action (the first of tied maxima, as `argmax` gives it).
    """
    ### BEGIN SOLUTION
    batch, actions = q_values.shape[:-1], q_values.shape[-1]
    explore = torch.rand(batch, generator=generator, device=q_values.device) < epsilon
    random_actions = torch.randint(actions, batch, generator=generator, device=q_values.device)
    return torch.where(explore, random_actions, q_values.argmax(-1))
    ### END SOLUTION


def td_target(rewards: torch.Tensor, next_q_values: torch.Tensor, terminated: torch.Tensor, gamma: float) -> torch.Tensor:
    """The Q-learning target y = r + gamma * max_a' Q(s', a'), and y = r where the episode ended.

    Args:
        rewards: (N,) float.
        next_q_values: (N, A) the action values of the next states.
        terminated: (N,) bool, True where s' is terminal: nothing follows it, so nothing is
            bootstrapped. (A time-limit `truncated` is not terminal: the state had a future.)
        gamma: the discount factor.
    Returns:
        (N,) in `rewards`' dtype and device; no loops.
    """
    ### BEGIN SOLUTION
    future = next_q_values.max(dim=1).values.to(rewards.dtype)
    return rewards + gamma * future * (~terminated).to(rewards.dtype)
    ### END SOLUTION


def q_learning_update(q_table: torch.Tensor, state: int, action: int, reward: float, next_state: int, terminated: bool,
                      *, alpha: float, gamma: float) -> float:  # fmt: skip
    """One Q-learning step on one transition, in place:
    Q[s, a] <- Q[s, a] + alpha * (y - Q[s, a]), y the TD target of the transition.

    Args:
        q_table: (S, A) float, changed in place (only the entry [state, action]).
        state, action, reward, next_state, terminated: one transition.
    Returns:
        The TD error y - Q[s, a] before the update, as a Python float.
    """
    ### BEGIN SOLUTION
    target = reward if terminated else reward + gamma * float(q_table[next_state].max())
    error = target - float(q_table[state, action])
    q_table[state, action] += alpha * error
    return error
    ### END SOLUTION


def epsilon_schedule(episodes: int, start: float = 1.0, end: float = 0.05, decay_fraction: float = 0.8) -> torch.Tensor:
    """Given: (episodes,) float64 exploration rates, falling linearly from `start` to `end` over
    the first `decay_fraction` of the episodes and staying at `end` after."""
    decay = max(1, int(decay_fraction * episodes))
    progress = (torch.arange(episodes, dtype=torch.float64) / decay).clamp(max=1.0)
    return torch.lerp(torch.full_like(progress, start), torch.full_like(progress, end), progress)  # exactly `end` at 1


def train_q_learning(env: gym.Env, *, episodes: int, alpha: float, gamma: float, epsilons: torch.Tensor,
                     seed: int) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """Tabular Q-learning from a table of zeros.

    Args:
        env: FrozenLake (discrete observations and actions).
        episodes: how many training episodes.
        alpha, gamma: the step size and the discount factor.
        epsilons: (episodes,) the exploration rate of each episode.
        seed: seeds a CPU `torch.Generator` (the only source of the agent's randomness) and the
            first `env.reset(seed=seed)`; later episodes start with `env.reset()`.
    In each step: an epsilon-greedy action on the current state's row of the table, one
    environment step, one `q_learning_update`; an episode ends when `terminated` or `truncated`.
    Returns:
        The table (S, A) float32, and (episodes,) float32: each episode's total reward.
    """
    ### BEGIN SOLUTION
    generator = torch.Generator().manual_seed(seed)
    q_table = torch.zeros(env.observation_space.n, env.action_space.n)
    returns = torch.zeros(episodes)
    for episode in range(episodes):
        state, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        done = False
        while not done:
            action = int(epsilon_greedy(q_table[state], float(epsilons[episode]), generator))
            next_state, reward, terminated, truncated, _ = env.step(action)
            q_learning_update(q_table, state, action, float(reward), next_state, terminated, alpha=alpha, gamma=gamma)
            returns[episode] += float(reward)
            state, done = next_state, terminated or truncated
    return q_table, returns
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# Value iteration: the exact answer from the environment's own model


def transition_arrays(table: dict, states: int, actions: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Given: gymnasium's model `table[s][a] = [(probability, next_state, reward, terminated), ...]`
    (what `env.unwrapped.P` holds) as (S, A, S) tensors `probabilities`, `rewards` (float64) and
    `terminal` (bool). A next state listed twice for one (s, a) (FrozenLake lists a wall bump
    that way) has its probabilities added; its reward and end must agree."""
    probabilities = torch.zeros(states, actions, states, dtype=torch.float64)
    rewards = torch.zeros(states, actions, states, dtype=torch.float64)
    terminal = torch.zeros(states, actions, states, dtype=torch.bool)
    for s in range(states):
        for a in range(actions):
            for probability, s2, reward, done in table[s][a]:
                if probabilities[s, a, s2] > 0 and (rewards[s, a, s2] != reward or terminal[s, a, s2] != done):
                    raise ValueError(f"state {s}, action {a}: two transitions to {s2} disagree on reward or end")
                probabilities[s, a, s2] += probability
                rewards[s, a, s2], terminal[s, a, s2] = reward, done
    return probabilities, rewards, terminal


def bellman_backup(values: torch.Tensor, probabilities: torch.Tensor, rewards: torch.Tensor, terminal: torch.Tensor,
                   gamma: float) -> torch.Tensor:  # fmt: skip
    """One Bellman backup: Q[s, a] = sum over s2 of P(s2 | s, a) * (r(s, a, s2) + gamma * V[s2]),
    where V[s2] counts only if the transition does not end the episode.

    Args:
        values: (S,) state values V.
        probabilities, rewards, terminal: (S, A, S) as `transition_arrays` gives them.
    Returns:
        (S, A) in `values`' dtype and device; no Python loops.
    """
    ### BEGIN SOLUTION
    future = values.view(1, 1, -1) * (~terminal).to(values.dtype)
    return (probabilities * (rewards + gamma * future)).sum(dim=2)
    ### END SOLUTION


def value_iteration(probabilities: torch.Tensor, rewards: torch.Tensor, terminal: torch.Tensor, *, gamma: float,
                    tolerance: float = 1e-10, max_iterations: int = 100_000) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """The optimal state values and a greedy policy, by repeated Bellman backups.

    Start from V = 0 (float64). Each iteration: Q = `bellman_backup(V)`, V_new = max_a Q. Stop
    when the largest change |V_new - V| is below `tolerance` (or after `max_iterations`).
    Returns:
        V_new (S,) float64, and the policy (S,) int64: the argmax of that last Q (first of ties).
    A loop over the iterations is the algorithm; no loops over states or actions.
    """
    ### BEGIN SOLUTION
    values = torch.zeros(probabilities.shape[0], dtype=torch.float64, device=probabilities.device)
    for _ in range(max_iterations):
        q = bellman_backup(values, probabilities, rewards, terminal, gamma)
        new_values = q.max(dim=1).values
        converged = (new_values - values).abs().max() < tolerance
        values = new_values
        if converged:
            break
    return values, q.argmax(dim=1)
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# A one-layer Q-network on one-hot states


def one_hot(states: torch.Tensor, count: int) -> torch.Tensor:
    """Given: (N,) int64 -> (N, count) float32 rows of zeros with a 1 at each state."""
    return torch.eye(count, device=states.device)[states]


class QNetwork(nn.Module):
    """Given: Q(s, .) = W one_hot(s), a single linear layer without bias, from weights of zero.
    On one-hot inputs each column of W is one row of a Q-table, so the network can represent
    exactly what the table can; it learns by gradient descent instead of by assignment."""

    def __init__(self, states: int, actions: int):
        super().__init__()
        self.states = states
        self.linear = nn.Linear(states, actions, bias=False)
        nn.init.zeros_(self.linear.weight)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """(N,) int64 states -> (N, A) action values."""
        return self.linear(one_hot(states, self.states).to(self.linear.weight.dtype))


def q_network_loss(network: nn.Module, states: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor,
                   next_states: torch.Tensor, terminated: torch.Tensor, gamma: float) -> torch.Tensor:  # fmt: skip
    """The mean over the batch of (Q(s, a) - y)^2, with y the TD target of each transition.

    The target is held fixed: no gradient flows through y (the "semi-gradient" that makes this
    the same update as the table's). Returns a 0-d tensor with a gradient to the network's
    parameters; no loops over the batch.
    """
    ### BEGIN SOLUTION
    chosen = network(states).gather(1, actions.view(-1, 1)).squeeze(1)
    with torch.no_grad():
        targets = td_target(rewards.to(chosen.dtype), network(next_states), terminated, gamma)
    return ((chosen - targets) ** 2).mean()
    ### END SOLUTION


def train_q_network(env: gym.Env, network: QNetwork, *, episodes: int, learning_rate: float, gamma: float,
                    epsilons: torch.Tensor, seed: int) -> torch.Tensor:  # fmt: skip
    """Given: online Q-learning with a network: epsilon-greedy on the network's values, one SGD
    step on `q_network_loss` for each transition as it happens (a batch of one). Seeds as in
    `train_q_learning`; returns (episodes,) total rewards."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(network.parameters(), lr=learning_rate)
    returns = torch.zeros(episodes)
    for episode in range(episodes):
        state, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        done = False
        while not done:
            with torch.no_grad():
                action = int(epsilon_greedy(network(torch.tensor([state]))[0], float(epsilons[episode]), generator))
            next_state, reward, terminated, truncated, _ = env.step(action)
            loss = q_network_loss(network, torch.tensor([state]), torch.tensor([action]), torch.tensor([float(reward)]),
                                  torch.tensor([next_state]), torch.tensor([terminated]), gamma)  # fmt: skip
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            returns[episode] += float(reward)
            state, done = next_state, terminated or truncated
    return returns
