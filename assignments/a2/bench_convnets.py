"""The a2 convolutional networks on the full real Fashion-MNIST: the three-layer convnet and a
deep convnet with batch norm, trained exactly as the convolutional_networks notebook trains them
in full mode.

Uses the reference `conv_layers`, `cnn`, `layers`, `batchnorm` and `optim` of a2 (hand-written
forward and backward passes, im2col convolutions, no autograd) with `dl4cv.solver.Solver`.
Images are scaled to [0, 1] and standardised with the mean and standard deviation of the
training pixels; 5,000 training images are held out for validation (the Solver keeps the
parameters of the best validation epoch) and the 10,000 test images are measured once.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv import data
from dl4cv.solver import Solver

TITLE = "a2 convolutional networks on Fashion-MNIST"
NUM_VAL = 5_000
BATCH_SIZE = 50
# name -> (bar, constructor keyword arguments, learning rate, lr decay per epoch, epochs);
# the same settings as the notebook's full mode.
NETS = {
    "three-layer convnet": (0.90, "ThreeLayerConvNet",
                            {"num_filters": 32, "filter_size": 5, "hidden_dim": 100, "weight_scale": 1e-2, "reg": 1e-4},
                            1e-3, 0.7, 5),
    "deep convnet": (0.92, "DeepConvNet",
                     {"num_filters": (32, 64, 64), "max_pools": (0, 1), "batchnorm": True, "reg": 1e-4},
                     2e-3, 0.6, 6),
}  # fmt: skip


def _modules():
    return reference_module("a2", "optim"), reference_module("a2", "cnn")


def _split() -> tuple[dict, torch.Tensor, torch.Tensor]:
    dataset = data.load_dataset("fashion-mnist")
    order = torch.randperm(len(dataset.y_train), generator=torch.Generator().manual_seed(0))
    fit, val = order[NUM_VAL:], order[:NUM_VAL]
    pixels = dataset.x_train[fit].float() / 255
    mean, std = pixels.mean().item(), pixels.std().item()

    def prepare(images: torch.Tensor) -> torch.Tensor:
        return (images.float() / 255 - mean) / std  # (N, 1, 28, 28)

    split = {"X_train": prepare(dataset.x_train[fit]), "y_train": dataset.y_train[fit],
             "X_val": prepare(dataset.x_train[val]), "y_val": dataset.y_train[val]}  # fmt: skip
    return split, prepare(dataset.x_test), dataset.y_test


def _test_accuracy(model, x: torch.Tensor, y: torch.Tensor) -> float:
    correct = sum(int((model.loss(x[i : i + 500]).argmax(dim=1) == y[i : i + 500]).sum()) for i in range(0, len(y), 500))
    return correct / len(y)


class _TimedSolver(Solver):
    """A Solver that notes the wall time at the end of every epoch."""

    def _end_epoch(self):
        result = super()._end_epoch()
        self.epoch_seconds.append(time.perf_counter() - self.started)
        return result


def measure() -> dict:
    optim, cnn = _modules()
    split, x_test, y_test = _split()
    figures: dict = {"nets": {}, "threads": torch.get_num_threads(), "batch_size": BATCH_SIZE,
                     "num_fit": len(split["y_train"]), "num_val": NUM_VAL, "num_test": len(y_test)}  # fmt: skip
    for name, (bar, cls, kwargs, lr, decay, epochs) in NETS.items():
        model = getattr(cnn, cls)(**kwargs, seed=0)
        solver = _TimedSolver(model, split, update_rule=optim.adam, optim_config={"learning_rate": lr}, lr_decay=decay,
                              batch_size=BATCH_SIZE, num_epochs=epochs, progress=False)  # fmt: skip
        solver.epoch_seconds = []
        solver.started = time.perf_counter()
        solver.train()
        figures["nets"][name] = {
            "bar": bar, "class": cls, "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
            "learning_rate": lr, "lr_decay": decay, "epochs": epochs,
            "val_accuracy": solver.val_acc_history, "epoch_seconds": solver.epoch_seconds,
            "best_val_accuracy": solver.best_val_acc, "test_accuracy": _test_accuracy(model, x_test, y_test),
        }  # fmt: skip
    return figures


def render(figures: dict) -> str:
    lines = [
        f"## {TITLE}",
        "",
        f"Reference networks trained with the a2 Solver and the reference Adam, batch {figures['batch_size']}, "
        f"on {figures['num_fit']:,} training images, {figures['threads']} torch thread(s), CPU; the "
        f"parameters of the best of the {figures['num_val']:,} validation measurements are tested once on "
        f"{figures['num_test']:,} test images.",
        "",
        "| network | settings | epochs | training time | validation accuracy per epoch | "
        "test accuracy (best validation epoch) | bar |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, net in figures["nets"].items():
        settings = ", ".join(f"{k}={v}" for k, v in net["settings"].items())
        settings += f"; Adam lr {net['learning_rate']:g}, ×{net['lr_decay']:g} per epoch"
        per_epoch = " → ".join(f"{a:.1%}" for a in net["val_accuracy"])
        verdict = "meets" if net["test_accuracy"] >= net["bar"] else "MISSES"
        lines.append(
            f"| {name} | {settings} | {net['epochs']} | {net['epoch_seconds'][-1] / 60:.1f} min | {per_epoch} | "
            f"**{net['test_accuracy']:.2%}** | {verdict} {net['bar']:.0%} |"
        )
    lines += ["", measured_line(figures)]
    return "\n".join(lines)
