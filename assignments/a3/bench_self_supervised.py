"""a3 self-supervised learning in full mode, with the reference solutions: SimCLR pretrained on
Fashion-MNIST's 60,000 training images without labels, then a linear probe trained with 1% of the
labels (60 per class), against the same encoder trained from scratch on those labels (with the
same augmentations) and a frozen random encoder; three draws of the labelled 1%. Writes nearest
neighbours in SimCLR's feature space beside RESULTS.md. (The CLIP half of the notebook is
measured by `bench_clip.py`.)
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import data

TITLE = "a3 self-supervised learning: SimCLR with 1% of the labels"
SIMCLR_EPOCHS, SUPERVISED_EPOCHS, PER_CLASS, DRAWS = 10, 100, 60, 3
RESULTS = ROOT / "benchmarks" / "results"


def measure() -> dict:
    ssl = reference_module("a3", "self_supervised")
    torch.manual_seed(0)
    fashion = data.load_dataset("fashion-mnist")
    x_train, y_train = fashion.x_train.float().div(255), fashion.y_train
    x_test, y_test = fashion.x_test.float().div(255), fashion.y_test

    encoder, head = ssl.small_encoder(), ssl.projection_head()
    started = time.perf_counter()
    history = ssl.train_simclr(encoder, head, x_train, epochs=SIMCLR_EPOCHS)
    simclr_minutes = (time.perf_counter() - started) / 60
    random_encoder = ssl.small_encoder().eval()
    features = {"simclr": (ssl.features_of(encoder, x_train), ssl.features_of(encoder, x_test)),
                "random": (ssl.features_of(random_encoder, x_train), ssl.features_of(random_encoder, x_test))}  # fmt: skip

    def accuracy(predicted):
        return (predicted == y_test).float().mean().item()

    draws = []
    for draw in range(DRAWS):
        generator = torch.Generator().manual_seed(draw)
        picked = torch.cat([torch.nonzero(y_train == c)[:, 0][torch.randperm(6000, generator=generator)[:PER_CLASS]] for c in range(10)])
        row = {name: accuracy(ssl.linear_probe(train[picked], y_train[picked], test, 10)) for name, (train, test) in features.items()}
        started = time.perf_counter()
        model = ssl.train_supervised(torch.nn.Sequential(ssl.small_encoder(), torch.nn.Linear(128, 10)), x_train[picked],
                                     y_train[picked], epochs=SUPERVISED_EPOCHS, seed=draw)  # fmt: skip
        row["supervised"] = accuracy(ssl.features_of(model, x_test).argmax(1))
        row["supervised_seconds"] = time.perf_counter() - started
        draws.append(row)
    all_labels = accuracy(ssl.linear_probe(features["simclr"][0], y_train, features["simclr"][1], 10))
    _neighbours(features["simclr"][1], x_test, y_test)
    return {"simclr_loss": history, "simclr_minutes": simclr_minutes, "draws": draws, "probe_all_labels": all_labels}


def _neighbours(test_features, x_test, y_test) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = test_features / test_features.norm(dim=1, keepdim=True)
    queries = [int(torch.nonzero(y_test == c)[0, 0]) for c in range(10)]
    nearest = (unit[queries] @ unit.T).topk(9, dim=1).indices  # the first is the query itself
    fig, axes = plt.subplots(10, 9, figsize=(6.3, 7.4))
    for row, neighbours in enumerate(nearest):
        for column, index in enumerate(neighbours.tolist()):
            ax = axes[row, column]
            ax.imshow(x_test[index, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if column and y_test[index] != y_test[queries[row]]:
                for spine in ax.spines.values():
                    spine.set_color("red"), spine.set_linewidth(2)
    axes[0, 0].set_title("query", fontsize=8)
    axes[0, 4].set_title("nearest in SimCLR's features (red: another class)", fontsize=8)
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "self_supervised_neighbours.png", dpi=90)


def render(figures: dict) -> str:
    draws = figures["draws"]

    def mean(key):
        return sum(d[key] for d in draws) / len(draws)

    wins = sum(d["simclr"] > d["supervised"] for d in draws)
    lines = [
        f"## {TITLE}",
        "",
        f"**SimCLR** (reference `nt_xent_loss`, temperature 0.5, batch 256): {SIMCLR_EPOCHS} epochs on the 60,000 "
        f"training images without labels in {figures['simclr_minutes']:.1f} min; loss "
        f"{figures['simclr_loss'][0]:.3f} → {figures['simclr_loss'][-1]:.3f}. Then {PER_CLASS} labelled images per class "
        f"(1% of the labels), {DRAWS} draws; test accuracy on all 10,000 test images. Goal: the linear probe on SimCLR's "
        f"features beats the same encoder trained from scratch on the same labels: **{wins} of {DRAWS} draws, "
        f"{mean('simclr'):.1%} against {mean('supervised'):.1%} on average.**",
        "",
        "| draw | SimCLR + linear probe | supervised from scratch (same augmentations) | random frozen encoder + linear probe |",
        "|---|---|---|---|",
    ]
    lines += [f"| {k} | {d['simclr']:.1%} | {d['supervised']:.1%} ({d['supervised_seconds']:.0f} s) | {d['random']:.1%} |"
              for k, d in enumerate(draws)]  # fmt: skip
    lines += [
        "",
        f"With all 60,000 labels the linear probe on SimCLR's features reaches {figures['probe_all_labels']:.1%}.",
        "",
        "![nearest neighbours](results/self_supervised_neighbours.png)",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
