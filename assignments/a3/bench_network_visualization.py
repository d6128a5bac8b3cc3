"""a3 looking inside EfficientNet-Lite0 (network_visualization in full mode): every sample photo
at 224×224 pushed into the class "goldfish" by the reference `fooling_images` (iterative gradient
sign steps of 0.5/255 in a 4/255 L∞ box), and class visualisations grown from noise by the
reference `visualize_class` (200 steps), each scored by the network itself. Writes the pictures
(photos with saliency, SmoothGrad, integrated gradients and Grad-CAM; fooled photos; grown classes)
beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module
from dl4cv import photos, pretrained

TITLE = "a3 inside EfficientNet-Lite0: attributions, fooling images, class visualisation"
MAX_CHANGE = 4 / 255
FOOL_INTO = "goldfish"
GROW = ("goldfish", "tarantula", "flamingo", "espresso", "daisy", "school bus")
GOAL_FOOLED, GOAL_PROBABILITY = 10, 0.9
RESULTS = ROOT / "benchmarks" / "results"


def measure() -> dict:
    attributions = reference_module("a3", "attributions")
    synthesis = reference_module("a3", "image_synthesis")
    model, classes = pretrained.load_efficientnet_lite0(), pretrained.imagenet_classes()
    shots = photos.sample_photos(224)
    images = torch.stack(list(shots.values()))
    with torch.no_grad():
        labels = model(images).argmax(-1)
    target = classes.index(FOOL_INTO)
    started = time.perf_counter()
    fooled = synthesis.fooling_images(model, images, torch.full_like(labels, target), max_change=MAX_CHANGE)
    fool_seconds = time.perf_counter() - started
    with torch.no_grad():
        fooled_probabilities = model(fooled).softmax(-1)
    fooled_labels = fooled_probabilities.argmax(-1)
    changes = (fooled - images).abs().flatten(1).amax(1)
    grown, grow_results = [], {}
    for name in GROW:
        started = time.perf_counter()
        image = synthesis.visualize_class(model, classes.index(name), size=224, iterations=200)
        with torch.no_grad():
            probability = model(image).softmax(-1)[0, classes.index(name)].item()
        grow_results[name] = {"probability": probability, "seconds": time.perf_counter() - started}
        grown.append(image[0])
    _pictures(attributions, model, images, labels, fooled, fooled_labels, grown, classes, list(shots))
    return {
        "photos": {name: {"label": classes[int(labels[k])], "fooled_label": classes[int(fooled_labels[k])],
                          "target_probability": fooled_probabilities[k, target].item(), "max_change_255": changes[k].item() * 255}
                   for k, name in enumerate(shots)},
        "fool_seconds": fool_seconds,
        "grown": grow_results,
    }  # fmt: skip


def _pictures(attributions, model, images, labels, fooled, fooled_labels, grown, classes, names) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch.nn.functional as F

    shown = slice(0, 6)
    x, y = images[shown], labels[shown]
    noise = 0.1 * torch.randn(16, *x.shape, generator=torch.Generator().manual_seed(0))
    one = range(len(x))  # one photo at a time: 64 path points of a 224x224 photo already hold gigabytes of activations
    maps = {
        "saliency": attributions.saliency_map(model, x, y),
        "SmoothGrad": torch.cat([attributions.smoothgrad(model, x[k:k + 1], y[k:k + 1], noise[:, k:k + 1]) for k in one]),
        "integrated gradients": torch.cat([attributions.integrated_gradients(model, x[k:k + 1], y[k:k + 1], torch.zeros_like(x[:1]),
                                                                             steps=64) for k in one]).abs().amax(1),
        "Grad-CAM": F.interpolate(attributions.grad_cam(model, model.features[-1], x, y)[:, None], size=224, mode="bilinear")[:, 0],
    }
    fig, axes = plt.subplots(len(maps) + 1, len(names[shown]), figsize=(2.1 * len(names[shown]), 2.1 * (len(maps) + 1)))
    for k in range(len(names[shown])):
        axes[0, k].imshow(x[k].permute(1, 2, 0))
        axes[0, k].set_title(classes[int(y[k])], fontsize=8)
        for row, (title, values) in enumerate(maps.items(), start=1):
            if title == "Grad-CAM":
                axes[row, k].imshow(x[k].permute(1, 2, 0))
            axes[row, k].imshow(values[k], cmap="jet" if title == "Grad-CAM" else "hot", alpha=0.5 if title == "Grad-CAM" else 1)
            if k == 0:
                axes[row, k].set_ylabel(title, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "network_visualization_attributions.png", dpi=90)

    fig, axes = plt.subplots(3, len(names), figsize=(1.9 * len(names), 6))
    for k in range(len(names)):
        axes[0, k].imshow(images[k].permute(1, 2, 0)); axes[0, k].set_title(classes[int(labels[k])], fontsize=7)
        axes[1, k].imshow(fooled[k].permute(1, 2, 0)); axes[1, k].set_title(classes[int(fooled_labels[k])], fontsize=7)
        axes[2, k].imshow((0.5 + (fooled[k] - images[k]) * 255 / 8).clamp(0, 1).permute(1, 2, 0))
    axes[2, 0].set_title("change x 32", fontsize=7)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(RESULTS / "network_visualization_fooling.png", dpi=90)

    fig, axes = plt.subplots(1, len(grown), figsize=(2.6 * len(grown), 2.8))
    for ax, image, name in zip(axes, grown, GROW):
        ax.imshow(image.permute(1, 2, 0)); ax.set_title(name, fontsize=9); ax.axis("off")
    fig.tight_layout()
    fig.savefig(RESULTS / "network_visualization_classes.png", dpi=90)


def render(figures: dict) -> str:
    shots, grown = figures["photos"], figures["grown"]
    fooled = sum(p["fooled_label"] == FOOL_INTO for p in shots.values())
    worst = max(p["max_change_255"] for p in shots.values())
    confident = sum(g["probability"] >= GOAL_PROBABILITY for g in grown.values())
    lines = [
        f"## {TITLE}",
        "",
        f"**Fooling images.** {fooled} of {len(shots)} sample photos (224×224) read as \"{FOOL_INTO}\" after the "
        f"reference `fooling_images` (goal: {GOAL_FOOLED} of 10); largest pixel change {worst:.2f}/255 (the box: "
        f"{MAX_CHANGE * 255:.0f}/255); {figures['fool_seconds']:.0f} s for all of them.",
        "",
        "| photo | the network's label | after the change | p(goldfish) | largest change |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {p['label']} | {p['fooled_label']} | {p['target_probability']:.2f} | {p['max_change_255']:.2f}/255 |"
              for name, p in shots.items()]
    lines += ["", f"**Class visualisation.** 200 steps from grey noise at 224×224; the network's own probability for "
              f"the class (goal ≥ {GOAL_PROBABILITY}): {confident} of {len(grown)} reach it.", "",
              "| class | probability | seconds |", "|---|---|---|"]
    lines += [f"| {name} | {g['probability']:.3f} | {g['seconds']:.0f} |" for name, g in grown.items()]
    lines += ["", "![attributions](results/network_visualization_attributions.png)", "",
              "![fooling images](results/network_visualization_fooling.png)", "",
              "![class visualisations](results/network_visualization_classes.png)", "", measured_line(figures)]
    return "\n".join(lines)
