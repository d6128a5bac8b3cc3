"""Linear SVM and softmax classifiers on the full real Fashion-MNIST, and the speed of the
vectorised losses against the loop versions.

Accuracy: the 60,000 training images are split at random into 50,000 for training and 10,000 for
validation; a grid of learning rates and regularisation strengths is searched with the reference
`search_hyperparameters`. The best pair then trains a fresh classifier on all 60,000 images
(a longer run, then a tenth of the learning rate), measured once on the 10,000 test images.
Preprocessing as in the notebook: pixels in [0, 1], mean training image subtracted, flattened,
a column of ones appended (bias trick).

Speed: loss and gradient at one torch thread, on a minibatch of 500 images (both versions
timed) and on the whole 50,000-image training split (the loop version timed on 500 images and
scaled per image).
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv import data
from dl4cv.testing import best_time

TITLE = "a1 linear classifiers (SVM, softmax) on Fashion-MNIST"
BARS = {"svm": 0.83, "softmax": 0.84}
NUM_VAL = 10_000
BATCH = 500
SEARCH_ITERS = 2_000  # 20 epochs of the 50,000 training images
FINAL_ITERS, FINE_ITERS = 6_000, 1_000  # 50 + 8.3 epochs of all 60,000 images
REGS = [1e-5, 1e-4, 1e-3]
GRIDS = {"svm": [0.03, 0.1, 0.3], "softmax": [0.3, 1.0, 3.0]}
SPEED_SLICE = 500


def _prepare(lc):
    dataset = data.load_dataset("fashion-mnist")
    pixels = data.flatten_images(dataset.x_train) / 255  # (60000, 784)
    mean_image = pixels.mean(dim=0)
    x_all = lc.append_ones(pixels - mean_image)  # (60000, 785)
    x_test = lc.append_ones(data.flatten_images(dataset.x_test) / 255 - mean_image)
    return x_all, dataset.y_train, x_test, dataset.y_test


def _accuracy(lc, loss_fn, learning_rates, x_all, y_all, x_test, y_test) -> dict:
    perm = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(0))
    train, val = perm[NUM_VAL:], perm[:NUM_VAL]
    split = (x_all[train], y_all[train], x_all[val], y_all[val])
    start = time.perf_counter()
    results, _ = lc.search_hyperparameters(loss_fn, split, learning_rates, REGS, num_iters=SEARCH_ITERS, batch_size=BATCH)
    search_s = time.perf_counter() - start
    lr, reg = max(results, key=lambda pair: results[pair][1])
    start = time.perf_counter()
    model = lc.LinearClassifier(loss_fn, x_all.shape[1], 10)
    gen = torch.Generator().manual_seed(0)
    model.train(x_all, y_all, learning_rate=lr, reg=reg, num_iters=FINAL_ITERS, batch_size=BATCH, generator=gen)
    model.train(x_all, y_all, learning_rate=lr / 10, reg=reg, num_iters=FINE_ITERS, batch_size=BATCH, generator=gen)
    return {
        "search": {f"{lr_:g},{reg_:g}": list(accs) for (lr_, reg_), accs in results.items()},
        "search_s": search_s,
        "chosen": {"learning_rate": lr, "reg": reg, "val_accuracy": results[(lr, reg)][1]},
        "final_train_accuracy": model.accuracy(x_all, y_all),
        "test_accuracy": model.accuracy(x_test, y_test),
        "final_s": time.perf_counter() - start,
    }


def _speed(lc, naive, vectorised, x, y) -> dict:
    W = torch.randn(x.shape[1], 10, generator=torch.Generator().manual_seed(1)) * 1e-3
    xb, yb = x[:SPEED_SLICE], y[:SPEED_SLICE]
    t_naive = best_time(lambda: naive(W, xb, yb, 1e-4), repeats=1)
    t_vec_batch = best_time(lambda: vectorised(W, xb, yb, 1e-4), repeats=5)
    t_vec_full = best_time(lambda: vectorised(W, x, y, 1e-4), repeats=3)
    return {
        "naive_batch_s": t_naive,
        "vectorised_batch_s": t_vec_batch,
        "naive_full_s": t_naive * len(y) / SPEED_SLICE,
        "vectorised_full_s": t_vec_full,
        "full_size": len(y),
    }


def measure() -> dict:
    lc = reference_module("a1", "linear_classifier")
    x_all, y_all, x_test, y_test = _prepare(lc)
    losses = {
        "svm": (lc.svm_loss_naive, lc.svm_loss_vectorized),
        "softmax": (lc.softmax_loss_naive, lc.softmax_loss_vectorized),
    }
    figures: dict = {"batch": BATCH, "search_iters": SEARCH_ITERS, "final_iters": [FINAL_ITERS, FINE_ITERS],
                     "num_train": len(y_all) - NUM_VAL, "num_val": NUM_VAL, "num_test": len(y_test),
                     "accuracy": {}, "speed": {}}  # fmt: skip
    for name, (naive, vectorised) in losses.items():
        figures["speed"][name] = _speed(lc, naive, vectorised, x_all[NUM_VAL:], y_all[NUM_VAL:])
    for name, (_, vectorised) in losses.items():
        figures["accuracy"][name] = _accuracy(lc, vectorised, GRIDS[name], x_all, y_all, x_test, y_test)
    return figures


def render(figures: dict) -> str:
    epochs = figures["search_iters"] * figures["batch"] / figures["num_train"]
    final_epochs = sum(figures["final_iters"]) * figures["batch"] / (figures["num_train"] + figures["num_val"])
    lines = [
        f"## {TITLE}",
        "",
        f"Reference solution, float32, CPU. Grid search on {figures['num_train']:,} training / "
        f"{figures['num_val']:,} validation images: {figures['search_iters']:,} SGD iterations of "
        f"{figures['batch']} images per pair ({epochs:.0f} epochs). The chosen pair then trains a fresh "
        f"classifier on all {figures['num_train'] + figures['num_val']:,} training images for "
        f"{figures['final_iters'][0]:,} + {figures['final_iters'][1]:,} iterations (the second part at a "
        f"tenth of the learning rate; {final_epochs:.0f} epochs), measured once on "
        f"{figures['num_test']:,} test images.",
        "",
        "| loss | grid (learning rates × regs) | search | chosen lr, reg | validation | final training | test accuracy | bar |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, acc in figures["accuracy"].items():
        lrs = sorted({float(k.split(",")[0]) for k in acc["search"]})
        regs = sorted({float(k.split(",")[1]) for k in acc["search"]})
        chosen = acc["chosen"]
        verdict = "meets" if acc["test_accuracy"] >= BARS[name] else "MISSES"
        lines.append(
            f"| {name} | {', '.join(f'{v:g}' for v in lrs)} × {', '.join(f'{v:g}' for v in regs)} | "
            f"{acc['search_s']:.0f} s | {chosen['learning_rate']:g}, {chosen['reg']:g} | {chosen['val_accuracy']:.2%} | "
            f"{acc['final_s']:.0f} s | **{acc['test_accuracy']:.2%}** | {verdict} {BARS[name]:.0%} |"
        )
    lines += [
        "",
        "Loss and gradient, loops vs vectorised, at one torch thread. The loop version is timed on "
        f"{figures['speed']['svm']['full_size']:,} images by scaling its time on 500 images per image.",
        "",
        "| loss | loops, 500 images | vectorised, 500 images | ratio | loops, full split (scaled) | vectorised, full split | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t in figures["speed"].items():
        lines.append(
            f"| {name} | {t['naive_batch_s']:.2f} s | {t['vectorised_batch_s'] * 1e3:.1f} ms | "
            f"{t['naive_batch_s'] / t['vectorised_batch_s']:,.0f}× | {t['naive_full_s']:.0f} s | "
            f"{t['vectorised_full_s'] * 1e3:.0f} ms | {t['naive_full_s'] / t['vectorised_full_s']:,.0f}× |"
        )
    lines += ["", "The a1 speed rule asks for vectorised ≥ 20× the loops (checked at 1,000 images).", "", measured_line(figures)]
    return "\n".join(lines)
