"""a5 transfer learning with the reference solutions, in the notebook's full mode: the same 200
labelled Fashion-MNIST images classified by the from-scratch CNN, a linear probe on frozen
EfficientNet-Lite0 features (cut after 12 modules) and fine-tuning from the probe (layer-wise
rates, warm-up, batch norm frozen, augmentation), over several training seeds, on the whole test
set; faces against non-faces; and a probe after each of the network's modules, drawn beside
RESULTS.md.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from benchmarks.common import measured_line, reference_module, save_figure

TITLE = "a5 transfer learning: 200 Fashion-MNIST labels from scratch, with frozen ImageNet features, fine-tuned"
SEEDS = (0, 1, 2)
INPUT, CUT = 64, 12
SCRATCH_EPOCHS, FINE_EPOCHS = 60, 12
PICTURE = "transfer_learning_depth.png"


def _accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    return (predicted == labels).float().mean().item()


def _three_ways(tl, x_train, y_train, x_test, y_test, seed: int) -> dict:
    from dl4cv.pretrained import load_efficientnet_lite0

    row = {}
    started = time.perf_counter()
    torch.manual_seed(seed)
    scratch = tl.SmallCNN(10)
    tl.train_classifier(scratch, x_train, y_train, epochs=SCRATCH_EPOCHS, lr=3e-3, warmup_epochs=2, padding=2, seed=seed)
    row["scratch"], row["scratch_minutes"] = _accuracy(tl.predict(scratch, x_test), y_test), (time.perf_counter() - started) / 60
    started = time.perf_counter()
    network = load_efficientnet_lite0()
    f_train = tl.extract_features(network, tl.to_network_input(x_train, INPUT), CUT)
    f_test = tl.extract_features(network, tl.to_network_input(x_test, INPUT), CUT)
    torch.manual_seed(seed)
    probe = nn.Linear(f_train.shape[1], 10)
    tl.fit_linear_probe(probe, f_train, y_train)
    with torch.no_grad():
        row["probe"] = _accuracy(probe(f_test).argmax(1), y_test)
    row["probe_minutes"] = (time.perf_counter() - started) / 60
    started = time.perf_counter()
    torch.manual_seed(seed)
    model = tl.TransferNet(load_efficientnet_lite0(frozen=False), 10, blocks=CUT, freeze_batchnorm=True)
    model.head.load_state_dict(probe.state_dict())
    tl.train_classifier(model, x_train, y_train, epochs=FINE_EPOCHS, lr=1e-3, decay=0.5, warmup_epochs=1, padding=2,
                        input_size=INPUT, seed=seed)  # fmt: skip
    row["finetuned"] = _accuracy(tl.predict(model, x_test, input_size=INPUT), y_test)
    row["finetune_minutes"] = (time.perf_counter() - started) / 60
    return row


def _probe_by_module(tl, x_train, y_train, x_test, y_test, classes: int) -> list[float]:
    from dl4cv.pretrained import load_efficientnet_lite0

    network = load_efficientnet_lite0()

    def pooled(images):
        outputs = {}
        with torch.no_grad():
            for chunk in images.split(256):
                x = tl.imagenet_normalise(tl.to_network_input(chunk, INPUT))
                for k, module in enumerate(network.features):
                    x = module(x)
                    outputs.setdefault(k, []).append(x.mean((2, 3)))
        return {k: torch.cat(v) for k, v in outputs.items()}

    a, b = pooled(x_train), pooled(x_test)
    accuracies = []
    for k in range(len(network.features)):
        mean, std = a[k].mean(0), a[k].std(0) + 1e-6
        torch.manual_seed(0)
        head = nn.Linear(a[k].shape[1], classes)
        tl.fit_linear_probe(head, (a[k] - mean) / std, y_train)
        with torch.no_grad():
            accuracies.append(_accuracy(head((b[k] - mean) / std).argmax(1), y_test))
    return accuracies


def measure() -> dict:
    from dl4cv import data
    from dl4cv.small_data import few_labels, load_faces

    tl = reference_module("a5", "transfer_learning")
    fashion = few_labels(data.load_dataset("fashion-mnist"), per_class=20)
    x_train, y_train = fashion.x_train.float() / 255, fashion.y_train
    x_test, y_test = fashion.x_test.float() / 255, fashion.y_test
    runs = {seed: _three_ways(tl, x_train, y_train, x_test, y_test, seed) for seed in SEEDS}
    faces = load_faces(num_train=100)
    hx_train, hx_test = faces.x_train.float() / 255, faces.x_test.float() / 255
    depth = {"Fashion-MNIST": _probe_by_module(tl, x_train, y_train, x_test, y_test, 10),
             "faces": _probe_by_module(tl, hx_train, faces.y_train, hx_test, faces.y_test, 2)}  # fmt: skip
    torch.manual_seed(0)
    scratch_faces = tl.SmallCNN(2)
    tl.train_classifier(scratch_faces, hx_train, faces.y_train, epochs=SCRATCH_EPOCHS, lr=3e-3, warmup_epochs=2, padding=2)
    _draw(depth)
    return {"runs": {str(k): v for k, v in runs.items()}, "depth": depth, "test_images": len(y_test),
            "faces_scratch": _accuracy(tl.predict(scratch_faces, hx_test), faces.y_test)}  # fmt: skip


def _draw(depth: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, accuracies in depth.items():
        ax.plot(range(1, len(accuracies) + 1), accuracies, "o-", label=name)
    ax.axvline(CUT, color="grey", ls=":", lw=1)
    ax.set_xlabel("modules of EfficientNet-Lite0 used"); ax.set_ylabel("linear probe test accuracy")  # fmt: skip
    ax.legend(); ax.grid(alpha=0.3)  # fmt: skip
    fig.tight_layout()
    save_figure(fig, PICTURE)


def render(figures: dict) -> str:
    runs = figures["runs"]
    lines = [
        f"## {TITLE}",
        "",
        f"Reference solutions, the notebook's full mode: 20 training images of each class (the notebook's draw), "
        f"{figures['test_images']:,} test images, inputs enlarged to {INPUT} × {INPUT}. From scratch: `SmallCNN`, "
        f"{SCRATCH_EPOCHS} epochs with shifts and mirrors. Frozen: a linear probe on the pooled output of the first {CUT} "
        f"of EfficientNet-Lite0's 18 modules. Fine-tuned: the same cut, head started from the probe, {FINE_EPOCHS} "
        "epochs, rates halving per module below the head, one epoch of warm-up, batch norm's statistics frozen, "
        "shifts and mirrors. One row per training seed.",
        "",
        "| seed | from scratch | frozen features | fine-tuned | minutes (scratch / probe / fine-tune, 2 cores) |",
        "|---|---|---|---|---|",
    ]
    for seed, row in runs.items():
        lines.append(f"| {seed} | {row['scratch']:.1%} | {row['probe']:.1%} | **{row['finetuned']:.1%}** | "
                     f"{row['scratch_minutes']:.1f} / {row['probe_minutes']:.1f} / {row['finetune_minutes']:.1f} |")
    probe_margin = [r["probe"] - r["scratch"] for r in runs.values()]
    fine_margin = [r["finetuned"] - r["scratch"] for r in runs.values()]
    depth = figures["depth"]
    best = {name: max(range(len(a)), key=a.__getitem__) for name, a in depth.items()}
    lines += [
        "",
        f"Margins over training from scratch: frozen features {min(probe_margin):+.1%} to {max(probe_margin):+.1%} "
        f"(mean {statistics.mean(probe_margin):+.1%}), fine-tuned {min(fine_margin):+.1%} to {max(fine_margin):+.1%} "
        f"(mean {statistics.mean(fine_margin):+.1%}). Goal, each beats training from scratch: "
        f"**{'met' if min(probe_margin) > 0 and min(fine_margin) > 0 else 'not met'}**.",
        "",
        "Linear probe after each module (standardised pooled features): Fashion-MNIST is best after "
        f"{best['Fashion-MNIST'] + 1} modules ({depth['Fashion-MNIST'][best['Fashion-MNIST']]:.1%}, all 18: "
        f"{depth['Fashion-MNIST'][-1]:.1%}); faces after {best['faces'] + 1} ({depth['faces'][best['faces']]:.1%}, all 18: "
        f"{depth['faces'][-1]:.1%}; from scratch {figures['faces_scratch']:.1%}).",
        "",
        f"![linear probe accuracy after each module](results/{PICTURE})",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
