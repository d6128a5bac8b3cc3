"""a0 logistic regression: the reference trained on every sneaker and ankle-boot image of the
Fashion-MNIST training set and measured once on the 2,000 test images of those two classes;
then the one-hidden-layer net on the generated pinwheel, for several hidden sizes.

The bar (95% test accuracy) means something for this pair: the nearest class mean, measured
here too, stays well below it, so only a trained linear model gets there.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv import data

TITLE = "a0 logistic regression: sneaker vs ankle boot, and the planar net"
BAR = 0.95
PLANAR_BAR = 0.85
LEARNING_RATE = 0.5
CHECKPOINTS = [250, 500, 1000]  # cumulative iterations at which test accuracy is recorded
HIDDEN_SIZES = [1, 2, 4, 8, 20, 50]
NET_ITERATIONS = 3000
NET_LEARNING_RATE = 1.0


def _accuracy(labels: torch.Tensor, y: torch.Tensor) -> float:
    return (labels.float() == y).float().mean().item()


def _logistic_regression(lr) -> dict:
    dataset = data.load_dataset("fashion-mnist")
    negative, positive = dataset.classes.index("Sneaker"), dataset.classes.index("Ankle boot")
    x_train, y_train = lr.binary_subset(dataset.x_train, dataset.y_train, negative, positive)
    x_test, y_test = lr.binary_subset(dataset.x_test, dataset.y_test, negative, positive)
    mean_0, mean_1 = x_train[y_train == 0].mean(0), x_train[y_train == 1].mean(0)  # (D,)
    nearer_1 = (x_test - mean_1).pow(2).sum(1) < (x_test - mean_0).pow(2).sum(1)  # (num_test,)
    params, done, curve, seconds = lr.initialize(x_train.shape[1]), 0, {}, 0.0
    for checkpoint in CHECKPOINTS:
        start = time.perf_counter()
        params, costs = lr.gradient_descent(
            params, x_train, y_train, learning_rate=LEARNING_RATE, num_iterations=checkpoint - done
        )
        seconds += time.perf_counter() - start
        done = checkpoint
        curve[checkpoint] = {"test_accuracy": _accuracy(lr.predict(params, x_test), y_test), "cost": costs[-1]}
    return {
        "num_train": len(y_train),
        "num_test": len(y_test),
        "learning_rate": LEARNING_RATE,
        "iterations": done,
        "train_seconds": seconds,
        "train_accuracy": _accuracy(lr.predict(params, x_train), y_train),
        "test_accuracy": curve[done]["test_accuracy"],
        "curve": curve,
        "nearest_mean_test_accuracy": _accuracy(nearer_1.long(), y_test),
    }


def _planar(lr) -> dict:
    x, y = lr.make_planar(400, seed=0)
    x_new, y_new = lr.make_planar(400, seed=1)
    line, _ = lr.gradient_descent(lr.initialize(2), x, y, learning_rate=0.5, num_iterations=300)
    rows = {}
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # (400, H) tensors: threads only add overhead
    try:
        for size in HIDDEN_SIZES:
            start = time.perf_counter()
            params, costs = lr.net_train(x, y, size, learning_rate=NET_LEARNING_RATE, num_iterations=NET_ITERATIONS)
            rows[size] = {
                "train_accuracy": _accuracy(lr.net_predict(params, x), y),
                "new_points_accuracy": _accuracy(lr.net_predict(params, x_new), y_new),
                "final_cost": costs[-1],
                "seconds": time.perf_counter() - start,
            }
    finally:
        torch.set_num_threads(previous)
    return {
        "num_points": len(y),
        "iterations": NET_ITERATIONS,
        "learning_rate": NET_LEARNING_RATE,
        "logistic_regression_accuracy": _accuracy(lr.predict(line, x), y),
        "hidden": rows,
    }


def measure() -> dict:
    lr = reference_module("a0", "logistic_regression")
    return {"fashion": _logistic_regression(lr), "planar": _planar(lr)}


def render(figures: dict) -> str:
    f, p = figures["fashion"], figures["planar"]
    test = f["test_accuracy"]
    curve = ", ".join(f"{int(k):,} → {v['test_accuracy']:.2%}" for k, v in f["curve"].items())
    lines = [
        f"## {TITLE}",
        "",
        f"Full-batch gradient descent on all {f['num_train']:,} training images of the two classes "
        f"(learning rate {f['learning_rate']}, {f['iterations']:,} iterations, {f['train_seconds']:.0f} s). "
        f"Test accuracy by iterations: {curve}.",
        "",
        f"**Test accuracy {test:.2%}** on {f['num_test']:,} test images "
        f"({'meets' if test >= BAR else 'MISSES'} the bar of {BAR:.0%}); train accuracy "
        f"{f['train_accuracy']:.2%}. Nearest class mean, for comparison: {f['nearest_mean_test_accuracy']:.2%}.",
        "",
        f"Planar net on the pinwheel ({p['num_points']} points, {p['iterations']:,} iterations at "
        f"learning rate {p['learning_rate']}; new points: a second pinwheel with another seed). "
        f"Logistic regression on the same points: {p['logistic_regression_accuracy']:.0%}.",
        "",
        "| hidden units | train accuracy | new points | final cost | seconds |",
        "|---|---|---|---|---|",
    ]
    for size, row in p["hidden"].items():
        lines.append(
            f"| {size} | {row['train_accuracy']:.1%} | {row['new_points_accuracy']:.1%} | "
            f"{row['final_cost']:.3f} | {row['seconds']:.1f} |"
        )
    best8 = p["hidden"].get("8", p["hidden"].get(8))
    if best8 is not None:
        verdict = "meets" if best8["train_accuracy"] >= PLANAR_BAR else "MISSES"
        lines += ["", f"8 hidden units {verdict} the planar bar of {PLANAR_BAR:.0%} training accuracy."]
    lines += ["", measured_line(figures)]
    return "\n".join(lines)
