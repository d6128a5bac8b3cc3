"""a3 diffusion in full mode, with the reference solution: one class-conditional U-Net (16, 32,
64) trained from seed 0 on all 60,000 training images with 10% of the labels dropped, sampled
without a class by DDPM (all 1000 steps) and DDIM (50 steps), and with classifier-free guidance
by DDPM; Fréchet distances in the course classifier's features, set beside the GANs' and VAEs'
stored figures, and the class accuracy of guided samples. Writes sample grids beside RESULTS.md.
"""

from __future__ import annotations

import json
import time

import torch

from benchmarks.common import ROOT, measured_line, reference_module, save_sample_panels
from dl4cv import data, frechet

TITLE = "a3 diffusion: DDPM and DDIM samples, classifier-free guidance"
CHANNELS, STEPS, BATCH = (16, 32, 64), 8_000, 128
DDPM_SAMPLES, DDIM_SAMPLES, GUIDED_SAMPLES, GUIDANCE = 1_000, 5_000, 500, 2.0
REFERENCE_IMAGES, CHUNK = 5_000, 250
GOAL_CLASS_ACCURACY = 0.90
RESULTS = ROOT / "benchmarks" / "results"


def _in_chunks(draw, count: int) -> tuple[torch.Tensor, float]:
    """draw(n, seed) -> samples in [-1, 1]; `count` of them in chunks, and the minutes it took."""
    started = time.perf_counter()
    parts = [draw(min(CHUNK, count - start), seed) for seed, start in enumerate(range(0, count, CHUNK))]
    return torch.cat(parts), (time.perf_counter() - started) / 60


def _other_generators() -> dict:
    """The Fréchet distances the GAN and VAE sections stored (same classifier, 5,000 samples)."""
    found = {}
    for section in ("generative_adversarial_networks", "variational_autoencoders"):
        path = RESULTS / f"{section}.json"
        if path.exists():
            found.update({name: row["frechet"] for name, row in json.loads(path.read_text())["models"].items()})
    return found


def measure() -> dict:
    diffusion = reference_module("a3", "diffusion")
    fashion = data.load_dataset("fashion-mnist")
    x_train, y_train = fashion.x_train.float().div(255), fashion.y_train
    x_test = fashion.x_test.float().div(255)
    reference = frechet.image_statistics(x_test[:REFERENCE_IMAGES])
    schedule = diffusion.NoiseSchedule(diffusion.linear_betas())

    torch.manual_seed(0)
    started = time.perf_counter()
    history, model = diffusion.train_diffusion(diffusion.UNet(CHANNELS), x_train, y_train, schedule, steps=STEPS, batch_size=BATCH)
    train_minutes = (time.perf_counter() - started) / 60
    parameters = sum(p.numel() for p in model.parameters())

    def free(x, t):
        return model(x, t)

    with torch.inference_mode():
        ddpm, ddpm_minutes = _in_chunks(
            lambda n, seed: diffusion.ddpm_sample(free, (n, 1, 28, 28), schedule, torch.Generator().manual_seed(seed)), DDPM_SAMPLES)
        ddim, ddim_minutes = _in_chunks(
            lambda n, seed: diffusion.ddim_sample(free, (n, 1, 28, 28), schedule, 50, torch.Generator().manual_seed(seed)), DDIM_SAMPLES)
        wanted = torch.arange(10).repeat(GUIDED_SAMPLES // 10)

        def guided(n, seed):
            labels = wanted[seed * CHUNK:seed * CHUNK + n]
            return diffusion.ddpm_sample(lambda x, t: diffusion.guided_noise(model, x, t, labels, GUIDANCE), (n, 1, 28, 28), schedule,
                                         torch.Generator().manual_seed(100 + seed))  # fmt: skip

        guided_samples, guided_minutes = _in_chunks(guided, GUIDED_SAMPLES)
    ddpm, ddim, guided_samples = (diffusion.to_images(s) for s in (ddpm, ddim, guided_samples))
    per_class = [frechet.class_accuracy(guided_samples[wanted == c], wanted[wanted == c]) for c in range(10)]
    figures = {
        "training": {"minutes": train_minutes, "steps": STEPS, "batch": BATCH, "parameters": parameters,
                     "final_loss": sum(history[-200:]) / 200},  # fmt: skip
        "real_at_ddpm_size": frechet.frechet_distance(reference, x_test[REFERENCE_IMAGES:REFERENCE_IMAGES + DDPM_SAMPLES]),
        "samplers": {
            "DDPM, 1000 steps": {"samples": DDPM_SAMPLES, "minutes": ddpm_minutes, "frechet": frechet.frechet_distance(reference, ddpm)},
            "DDIM, 50 steps": {"samples": DDIM_SAMPLES, "minutes": ddim_minutes, "frechet": frechet.frechet_distance(reference, ddim),
                               "frechet_first_1000": frechet.frechet_distance(reference, ddim[:DDPM_SAMPLES])},  # fmt: skip
            f"DDPM guided (w = {GUIDANCE:g}), 1000 steps": {
                "samples": GUIDED_SAMPLES, "minutes": guided_minutes, "frechet": frechet.frechet_distance(reference, guided_samples),
                "class_accuracy": frechet.class_accuracy(guided_samples, wanted), "per_class": per_class},  # fmt: skip
        },
        "other_generators": _other_generators(),
        "classes": list(fashion.classes),
    }
    order = torch.argsort(wanted[:100], stable=True)
    save_sample_panels({"DDPM, 1000 steps": ddpm[:100], "DDIM, 50 steps": ddim[:100],
                        f"guided DDPM, w = {GUIDANCE:g} (one row per class)": guided_samples[:100][order]},
                       "diffusion_samples.png", side=10)  # fmt: skip
    return figures


def render(figures: dict) -> str:
    training, samplers, others = figures["training"], figures["samplers"], figures["other_generators"]
    ddpm = samplers["DDPM, 1000 steps"]
    guided_name = next(name for name in samplers if "guided" in name)
    guided = samplers[guided_name]
    best_other = min(others.items(), key=lambda item: item[1]) if others else None
    lines = [
        f"## {TITLE}",
        "",
        f"Reference solution: a class-conditional U-Net {tuple(CHANNELS)} ({training['parameters']:,} parameters), linear schedule "
        f"over 1000 steps, {training['steps']:,} AdamW steps of {training['batch']} images (10% of labels dropped for guidance, "
        f"weights averaged with decay 0.999), seed 0: {training['minutes']:.1f} min on 2 cores, final loss "
        f"{training['final_loss']:.4f}. Fréchet distance to {REFERENCE_IMAGES:,} test images (course classifier). Samples without "
        f"a class use the \"no class\" label.",
        "",
        "| sampler | samples | minutes (2 cores) | Fréchet distance |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {row['samples']:,} | {row['minutes']:.1f} | {row['frechet']:.2f} |" for name, row in samplers.items()]
    lines += [
        "",
        f"Fewer samples raise a Fréchet distance (its estimate is biased upwards): {DDPM_SAMPLES:,} other real test images score "
        f"{figures['real_at_ddpm_size']:.2f}, and the first {DDPM_SAMPLES:,} DDIM samples "
        f"{samplers['DDIM, 50 steps']['frechet_first_1000']:.2f} against {samplers['DDIM, 50 steps']['frechet']:.2f} for all "
        f"{DDIM_SAMPLES:,}. DDPM's {DDPM_SAMPLES:,}-sample figure is therefore a conservative one.",
    ]
    if best_other:
        met = ddpm["frechet"] < best_other[1]
        lines += [
            "",
            "Goal: DDPM best of all the course's generators (their figures from 5,000 samples, stored by their sections: "
            + ", ".join(f"{name} {value:.1f}" for name, value in others.items())
            + f"): **DDPM {ddpm['frechet']:.2f} against the best other, {best_other[0]} {best_other[1]:.1f}: {'met' if met else 'not met'}**.",
        ]
    worst = sorted(range(10), key=lambda c: guided["per_class"][c])[:3]
    met = guided["class_accuracy"] >= GOAL_CLASS_ACCURACY
    lines += [
        "",
        f"Class accuracy of {guided_name} samples ({guided['samples']:,}, each class equally often) by the course classifier: "
        f"goal ≥ {GOAL_CLASS_ACCURACY:.0%}: **{guided['class_accuracy']:.1%}, {'met' if met else 'not met'}**; hardest classes: "
        + ", ".join(f"{figures['classes'][c]} {guided['per_class'][c]:.0%}" for c in worst) + ".",
        "",
        "![diffusion samples](results/diffusion_samples.png)",
        "",
        measured_line(figures),
    ]
    return "\n".join(lines)
