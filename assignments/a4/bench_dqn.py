"""a4 DQN with the reference solutions: DQN, Double DQN and Double DQN with the dueling head on
MiniGrid-Empty-Random-6x6 (random start cell and heading), several seeds each, in two regimes:
the notebook's settings (gamma 0.9, target refreshed every 100 steps) and the classic ones
(gamma 0.99, every 250 steps), where overestimation bites; greedy success and episode length
against the shortest path over 100 evaluation starts. Draws learning curves and a greedy
episode beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module, save_figure

TITLE = "a4 DQN on MiniGrid: DQN, Double DQN and the dueling head"
ROOM, SEEDS, EVALUATION_EPISODES = "MiniGrid-Empty-Random-6x6-v0", 3, 100
#: regime -> (environment steps, train_dqn settings); both update every 2 steps.
REGIMES = {
    "notebook (gamma 0.9, refresh every 100)": (15_000, dict(train_every=2, decay_steps=6_000)),
    "classic (gamma 0.99, refresh every 250)": (40_000, dict(train_every=2, decay_steps=15_000, gamma=0.99, target_every=250)),
}
VARIANTS = {"DQN": (False, False), "Double DQN": (True, False), "Double DQN + dueling": (True, True)}
GOAL_SUCCESS, GOAL_EXTRA_STEPS = 0.95, 1.0
PICTURE = "dqn_minigrid.png"


def measure() -> dict:
    dqn = reference_module("a4", "dqn")
    size = dqn.make_grid_world(ROOM).reset(seed=0)[0].shape[0]
    regimes, curves, best = {}, {}, (None, -1.0)
    for regime, (steps, settings) in REGIMES.items():
        rows = {}
        for label, (double, dueling) in VARIANTS.items():
            runs = []
            for seed in range(SEEDS):
                torch.manual_seed(seed)
                network = dqn.ConvQNetwork(size, size, dueling=dueling)
                started = time.perf_counter()
                history = dqn.train_dqn(dqn.make_grid_world(ROOM), network, steps=steps, double=double, seed=seed, **settings)
                minutes = (time.perf_counter() - started) / 60
                result = dqn.evaluate_greedy(dqn.make_grid_world(ROOM), network, episodes=EVALUATION_EPISODES, seed=10_000)
                runs.append({**result, "minutes": minutes, "episodes": len(history["returns"])})
                if seed == 0 and regime.startswith("classic"):
                    curves[label] = (history["ends"], history["successes"])
                if result["success"] - result["length"] / 1000 > best[1]:
                    best = (network, result["success"] - result["length"] / 1000)
            rows[label] = runs
        regimes[regime] = {"steps": steps, "settings": settings, "variants": rows}
    _draw(dqn, curves, best[0])
    return {"regimes": regimes}


def _draw(dqn, curves: dict, network) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    env = dqn.make_grid_world(ROOM, render_mode="rgb_array")
    state, _ = env.reset(seed=10_003)
    frames, done = [env.render()], False
    while not done and len(frames) < 12:
        state, _, terminated, truncated, _ = env.step(dqn.greedy_action(network, state))
        frames.append(env.render())
        done = terminated or truncated
    fig = plt.figure(figsize=(14, 5.2))
    curve_axes = fig.add_axes((0.06, 0.36, 0.9, 0.58))
    for label, (ends, successes) in curves.items():
        successes = torch.tensor(successes, dtype=torch.float32)
        width = min(50, len(successes))
        curve_axes.plot(ends[width - 1:], successes.unfold(0, width, 1).mean(1), label=label)
    curve_axes.set(xlabel="environment step", ylabel="success, last 50 episodes", ylim=(0, 1.02),
                   title=f"{ROOM}, classic settings (gamma 0.99, refresh every 250 steps), seed 0")
    curve_axes.legend(fontsize=8)
    for i, frame in enumerate(frames):
        ax = fig.add_axes((0.02 + i * 0.96 / len(frames), 0.0, 0.96 / len(frames) - 0.005, 0.22))
        ax.imshow(frame)
        ax.axis("off")
        ax.set_title(f"step {i}", fontsize=7)
    save_figure(fig, PICTURE)


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"Reference solutions on `{ROOM}` (the agent starts on any cell, facing any way; three actions), observations "
        "the whole 6 x 6 grid; one update of a batch of 64 every 2 environment steps, Adam (lr 5e-4), epsilon from 1 to "
        f"0.05; {SEEDS} seeds per variant. Evaluation: {EVALUATION_EPISODES} greedy episodes from the same "
        f"{EVALUATION_EPISODES} starts for every run. Two regimes: the notebook's settings, and DQN's classic ones, under "
        "which the max operator's overestimation has time to feed on itself.",
        "",
        "| regime | steps | variant | greedy success per seed | mean episode length per seed | shortest path (mean) | minutes per run (2 cores) |",
        "|---|---|---|---|---|---|---|",
    ]
    everything = []
    for regime, block in figures["regimes"].items():
        for label, runs in block["variants"].items():
            successes = ", ".join(f"{r['success']:.0%}" for r in runs)
            lengths = ", ".join(f"{r['length']:.1f}" for r in runs)
            lines.append(f"| {regime} | {block['steps']:,} | {label} | {successes} | {lengths} | {runs[0]['shortest']:.2f} | "
                         f"{sum(r['minutes'] for r in runs) / len(runs):.1f} |")
            everything += [(f"{label}, {regime}", block["steps"], r) for r in runs]
    label, steps, best = max(everything, key=lambda item: (item[2]["success"], -item[2]["length"], -item[1]))
    met = best["success"] >= GOAL_SUCCESS and best["length"] <= best["shortest"] + GOAL_EXTRA_STEPS
    lines += [
        "",
        f"Goal: the best agent solves the room (≥ {GOAL_SUCCESS:.0%} success, mean length within {GOAL_EXTRA_STEPS:g} "
        f"step of the shortest path): **{'met' if met else 'not met'}** by {label} ({best['success']:.0%}, "
        f"{best['length']:.2f} steps against {best['shortest']:.2f}, {steps:,} steps, {best['minutes']:.1f} min on 2 CPU "
        "cores). Seeds reaching the goal, per regime and variant: "
        + "; ".join(f"{regime}: " + ", ".join(
            f"{name} {sum(r['success'] >= GOAL_SUCCESS and r['length'] <= r['shortest'] + GOAL_EXTRA_STEPS for r in runs)} "
            f"of {len(runs)}" for name, runs in block["variants"].items()) for regime, block in figures["regimes"].items()) + ".",
        "",
        f"![DQN learning curves and a greedy episode](results/{PICTURE})",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
