"""a3 vision transformer on Fashion-MNIST: the reference `VisionTransformer` of the
transformer_captioning notebook in full mode (4×4 patches, width 64, 4 encoder layers of 4
heads, feed-forward 128) trained with the notebook's `train_classifier` (random shifts of up to
one pixel, no flips) on all 60,000 training images, test accuracy after every epoch on the 10,000 test images. Writes the class token's
last-layer attention over the patches of a few test images beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import data

TITLE = "a3 vision transformer on Fashion-MNIST"
EPOCHS = 20
SETTINGS = {"patch": 4, "dim": 64, "heads": 4, "layers": 4, "hidden": 128}
SHIFT = 1
GOAL = 0.90
PICTURE = ROOT / "benchmarks" / "results" / "vision_transformer_attention.png"


def measure() -> dict:
    vision_transformer = reference_module("a3", "vision_transformer")
    fmnist = data.load_dataset("fashion-mnist")

    def normalise(x):
        return (x.float() / 255 - 0.286) / 0.353

    train_x, test_x = normalise(fmnist.x_train), normalise(fmnist.x_test)
    torch.manual_seed(0)
    model = vision_transformer.VisionTransformer(**SETTINGS)
    curve, started, training = [], time.perf_counter(), [0.0]

    def progress(epoch: int, loss: float) -> None:
        training[0] = time.perf_counter() - started - sum(point["eval_seconds"] for point in curve)
        tick = time.perf_counter()
        accuracy = vision_transformer.accuracy(model, test_x, fmnist.y_test)
        model.train()
        curve.append({"epoch": epoch, "loss": loss, "test_accuracy": accuracy, "train_minutes": training[0] / 60,
                      "eval_seconds": time.perf_counter() - tick})  # fmt: skip
        print(f"epoch {epoch}: loss {loss:.3f}, test accuracy {accuracy:.2%}, {training[0] / 60:.1f} min", flush=True)

    vision_transformer.train_classifier(model, train_x, fmnist.y_train, epochs=EPOCHS, shift=SHIFT, progress=progress)
    parameters = sum(p.numel() for p in model.parameters())
    _picture(model, test_x[:8], [fmnist.classes[int(y)] for y in fmnist.y_test[:8]])
    return {"settings": SETTINGS, "epochs": EPOCHS, "shift": SHIFT, "parameters": parameters, "curve": curve}


def _picture(model, images, names) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with torch.no_grad():
        scores, maps = model(images, return_attention=True)
    side = int((maps[-1].shape[-1] - 1) ** 0.5)
    fig, axes = plt.subplots(2, len(images), figsize=(1.6 * len(images), 3.4))
    for i in range(len(images)):
        axes[0, i].imshow(images[i, 0], cmap="gray")
        axes[0, i].set_title(names[i], fontsize=7)
        axes[1, i].imshow(maps[-1][i, :, 0, 1:].mean(0).view(side, side), cmap="magma")
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    PICTURE.parent.mkdir(exist_ok=True)
    fig.savefig(PICTURE, dpi=110)


def render(figures: dict) -> str:
    s, curve = figures["settings"], figures["curve"]
    best = max(curve, key=lambda point: point["test_accuracy"])
    reached = next((point for point in curve if point["test_accuracy"] >= GOAL), None)
    goal = (f"reached {GOAL:.0%} after epoch {reached['epoch']} ({reached['train_minutes']:.1f} min of training)"
            if reached else f"did not reach {GOAL:.0%}")  # fmt: skip
    lines = [
        f"## {TITLE}",
        "",
        f"{s['patch']}×{s['patch']} patches, width {s['dim']}, {s['layers']} encoder layers of {s['heads']} heads, "
        f"feed-forward {s['hidden']}: {figures['parameters']:,} parameters. {figures['epochs']} epochs on 60,000 "
        f"training images, shifted at random by up to {figures['shift']} pixel(s); test accuracy on all 10,000 test images. Goal ≥ {GOAL:.0%}: {goal}; final "
        f"{curve[-1]['test_accuracy']:.2%}, best {best['test_accuracy']:.2%} (epoch {best['epoch']}).",
        "",
        "| epoch | training loss | test accuracy | training so far |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p['epoch']} | {p['loss']:.3f} | {p['test_accuracy']:.2%} | {p['train_minutes']:.1f} min |" for p in curve]
    lines += ["", "The class token's last-layer attention over the 7×7 patches (averaged over the heads):", "",
              "![vision transformer attention](results/vision_transformer_attention.png)", "", measured_line(figures)]
    return "\n".join(lines)
