"""a4 · Policy gradients: what students write for the `policy_gradient` notebook.

REINFORCE with a learned baseline, an actor-critic with generalised advantage estimation, and a
model-based agent that learns CartPole's dynamics from random play and then trains its policy
only inside that model. Episodes are collected side by side and stored **time-major**: a batch
of N episodes padded to the longest, T steps, is a `Rollout` of `states` (T, N, 4), `actions`
(T, N) int64, `rewards` (T, N), `next_states` (T, N, 4), `terminated` (T, N) bool and `alive`
(T, N) bool, where `alive[t, n]` is True while episode n is still running at step t (its step t
is real, not padding). Padded steps have reward 0.
"""

from __future__ import annotations

import contextlib
import math
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from torch import nn

#: CartPole's own end rule: the cart leaves ±2.4 or the pole tilts past 12 degrees.
CART_LIMIT = 2.4
POLE_LIMIT = 12 * 2 * math.pi / 360


class Rollout(NamedTuple):
    """A batch of episodes, time-major: see the module's docstring."""

    states: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_states: torch.Tensor
    terminated: torch.Tensor
    alive: torch.Tensor


# ---------------------------------------------------------------------------------------------
# Given: networks and the environment


@contextlib.contextmanager
def one_thread():
    """Given: run PyTorch on one CPU thread inside the block, or in a function decorated with it.
    These networks are so small that more threads only add overhead, and on a busy machine a lot."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def mlp(inputs: int, outputs: int, hidden: int = 64) -> nn.Sequential:
    """Given: Linear(inputs, hidden) → tanh → Linear(hidden, outputs)."""
    return nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, outputs))


def make_cartpoles(count: int) -> gym.vector.VectorEnv:
    """Given: `count` CartPole-v1 environments stepped together (gymnasium's vectorised CartPole;
    each episode ends when the pole falls or after 500 steps)."""
    return gym.make_vec("CartPole-v1", num_envs=count, vectorization_mode="vector_entry_point")


def collect_episodes(envs: gym.vector.VectorEnv, policy: nn.Module, generator: torch.Generator | None = None,
                     *, greedy: bool = False) -> Rollout:  # fmt: skip
    """Given: one episode in each of the `envs` (reset here; seed them once beforehand with
    `envs.reset(seed=...)`), actions sampled from `policy`'s logits with `generator`, or its
    best action when `greedy`. Runs until every episode has ended; steps after an episode's end
    are padding (`alive` False, reward 0). The rollout is on the CPU."""
    observations, _ = envs.reset()
    running = np.ones(envs.num_envs, dtype=bool)
    steps: list[tuple] = []
    while running.any():
        states = torch.as_tensor(observations, dtype=torch.float32)
        with torch.no_grad():
            logits = policy(states)
        if greedy:
            actions = logits.argmax(-1)
        else:
            actions = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1)
        observations, rewards, terminated, truncated, _ = envs.step(actions.numpy())
        alive = torch.as_tensor(running.copy())
        steps.append((states, actions, torch.as_tensor(rewards) * alive, torch.as_tensor(observations, dtype=torch.float32),
                      torch.as_tensor(terminated) & alive, alive))  # fmt: skip
        running &= ~(terminated | truncated)
    return Rollout(*(torch.stack(field) for field in zip(*steps)))


def episode_returns(rollout: Rollout) -> torch.Tensor:
    """Given: (N,) undiscounted return of each episode in a rollout."""
    return rollout.rewards.sum(0)


@one_thread()
def evaluate_policy(policy: nn.Module, *, episodes: int = 100, seed: int = 10_000) -> torch.Tensor:
    """Given: (episodes,) returns of the greedy policy on CartPole-v1 from seeded starts."""
    envs = make_cartpoles(episodes)
    envs.reset(seed=seed)
    returns = episode_returns(collect_episodes(envs, policy, greedy=True))
    envs.close()
    return returns


# ---------------------------------------------------------------------------------------------
# 1. Returns without a loop over time


def reward_to_go(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """(T, ...) rewards → (T, ...) discounted rewards-to-go, G_t = Σ_{k ≥ t} γ^(k−t) r_k, in the
    rewards' dtype. No Python loop over time (a matrix of discounts or a reversed cumulative sum);
    compute in float64."""
    # YOUR CODE HERE
    raise NotImplementedError('reward_to_go: write your code here')


def discounted_return(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """(T, ...) rewards → (...) each episode's discounted return G_0 = Σ_t γ^t r_t, no loop."""
    # YOUR CODE HERE
    raise NotImplementedError('discounted_return: write your code here')


# ---------------------------------------------------------------------------------------------
# 2. REINFORCE with a learned baseline


def normalize_advantages(advantages: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(T, N) → (T, N): mean 0 and standard deviation 1 (unbiased, plus 1e-8 in the denominator)
    over the entries where the bool `mask` is True; 0 where it is False."""
    # YOUR CODE HERE
    raise NotImplementedError('normalize_advantages: write your code here')


def policy_gradient_loss(logits: torch.Tensor, actions: torch.Tensor, advantages: torch.Tensor,
                         mask: torch.Tensor) -> torch.Tensor:  # fmt: skip
    """The scalar −mean over live steps (`mask` True) of log π(a_t | s_t) · A_t.

    logits (T, N, A), actions (T, N) int64, advantages (T, N), mask (T, N) bool. The advantages
    are constants: no gradient may flow into them. A step of gradient descent on this loss raises
    the log-probability of actions with positive advantage and lowers it for negative ones."""
    # YOUR CODE HERE
    raise NotImplementedError('policy_gradient_loss: write your code here')


def reinforce_loss(policy: nn.Module, value: nn.Module, rollout: Rollout, gamma: float) -> torch.Tensor:
    """REINFORCE with a learned baseline, actor and critic in one scalar loss.

    G = reward_to_go of the rollout's rewards; V = value(states) squeezed to (T, N);
    A = normalize_advantages(G − V, alive), with V held fixed;
    loss = policy_gradient_loss(policy(states), actions, A, alive)
           + 0.5 · mean over live steps of (V − G)² / variance of G over live steps (unbiased).
    Dividing by the variance keeps the critic's loss near 1 whatever the episodes' length."""
    # YOUR CODE HERE
    raise NotImplementedError('reinforce_loss: write your code here')


@one_thread()
def train_reinforce(policy: nn.Module, value: nn.Module, *, updates: int, episodes_per_update: int = 8,
                    gamma: float = 0.99, learning_rate: float = 0.01, seed: int = 0,
                    loss_fn=None) -> list[float]:  # fmt: skip
    """Given: `updates` rounds of collect `episodes_per_update` episodes → one Adam step on
    `loss_fn(policy, value, rollout, gamma)` (default `reinforce_loss`). Returns the mean
    undiscounted return of each round's episodes (the learning curve)."""
    loss_fn = loss_fn or reinforce_loss
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([*policy.parameters(), *value.parameters()], lr=learning_rate)
    annealing = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda done: 1 - done / updates)
    envs = make_cartpoles(episodes_per_update)
    envs.reset(seed=seed)
    curve = []
    for _ in range(updates):
        rollout = collect_episodes(envs, policy, generator)
        curve.append(float(episode_returns(rollout).mean()))
        loss = loss_fn(policy, value, rollout, gamma)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        annealing.step()
    envs.close()
    return curve


# ---------------------------------------------------------------------------------------------
# 3. Actor-critic: advantages from the critic's own predictions


def td_errors(rewards: torch.Tensor, values: torch.Tensor, next_values: torch.Tensor,
              terminated: torch.Tensor, gamma: float) -> torch.Tensor:  # fmt: skip
    """(T, N) one-step TD errors δ_t = r_t + γ V(s_{t+1}) − V(s_t), with no bootstrap where the
    episode terminated (a time limit is not a termination: it still bootstraps). No gradient."""
    # YOUR CODE HERE
    raise NotImplementedError('td_errors: write your code here')


def generalized_advantages(deltas: torch.Tensor, alive: torch.Tensor, gamma: float, lam: float) -> torch.Tensor:
    """(T, N) → (T, N) GAE: A_t = Σ_{k ≥ t} (γλ)^(k−t) δ_k over the live steps of each episode
    (padding contributes nothing and gets 0). λ = 0 gives δ_t; λ = 1 the return minus V(s_t)."""
    # YOUR CODE HERE
    raise NotImplementedError('generalized_advantages: write your code here')


def actor_critic_loss(policy: nn.Module, value: nn.Module, rollout: Rollout, gamma: float,
                      lam: float = 0.99) -> torch.Tensor:  # fmt: skip
    """Given: the actor-critic's loss. Advantages come from the critic through `td_errors` and
    `generalized_advantages` (normalised); the critic regresses onto its λ-returns A + V."""
    alive = rollout.alive
    values = value(rollout.states).squeeze(-1)
    with torch.no_grad():
        next_values = value(rollout.next_states).squeeze(-1)
    advantages = generalized_advantages(td_errors(rollout.rewards, values.detach(), next_values, rollout.terminated, gamma),
                                        alive, gamma, lam)  # fmt: skip
    targets = advantages + values.detach()
    actor = policy_gradient_loss(policy(rollout.states), rollout.actions, normalize_advantages(advantages, alive), alive)
    critic = ((values - targets)[alive] ** 2).mean() / targets[alive].var().clamp(min=1.0)
    return actor + 0.5 * critic


# ---------------------------------------------------------------------------------------------
# 4. A model-based agent


@one_thread()
def random_transitions(count: int, *, seed: int, envs: int = 16,
                       start_bound: float = 0.2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Given: `count` transitions (states (count, 4), actions (count,), next_states (count, 4))
    of CartPole played with uniformly random actions, episodes restarted as they end, from
    starts uniform on ±`start_bound` in each coordinate (CartPole's own starts are ±0.05: random
    play from there lasts about 22 steps and never sees the places a good policy goes)."""
    cartpoles = make_cartpoles(envs)
    observations, _ = cartpoles.reset(seed=seed, options={"low": -start_bound, "high": start_bound})
    generator = torch.Generator().manual_seed(seed)
    restarting = np.zeros(envs, dtype=bool)
    states, actions, next_states = [], [], []
    while sum(len(s) for s in states) < count:
        chosen = torch.randint(2, (envs,), generator=generator)
        following, _, terminated, truncated, _ = cartpoles.step(chosen.numpy())
        real = torch.as_tensor(~restarting)  # the step after an end only restarts the episode
        states.append(torch.as_tensor(observations)[real])
        actions.append(chosen[real])
        next_states.append(torch.as_tensor(following)[real])
        restarting = terminated | truncated
        observations = following
    cartpoles.close()
    return tuple(torch.cat(parts)[:count] for parts in (states, actions, next_states))


class DynamicsModel(nn.Module):
    """A learned CartPole: (states (N, 4), actions (N,)) → predicted next states (N, 4).

    The network sees the state standardised with `state_mean` / `state_std` next to the action as
    a one-hot pair, and predicts the change of state standardised with `delta_mean` / `delta_std`
    (these four (4,) buffers come from the training data)."""

    def __init__(self, states: torch.Tensor, next_states: torch.Tensor, hidden: int = 128):
        super().__init__()
        deltas = next_states - states
        self.register_buffer("state_mean", states.mean(0))
        self.register_buffer("state_std", states.std(0))
        self.register_buffer("delta_mean", deltas.mean(0))
        self.register_buffer("delta_std", deltas.std(0))
        self.net = nn.Sequential(nn.Linear(6, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 4))

    def forward(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """(N, 4), (N,) → (N, 4): states + delta_std · net([standardised state, one-hot action]) + delta_mean."""
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


@one_thread()
def fit_dynamics(model: DynamicsModel, states: torch.Tensor, actions: torch.Tensor, next_states: torch.Tensor, *,
                 epochs: int, batch_size: int = 256, learning_rate: float = 1e-3, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: Adam on the mean squared error of the predicted next state measured in units of
    `delta_std` (the standardised change of state). Returns each epoch's last batch loss."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    for _ in range(epochs):
        for batch in torch.randperm(len(states), generator=generator).split(batch_size):
            error = (model(states[batch], actions[batch]) - next_states[batch]) / model.delta_std
            loss = (error**2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
    return losses


def cartpole_ended(states: torch.Tensor) -> torch.Tensor:
    """Given: (..., 4) → (...) bool, CartPole's end rule (cart position or pole angle too large)."""
    return (states[..., 0].abs() > CART_LIMIT) | (states[..., 2].abs() > POLE_LIMIT)


def imagine(policy: nn.Module, model: nn.Module, start: torch.Tensor, horizon: int,
            generator: torch.Generator | None = None) -> Rollout:  # fmt: skip
    """Episodes played inside `model` from (N, 4) `start` states, without gradients.

    At each step t < horizon: actions sampled from softmax(policy(state)) with
    `torch.multinomial(probabilities, 1, generator=generator)`; next = model(state, action);
    reward 1 while alive, else 0; terminated = alive and cartpole_ended(next); the episode stays
    dead once ended. Stops early once every episode has ended. Returns a Rollout of length
    T ≤ horizon (time-major, as `collect_episodes`). A loop over time is expected; none over N."""
    # YOUR CODE HERE
    raise NotImplementedError('imagine: write your code here')


@one_thread()
def train_in_imagination(policy: nn.Module, value: nn.Module, model: nn.Module, *, updates: int, episodes: int = 32,
                         horizon: int = 500, gamma: float = 0.99, learning_rate: float = 0.01,
                         seed: int = 0) -> list[float]:  # fmt: skip
    """Given: REINFORCE (`reinforce_loss`) on episodes imagined by `model` (`imagine`) from CartPole's
    starting distribution, uniform on ±0.05 in each coordinate. Never touches the environment.
    Returns the mean imagined return of each update."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([*policy.parameters(), *value.parameters()], lr=learning_rate)
    curve = []
    for _ in range(updates):
        start = (torch.rand(episodes, 4, generator=generator) - 0.5) * 0.1
        rollout = imagine(policy, model, start, horizon, generator)
        curve.append(float(episode_returns(rollout).mean()))
        loss = reinforce_loss(policy, value, rollout, gamma)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return curve
