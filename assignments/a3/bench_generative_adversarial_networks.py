"""a3 GANs in full mode, with the reference solutions: first the course's Fréchet distance itself
(real test images against real, blurred and noise images), then the MLP GAN (non-saturating
losses), the LSGAN and the DCGAN, each trained from seed 0 on all 60,000 training images and
scored on 5,000 samples against 5,000 test images. Writes a sample grid of each beside RESULTS.md.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from benchmarks.common import measured_line, reference_module, save_sample_panels
from dl4cv import data, frechet

TITLE = "a3 generative adversarial networks: Fréchet distances of MLP GAN, LSGAN and DCGAN"
MLP_ITERATIONS, DC_ITERATIONS, SAMPLES = 6_000, 3_000, 5_000


def measure() -> dict:
    gan = reference_module("a3", "gan")
    fashion = data.load_dataset("fashion-mnist")
    x_train = fashion.x_train.float().div(255) * 2 - 1
    x_test = fashion.x_test.float().div(255)
    reference = frechet.image_statistics(x_test[:SAMPLES])
    other_real = x_test[SAMPLES:2 * SAMPLES]
    blurred = F.avg_pool2d(F.pad(other_real, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    very_blurred = F.avg_pool2d(F.pad(other_real, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    noise = torch.rand(SAMPLES, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    yardsticks = {name: frechet.frechet_distance(reference, images) for name, images in
                  [("other real test images", other_real), ("blurred 3×3", blurred), ("blurred 5×5", very_blurred),
                   ("uniform noise", noise)]}  # fmt: skip

    models = {}
    grids = {}
    for name, make, d_loss, g_loss, iterations in [
        ("GAN (MLP)", lambda: (gan.mlp_discriminator(), gan.mlp_generator()), gan.discriminator_loss, gan.generator_loss, MLP_ITERATIONS),
        ("LSGAN (MLP)", lambda: (gan.mlp_discriminator(), gan.mlp_generator()), gan.ls_discriminator_loss, gan.ls_generator_loss,
         MLP_ITERATIONS),
        ("DCGAN", lambda: (gan.dc_discriminator(), gan.dc_generator()), gan.discriminator_loss, gan.generator_loss, DC_ITERATIONS),
    ]:  # fmt: skip
        torch.manual_seed(0)
        discriminator, generator = make()
        started = time.perf_counter()
        gan.train_gan(discriminator, generator, x_train, d_loss=d_loss, g_loss=g_loss, iterations=iterations)
        minutes = (time.perf_counter() - started) / 60
        samples = gan.generate(generator, gan.sample_noise(SAMPLES, gan.NOISE_DIM, generator=torch.Generator().manual_seed(1)))
        counts = torch.bincount(frechet.predicted_classes(samples), minlength=10)
        models[name] = {"frechet": frechet.frechet_distance(reference, samples), "minutes": minutes, "iterations": iterations,
                        "classes": counts.tolist()}  # fmt: skip
        grids[name] = samples[:64]
    save_sample_panels(grids, "generative_adversarial_networks_samples.png", side=8)
    return {"yardsticks": yardsticks, "models": models, "classes": list(fashion.classes)}


def render(figures: dict) -> str:
    yardsticks, models, classes = figures["yardsticks"], figures["models"], figures["classes"]
    dc_beats_mlp = models["DCGAN"]["frechet"] < models["GAN (MLP)"]["frechet"]
    lines = [
        f"## {TITLE}",
        "",
        f"The yardstick first: the Fréchet distance (`dl4cv.frechet`, features of the course's Fashion-MNIST "
        f"classifier) from {SAMPLES:,} real test images to other sets of {SAMPLES:,} images. Goal: real ≪ blurred ≪ noise.",
        "",
        "| images | Fréchet distance |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value:.2f} |" for name, value in yardsticks.items()]
    lines += [
        "",
        f"Then the reference GANs (Adam, lr 1e-3, β1 = 0.5, batch 128, seed 0), {SAMPLES:,} samples each. Goal: the "
        f"DCGAN better than the MLP GAN: **{'met' if dc_beats_mlp else 'not met'}** "
        f"({models['DCGAN']['frechet']:.1f} against {models['GAN (MLP)']['frechet']:.1f}).",
        "",
        "| model | steps | minutes (2 cores) | Fréchet distance | classes the course classifier sees (most common three) |",
        "|---|---|---|---|---|",
    ]
    for name, row in models.items():
        counts = sorted(enumerate(row["classes"]), key=lambda item: -item[1])[:3]
        seen = ", ".join(f"{classes[c]} {n / sum(row['classes']):.0%}" for c, n in counts)
        lines.append(f"| {name} | {row['iterations']:,} | {row['minutes']:.1f} | {row['frechet']:.1f} | {seen} |")
    lines += ["", "![GAN samples](results/generative_adversarial_networks_samples.png)", "", measured_line(figures)]
    return "\n".join(lines)
