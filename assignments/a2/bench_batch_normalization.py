"""a2 batch normalisation: does a network with batch norm train faster than the same network
without it, and how much faster is the simplified backward pass than the graph form?

Training: the full-mode study of the batch_normalization notebook (section 7) — a six-layer net
(five hidden layers of 100 units) trained with Adam (learning rate 1e-3, batches of 50) for a
fixed number of epochs on 5,000 Fashion-MNIST training images, validated on 1,000 others; plain,
batch norm and layer norm from the same initial weights, for the notebook's weight scale (2e-2)
and for He initialisation. Uses the reference a2 modules with `dl4cv.solver.Solver`.

Speed: reference `batchnorm_backward_alt` vs `batchnorm_backward`, one thread, at the hidden
test's size (64 x 32, 300 calls) and on one large batch (4000 x 1000).
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import measured_line, reference_module
from dl4cv import data
from dl4cv.solver import Solver
from dl4cv.testing import best_time

TITLE = "a2 batch normalisation"
NUM_TRAIN, NUM_VAL = 5000, 1000
HIDDEN = [100] * 5
EPOCHS = 10
BATCH_SIZE = 50
LEARNING_RATE = 1e-3
WEIGHT_SCALES = [2e-2, "he"]
NORMALIZATIONS = {"plain": None, "batch norm": "batchnorm", "layer norm": "layernorm"}
REPORT_EPOCHS = [1, 2, 5, 10]
SPEED_SIZES = [((64, 32), 300), ((4000, 1000), 1)]


def _modules():
    """The reference a2 modules (`reference_module` serves their plain-name imports from source/a2)."""
    return reference_module("a2", "optim"), reference_module("a2", "fc_net"), reference_module("a2", "batchnorm")


def _data() -> dict:
    """The notebook's `prepare(5000, 1000)`: rows in [0, 1] centred on the training mean."""
    subset = data.subsample(data.load_dataset("fashion-mnist"), NUM_TRAIN + NUM_VAL, 0, seed=0)
    x = data.flatten_images(subset.x_train) / 255  # (6000, 784)
    x = x - x[:NUM_TRAIN].mean(dim=0)
    y = subset.y_train
    return {"X_train": x[:NUM_TRAIN], "y_train": y[:NUM_TRAIN], "X_val": x[NUM_TRAIN:], "y_val": y[NUM_TRAIN:]}


def _training(optim, fc_net) -> dict:
    split = _data()
    runs: dict = {}
    for scale in WEIGHT_SCALES:
        for name, normalization in NORMALIZATIONS.items():
            net = fc_net.FullyConnectedNet(HIDDEN, normalization=normalization, weight_scale=scale, seed=0)
            solver = Solver(net, split, update_rule=optim.adam, optim_config={"learning_rate": LEARNING_RATE},
                            batch_size=BATCH_SIZE, num_epochs=EPOCHS, num_train_samples=1000, progress=False, seed=0)
            start = time.perf_counter()
            solver.train()
            runs.setdefault(str(scale), {})[name] = {
                "val_acc": solver.val_acc_history,
                "train_acc": solver.train_acc_history,
                "seconds": time.perf_counter() - start,
            }
    return runs


def _speed(batchnorm) -> list[dict]:
    rows = []
    gen = torch.Generator().manual_seed(0)
    for (n, d), calls in SPEED_SIZES:
        x, dout = torch.randn(n, d, generator=gen), torch.randn(n, d, generator=gen)
        _, cache = batchnorm.batchnorm_forward(x, torch.rand(d, generator=gen) + 0.5, torch.randn(d, generator=gen), {"mode": "train"})
        graph = best_time(lambda: [batchnorm.batchnorm_backward(dout, cache) for _ in range(calls)], repeats=5)
        alt = best_time(lambda: [batchnorm.batchnorm_backward_alt(dout, cache) for _ in range(calls)], repeats=5)
        rows.append({"shape": [n, d], "calls": calls, "graph_s": graph, "alt_s": alt, "ratio": graph / alt})
    return rows


def measure() -> dict:
    optim, fc_net, batchnorm = _modules()
    return {"speed": _speed(batchnorm), "runs": _training(optim, fc_net)}


def _bar(runs: dict) -> tuple[bool, str]:
    """The bar: with the notebook's weight scale, batch norm's validation accuracy beats the plain
    net's after every reported epoch."""
    plain, bn = runs[str(WEIGHT_SCALES[0])]["plain"]["val_acc"], runs[str(WEIGHT_SCALES[0])]["batch norm"]["val_acc"]
    epochs = [e for e in REPORT_EPOCHS if e <= len(plain)]
    ok = all(bn[e - 1] > plain[e - 1] for e in epochs)
    return ok, f"after epochs {', '.join(map(str, epochs))}"


def render(figures: dict) -> str:
    runs = figures["runs"]
    epochs = [e for e in REPORT_EPOCHS if e <= len(next(iter(next(iter(runs.values())).values()))["val_acc"])]
    lines = [
        f"## {TITLE}",
        "",
        f"Six-layer net ({len(HIDDEN)} hidden layers of {HIDDEN[0]}), Adam {LEARNING_RATE:g}, batches of "
        f"{BATCH_SIZE}, {NUM_TRAIN:,} Fashion-MNIST training images, validation accuracy on {NUM_VAL:,} others "
        "(reference a2 modules, float32, CPU; same initial weights and minibatches in every row):",
        "",
        "| initial weights | network | " + " | ".join(f"epoch {e}" for e in epochs) + " | best | seconds |",
        "|---|---|" + "---|" * (len(epochs) + 2),
    ]
    for scale, by_name in runs.items():
        label = "He" if scale == "he" else f"N(0, {float(scale):g}²)"
        for name, run in by_name.items():
            accs = " | ".join(f"{run['val_acc'][e - 1]:.1%}" for e in epochs)
            lines.append(f"| {label} | {name} | {accs} | {max(run['val_acc']):.1%} | {run['seconds']:.0f} |")
    ok, when = _bar(runs)
    verdict = "meets" if ok else "MISSES"
    lines += [
        "",
        f"Bar (the notebook's setting, weight scale {WEIGHT_SCALES[0]:g}): batch norm ahead of the plain net "
        f"{when}: **{verdict}**.",
        "",
        "Backward pass, simplified form vs graph form (reference, one thread, best of 5):",
        "",
        "| batch | calls | graph form | simplified | speed-up |",
        "|---|---|---|---|---|",
    ]
    for row in figures["speed"]:
        n, d = row["shape"]
        lines.append(f"| {n} × {d} | {row['calls']} | {row['graph_s'] * 1e3:.1f} ms | {row['alt_s'] * 1e3:.1f} ms | {row['ratio']:.2f}× |")
    lines += ["", "The hidden test asks for ≥ 0.5× at 64 × 32 (300 calls), at least 3× below what the reference reaches.", "", measured_line(figures)]
    return "\n".join(lines)
