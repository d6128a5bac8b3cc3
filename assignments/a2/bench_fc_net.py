"""The a2 fully connected network on the full real Fashion-MNIST, and the a2 update rules raced
on one small network.

Uses the reference `layers`, `optim` and `fc_net` of a2 (hand-written forward and backward
passes, no autograd) with `dl4cv.solver.Solver`, on float32 images scaled to [0, 1] and centred
on the mean training image; 5,000 training images are held out for validation and the Solver
keeps the parameters of the best validation epoch; the 10,000 test images are measured once.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv import data
from dl4cv.solver import Solver

TITLE = "a2 fully connected network on Fashion-MNIST"
BAR = 0.89
NUM_VAL = 5_000
HIDDEN = [512, 256]
EPOCHS = 15
BATCH_SIZE = 200
LEARNING_RATE = 1e-3
LR_DECAY = 0.9
REG = 1e-5
# The race: the same 5-layer net, data, seed and number of steps for every rule.
RACE_STEPS = 200
RACE_RULES = {"sgd": 1e-2, "sgd_momentum": 1e-2, "rmsprop": 1e-4, "adam": 1e-3}


def _modules():
    """The reference a2 modules (`reference_module` serves their plain-name imports from source/a2)."""
    return reference_module("a2", "optim"), reference_module("a2", "fc_net")


def _split() -> tuple[dict, torch.Tensor, torch.Tensor]:
    dataset = data.load_dataset("fashion-mnist")
    x_all, y_all = data.flatten_images(dataset.x_train) / 255, dataset.y_train
    order = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(0))
    fit, val = order[NUM_VAL:], order[:NUM_VAL]
    mean = x_all[fit].mean(dim=0)  # (784,)
    split = {"X_train": x_all[fit] - mean, "y_train": y_all[fit], "X_val": x_all[val] - mean, "y_val": y_all[val]}
    return split, data.flatten_images(dataset.x_test) / 255 - mean, dataset.y_test


def _race(optim, fc_net, split: dict) -> dict:
    losses = {}
    for name, lr in RACE_RULES.items():
        model = fc_net.FullyConnectedNet([100] * 4, weight_scale=5e-2, seed=0)
        solver = Solver(model, split, update_rule=getattr(optim, name), optim_config={"learning_rate": lr},
                        batch_size=100, num_epochs=0, progress=False, seed=0)
        for _ in range(RACE_STEPS):
            solver.step()
        history = solver.loss_history
        losses[name] = {"learning_rate": lr, "first_loss": history[0], "last_20_mean": sum(history[-20:]) / 20}
    return losses


def measure() -> dict:
    optim, fc_net = _modules()
    split, x_test, y_test = _split()
    race = _race(optim, fc_net, split)
    model = fc_net.FullyConnectedNet(HIDDEN, reg=REG, weight_scale="he", seed=0)
    solver = Solver(model, split, update_rule=optim.adam, optim_config={"learning_rate": LEARNING_RATE},
                    lr_decay=LR_DECAY, batch_size=BATCH_SIZE, num_epochs=EPOCHS, progress=False, seed=0)
    start = time.perf_counter()
    solver.train()
    seconds = time.perf_counter() - start
    return {
        "race": race,
        "race_steps": RACE_STEPS,
        "val_history": solver.val_acc_history,
        "best_val_accuracy": solver.best_val_acc,
        "best_epoch": solver.val_acc_history.index(solver.best_val_acc) + 1,
        "test_accuracy": solver.check_accuracy(x_test, y_test),
        "train_seconds": seconds,
        "threads": torch.get_num_threads(),
        "num_fit": len(split["y_train"]),
        "num_val": NUM_VAL,
        "num_test": len(y_test),
        "hidden": HIDDEN,
        "epochs": EPOCHS,
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "lr_decay": LR_DECAY,
        "reg": REG,
    }


def render(figures: dict) -> str:
    verdict = "meets" if figures["test_accuracy"] >= BAR else "MISSES"
    lines = [
        f"## {TITLE}",
        "",
        f"Reference `FullyConnectedNet` {figures['hidden']} (He initialisation, ReLU, L2 {figures['reg']:g}) "
        f"trained with the reference Adam (learning rate {figures['learning_rate']:g}, × {figures['lr_decay']} "
        f"after every epoch), batch {figures['batch_size']}, **{figures['epochs']} epochs** on "
        f"{figures['num_fit']:,} training images in **{figures['train_seconds']:.0f} s** "
        f"({figures['threads']} CPU thread(s)). Best validation accuracy {figures['best_val_accuracy']:.2%} "
        f"(epoch {figures['best_epoch']}, on {figures['num_val']:,} held-out images); with those parameters, "
        f"**test accuracy {figures['test_accuracy']:.2%}** on {figures['num_test']:,} test images; "
        f"{verdict} the bar of {BAR:.0%}.",
        "",
        f"Update rules raced for {figures['race_steps']} steps (batch 100) on the same 5-layer net "
        "[100, 100, 100, 100] with weight scale 0.05, same seed and minibatches:",
        "",
        "| rule | learning rate | loss at step 1 | mean loss over the last 20 steps |",
        "|---|---|---|---|",
    ]
    for name, row in figures["race"].items():
        lines.append(f"| {name} | {row['learning_rate']:g} | {row['first_loss']:.3f} | {row['last_20_mean']:.3f} |")
    lines += ["", measured_line(figures)]
    return "\n".join(lines)
