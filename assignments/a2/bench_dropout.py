"""a2 dropout as a regulariser: the full-mode study of the dropout notebook (section 5).

A wide three-layer net (two hidden layers of 512, He initialisation) trained with Adam (learning
rate 5e-4, batches of 100) for 30 epochs on only 1,000 Fashion-MNIST training images, validated
on 1,000 others, with dropout p in {0, 0.25, 0.5, 0.75}; the same initial weights and minibatches
for every p, repeated for three seeds. Reports the last epoch's training and validation accuracy,
their gap, and the best validation accuracy, averaged over the seeds. Uses the reference a2
modules with `dl4cv.solver.Solver`.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv import data
from dl4cv.solver import Solver

TITLE = "a2 dropout as a regulariser"
NUM_TRAIN, NUM_VAL = 1000, 1000
HIDDEN = [512, 512]
EPOCHS = 30
BATCH_SIZE = 100
LEARNING_RATE = 5e-4
PS = [0.0, 0.25, 0.5, 0.75]
SEEDS = [0, 1, 2]


def _modules():
    """The reference a2 modules (`reference_module` serves their plain-name imports from source/a2)."""
    return reference_module("a2", "optim"), reference_module("a2", "fc_net")


def _data() -> dict:
    """The notebook's split: rows in [0, 1] centred on the training mean."""
    subset = data.subsample(data.load_dataset("fashion-mnist"), NUM_TRAIN + NUM_VAL, 0, seed=0)
    x = data.flatten_images(subset.x_train) / 255  # (2000, 784)
    x = x - x[:NUM_TRAIN].mean(dim=0)
    y = subset.y_train
    return {"X_train": x[:NUM_TRAIN], "y_train": y[:NUM_TRAIN], "X_val": x[NUM_TRAIN:], "y_val": y[NUM_TRAIN:]}


def measure() -> dict:
    optim, fc_net = _modules()
    split = _data()
    runs: dict = {}
    start = time.perf_counter()
    for p in PS:
        for seed in SEEDS:
            torch.manual_seed(seed)  # initial weights (the same for every p) and dropout masks
            net = fc_net.FullyConnectedNet(HIDDEN, dropout=p, weight_scale="he")
            solver = Solver(net, split, update_rule=optim.adam, optim_config={"learning_rate": LEARNING_RATE},
                            batch_size=BATCH_SIZE, num_epochs=EPOCHS, num_train_samples=None, progress=False, seed=seed)
            solver.train()
            runs.setdefault(str(p), []).append({
                "train_acc": solver.train_acc_history, "val_acc": solver.val_acc_history, "best_val": solver.best_val_acc,
            })  # fmt: skip
    return {"runs": runs, "seconds_training": time.perf_counter() - start}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"Two hidden layers of {HIDDEN[0]}, He initialisation, Adam {LEARNING_RATE:g}, batches of {BATCH_SIZE}, "
        f"{EPOCHS} epochs on {NUM_TRAIN:,} Fashion-MNIST training images, {NUM_VAL:,} validation images "
        f"(reference a2 modules, float32, CPU); mean over seeds {', '.join(map(str, SEEDS))}:",
        "",
        "| dropout p | train acc (last epoch) | val acc (last epoch) | gap | best val acc | gap at epoch 10 |",
        "|---|---|---|---|---|---|",
    ]
    gaps = []
    for p, runs in figures["runs"].items():
        train = _mean(r["train_acc"][-1] for r in runs)
        val = _mean(r["val_acc"][-1] for r in runs)
        early = _mean(r["train_acc"][9] - r["val_acc"][9] for r in runs)
        best = _mean(r["best_val"] for r in runs)
        gaps.append(train - val)
        lines.append(f"| {float(p):g} | {train:.1%} | {val:.1%} | {100 * (train - val):+.1f} pts | {best:.1%} | {100 * early:+.1f} pts |")
    shrinking = all(a > b for a, b in zip(gaps, gaps[1:]))
    lines += [
        "",
        f"The train/validation gap {'shrinks' if shrinking else 'does NOT shrink'} steadily as p grows.",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
