"""a4 policy gradients with the reference solutions on CartPole-v1, with the notebook's settings
over several seeds: REINFORCE with a learned baseline, the actor-critic with GAE at two values of
lambda, and the model-based agent trained only in imagination. For each: the greedy policy's mean
return over 100 real evaluation episodes, the real environment steps it used, and the seconds per
run. Draws the learning curves beside RESULTS.md.
"""

from __future__ import annotations

import functools
import time

import torch

from benchmarks.common import measured_line, reference_module, save_figure

TITLE = "a4 policy gradients on CartPole-v1: REINFORCE, actor-critic and a model-based agent"
SEEDS, UPDATES, EPISODES_PER_UPDATE = 10, 100, 8
TRANSITIONS, MODEL_EPOCHS, IMAGINED_EPISODES = 4_000, 200, 32
PICTURE = "policy_gradient_cartpole.png"


def measure() -> dict:
    pg = reference_module("a4", "policy_gradient")
    agents = {"REINFORCE": pg.reinforce_loss,
              "actor-critic, GAE λ 0.99": functools.partial(pg.actor_critic_loss, lam=0.99),
              "actor-critic, GAE λ 0.9": functools.partial(pg.actor_critic_loss, lam=0.9)}  # fmt: skip
    rows = {}
    for name, loss_fn in agents.items():
        runs = []
        for seed in range(SEEDS):
            started = time.perf_counter()
            torch.manual_seed(seed)
            policy, value = pg.mlp(4, 2), pg.mlp(4, 1)
            curve = pg.train_reinforce(policy, value, updates=UPDATES, episodes_per_update=EPISODES_PER_UPDATE, seed=seed,
                                       loss_fn=loss_fn)  # fmt: skip
            runs.append({"seconds": time.perf_counter() - started, "curve": curve,
                         "real_steps": int(sum(curve) * EPISODES_PER_UPDATE),
                         "return": float(pg.evaluate_policy(policy).mean())})  # fmt: skip
        rows[name] = runs
    runs = []
    for seed in range(SEEDS):
        started = time.perf_counter()
        states, actions, next_states = pg.random_transitions(TRANSITIONS, seed=seed)
        torch.manual_seed(seed)
        model = pg.DynamicsModel(states, next_states)
        pg.fit_dynamics(model, states, actions, next_states, epochs=MODEL_EPOCHS, seed=seed)
        torch.manual_seed(seed)
        policy, value = pg.mlp(4, 2), pg.mlp(4, 1)
        curve = pg.train_in_imagination(policy, value, model, updates=UPDATES, episodes=IMAGINED_EPISODES, seed=seed)
        runs.append({"seconds": time.perf_counter() - started, "curve": curve, "real_steps": TRANSITIONS,
                     "return": float(pg.evaluate_policy(policy).mean())})  # fmt: skip
    rows["model-based (imagined episodes)"] = runs
    _draw(rows)
    return {"agents": rows}


def _draw(rows: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    for name, runs in rows.items():
        curves = torch.tensor([run["curve"] for run in runs])
        line = axes[0].plot(curves.mean(0), label=name)[0]
        axes[0].fill_between(range(curves.shape[1]), curves.min(0).values, curves.max(0).values, color=line.get_color(), alpha=0.15)
        axes[1].scatter([run["real_steps"] for run in runs], [run["return"] for run in runs], color=line.get_color(), label=name, s=18)
    axes[0].set(title=f"return of each update's episodes (mean, band: min to max over {SEEDS} seeds)", xlabel="update",
                ylabel="return (imagined for the model-based agent)")  # fmt: skip
    axes[1].axhline(475, color="k", ls=":", lw=1)
    axes[1].axhline(195, color="gray", ls=":", lw=1)
    axes[1].set(title="greedy return over 100 real episodes vs real steps used", xscale="log", xlabel="real environment steps",
                ylabel="mean return", ylim=(0, 520))  # fmt: skip
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, PICTURE)


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"Reference solutions with the notebook's settings: policy and value networks 4-64-2 and 4-64-1 (tanh), Adam at "
        f"0.01, gamma 0.99, {UPDATES} updates. The model-free agents collect {EPISODES_PER_UPDATE} real episodes per update "
        f"(the learning rate falls linearly to 0); the model-based agent learns a dynamics network from {TRANSITIONS:,} "
        f"random real steps ({MODEL_EPOCHS} epochs), then trains on {IMAGINED_EPISODES} imagined episodes per update and "
        "never acts in the real environment until it is evaluated. Return: the greedy policy's mean over 100 real "
        "evaluation episodes (at most 500). One CPU thread per run.",
        "",
        f"| agent | seeds | greedy return: min / mean / max | seeds ≥ 475 | seeds ≥ 195 | real steps used (mean) | seconds per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in figures["agents"].items():
        returns = [run["return"] for run in runs]
        steps = sum(run["real_steps"] for run in runs) / len(runs)
        seconds = sum(run["seconds"] for run in runs) / len(runs)
        lines.append(f"| {name} | {len(runs)} | {min(returns):.1f} / {sum(returns) / len(returns):.1f} / {max(returns):.1f} | "
                     f"{sum(r >= 475 for r in returns)} | {sum(r >= 195 for r in returns)} | {steps:,.0f} | {seconds:.1f} |")
    agents = figures["agents"]
    reinforce = [run["return"] for run in agents["REINFORCE"]]
    model_based = [run["return"] for run in agents["model-based (imagined episodes)"]]
    lines += [
        "",
        f"Goals: REINFORCE mean return ≥ 475 over 100 evaluation episodes: **{'met' if min(reinforce) >= 475 else 'not met'}** "
        f"(lowest of {len(reinforce)} seeds {min(reinforce):.1f}); the model-based policy, never trained on the real "
        f"environment, ≥ 195: **{'met' if min(model_based) >= 195 else 'not met'}** (lowest of {len(model_based)} seeds "
        f"{min(model_based):.1f}).",
        "",
        f"![CartPole learning curves and returns](results/{PICTURE})",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
