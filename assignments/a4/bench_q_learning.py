"""a4 Q-learning with the reference solutions: on FrozenLake 4 x 4 (deterministic and slippery)
and the slippery 8 x 8 lake, the success rate over 1,000 evaluation episodes of the greedy
policy learned by tabular Q-learning (10 training seeds on 4 x 4) and by the one-layer Q-network,
against value iteration's optimal policy on the environment's own model, the ceiling. Draws the
slippery lake's optimal and learned values and the learning curves beside RESULTS.md.
"""

from __future__ import annotations

import time

import gymnasium as gym
import torch

from benchmarks.common import measured_line, reference_module, save_figure

TITLE = "a4 Q-learning on FrozenLake: learned policies against value iteration's optimum"
SEEDS, EVALUATION_EPISODES, EVALUATION_SEED, GAMMA = 10, 1_000, 12_345, 0.99
#: (lake, map, slippery, training episodes, alpha): the notebook's settings for 4 x 4; a longer
#: run for 8 x 8, whose 64 states are visited far less often.
SETTINGS = [("deterministic 4x4", "4x4", False, 1_500, 0.5), ("slippery 4x4", "4x4", True, 6_000, 0.05),
            ("slippery 8x8", "8x8", True, 60_000, 0.05)]  # fmt: skip
PICTURE = "q_learning_lake.png"


def measure() -> dict:
    ql = reference_module("a4", "q_learning")
    rows, curves, maps = {}, {}, {}
    for name, lake_map, slippery, episodes, alpha in SETTINGS:
        env = gym.make("FrozenLake-v1", map_name=lake_map, is_slippery=slippery)
        states = int(env.observation_space.n)
        optimal_values, optimal_policy = ql.value_iteration(*ql.transition_arrays(env.unwrapped.P, states, 4), gamma=GAMMA)
        row = {"episodes": episodes, "alpha": alpha, "states": states,
               "optimal": ql.evaluate_policy(env, optimal_policy, episodes=EVALUATION_EPISODES, seed=EVALUATION_SEED)}
        seeds = SEEDS if lake_map == "4x4" else 1
        rates, seconds = [], []
        for seed in range(seeds):
            started = time.perf_counter()
            table, returns = ql.train_q_learning(env, episodes=episodes, alpha=alpha, gamma=GAMMA,
                                                 epsilons=ql.epsilon_schedule(episodes), seed=seed)  # fmt: skip
            seconds.append(time.perf_counter() - started)
            rates.append(ql.evaluate_policy(env, table.argmax(1), episodes=EVALUATION_EPISODES, seed=EVALUATION_SEED))
            if seed == 0:
                curves[name] = returns.view(-1, episodes // 100).mean(1).tolist()
                if name == "slippery 4x4":
                    maps = {"optimal": (optimal_values.tolist(), optimal_policy.tolist()),
                            "learned": (table.max(1).values.tolist(), table.argmax(1).tolist())}
        row.update(q_learning=rates, seconds=sum(seconds) / len(seconds))
        if lake_map == "4x4" and not slippery:
            network_rates = []
            for seed in range(SEEDS):
                torch.manual_seed(seed)
                network = ql.QNetwork(states, 4)
                ql.train_q_network(env, network, episodes=episodes, learning_rate=alpha / 2, gamma=GAMMA,
                                   epsilons=ql.epsilon_schedule(episodes), seed=seed)  # fmt: skip
                with torch.no_grad():
                    policy = network(torch.arange(states)).argmax(1)
                network_rates.append(ql.evaluate_policy(env, policy, episodes=EVALUATION_EPISODES, seed=EVALUATION_SEED))
            row["q_network"] = network_rates
        rows[name] = row
    _draw(maps, curves)
    return {"lakes": rows}


def _draw(maps: dict, curves: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lake = ["SFFF", "FHFH", "FFFH", "HFFG"]
    arrows = "←↓→↑"
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, (title, (values, policy)) in zip(axes, maps.items()):
        values = torch.tensor(values)
        ax.imshow(values.view(4, 4), cmap="viridis", vmin=0, vmax=1)
        for s in range(16):
            row, col = divmod(s, 4)
            label = lake[row][col] if lake[row][col] in "HG" else f"{arrows[policy[s]]}\n{values[s]:.2f}"
            ax.text(col, row, label, ha="center", va="center", color="white" if values[s] < 0.6 else "black")
        ax.set(title=f"slippery 4x4: {title} values and policy", xticks=[], yticks=[])
    for name, curve in curves.items():
        axes[2].plot(torch.linspace(0, 1, len(curve)), curve, label=name)
    axes[2].set(title="success while training (seed 0, 100 bins)", xlabel="fraction of training", ylim=(0, 1))
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, PICTURE)


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"Reference solutions; gamma {GAMMA}; exploration falling linearly from 1 to 0.05 over 80% of training. Success: "
        f"the fraction of {EVALUATION_EPISODES:,} evaluation episodes (seed {EVALUATION_SEED}) in which the greedy policy "
        "reaches the goal within FrozenLake-v1's 100-step limit (on both maps). The optimum is value iteration's policy on "
        "the environment's own model, evaluated on the same episodes.",
        "",
        "| lake | training episodes | alpha | seeds | Q-learning success: min / mean / max | optimal policy | seconds per run (2 cores) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in figures["lakes"].items():
        rates = row["q_learning"]
        lines.append(f"| {name} | {row['episodes']:,} | {row['alpha']} | {len(rates)} | {min(rates):.1%} / "
                     f"{sum(rates) / len(rates):.1%} / {max(rates):.1%} | {row['optimal']:.1%} | {row['seconds']:.1f} |")
    deterministic, slippery = figures["lakes"]["deterministic 4x4"], figures["lakes"]["slippery 4x4"]
    network = deterministic["q_network"]
    lines += [
        "",
        f"Goals: deterministic success 100%: **{'met' if min(deterministic['q_learning']) == 1 else 'not met'}** "
        f"(every seed); slippery success ≥ 70%: **{'met' if min(slippery['q_learning']) >= 0.7 else 'not met'}** "
        f"(lowest of {len(slippery['q_learning'])} seeds {min(slippery['q_learning']):.1%}, the optimum "
        f"{slippery['optimal']:.1%} on the same episodes; a learned policy can score a little above the optimum's "
        "sample where their actions are nearly tied). The one-layer Q-network (SGD, learning rate alpha / 2, one "
        f"transition per step) on the deterministic lake: success {min(network):.0%} to {max(network):.0%} over "
        f"{len(network)} seeds.",
        "",
        f"![FrozenLake values and learning curves](results/{PICTURE})",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
