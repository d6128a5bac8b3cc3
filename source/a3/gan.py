"""Generative adversarial networks (assignment a3, notebook generative_adversarial_networks): a
generator G turns noise into images, a discriminator D scores images as real or generated, and
the two are trained against each other.

Images are Fashion-MNIST (N, 1, 28, 28) scaled to [-1, 1] (the generator ends in tanh); noise is
(N, noise_dim); the discriminator returns logits (N,) — scores before the sigmoid, so that every
loss can be computed from them stably.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

NOISE_DIM = 96

# ---------------------------------------------------------------------------------------------
# Noise and the two MLPs


def sample_noise(batch_size: int, dim: int, *, generator: torch.Generator | None = None,
                 device: torch.device | str = "cpu") -> torch.Tensor:  # fmt: skip
    """Noise uniform on [-1, 1): (batch_size, dim) float32 on `device`, drawn with `generator`
    when one is given (the same generator state gives the same noise)."""
    ### BEGIN SOLUTION
    noise = 2 * torch.rand(batch_size, dim, generator=generator, device=device) - 1
    ### END SOLUTION
    return noise


def mlp_discriminator() -> nn.Module:
    """(N, 1, 28, 28) -> (N,) logits: flatten; Linear 784 -> 256; LeakyReLU(0.01); Linear 256 ->
    256; LeakyReLU(0.01); Linear 256 -> 1; drop the last axis."""
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.LeakyReLU(0.01), nn.Linear(256, 256), nn.LeakyReLU(0.01), nn.Linear(256, 1),
        nn.Flatten(0),
    )  # fmt: skip
    ### END SOLUTION
    return model


def mlp_generator(noise_dim: int = NOISE_DIM) -> nn.Module:
    """(N, noise_dim) -> (N, 1, 28, 28) in [-1, 1]: Linear noise_dim -> 1024; ReLU; Linear 1024 ->
    1024; ReLU; Linear 1024 -> 784; tanh; reshape."""
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 784), nn.Tanh(),
        nn.Unflatten(1, (1, 28, 28)),
    )  # fmt: skip
    ### END SOLUTION
    return model


# ---------------------------------------------------------------------------------------------
# Losses, from the formulas


def bce_from_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The binary cross-entropy of sigmoid(logits) against targets in [0, 1], elementwise, the same
    shape as logits:  -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)),  written so that it is
    finite for any finite logit (no sigmoid followed by a log: for |x| of a hundred or more the
    sigmoid rounds to 0 or 1). Not torch.nn.functional."""
    ### BEGIN SOLUTION
    loss = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))
    ### END SOLUTION
    return loss


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's side of the minimax game, a scalar: the mean binary cross-entropy of
    real images against label 1 plus that of generated images against label 0 (two means, added)."""
    ### BEGIN SOLUTION
    loss = bce_from_logits(real_logits, torch.ones_like(real_logits)).mean() + \
        bce_from_logits(fake_logits, torch.zeros_like(fake_logits)).mean()
    ### END SOLUTION
    return loss


def minimax_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's side of the original minimax game, a scalar: the mean of log(1 - D(G(z))),
    with D = sigmoid(logits), minimised. (Its gradient vanishes when D confidently rejects the
    fakes, which is why it is rarely used.)"""
    ### BEGIN SOLUTION
    loss = -bce_from_logits(fake_logits, torch.zeros_like(fake_logits)).mean()
    ### END SOLUTION
    return loss


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss, a scalar: the mean of -log D(G(z)) (the generated images
    against label 1)."""
    ### BEGIN SOLUTION
    loss = bce_from_logits(fake_logits, torch.ones_like(fake_logits)).mean()
    ### END SOLUTION
    return loss


def ls_discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN, the discriminator: 1/2 mean((D(x) - 1)^2) + 1/2 mean(D(G(z))^2), with
    D's raw scores (no sigmoid)."""
    ### BEGIN SOLUTION
    loss = 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores**2).mean()
    ### END SOLUTION
    return loss


def ls_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN, the generator: 1/2 mean((D(G(z)) - 1)^2)."""
    ### BEGIN SOLUTION
    loss = 0.5 * ((fake_scores - 1) ** 2).mean()
    ### END SOLUTION
    return loss


# ---------------------------------------------------------------------------------------------
# One training step


def gan_step(discriminator: nn.Module, generator: nn.Module, d_optimizer: torch.optim.Optimizer,
             g_optimizer: torch.optim.Optimizer, real: torch.Tensor, noise: torch.Tensor,
             d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
             g_loss: Callable[[torch.Tensor], torch.Tensor]) -> tuple[float, float]:  # fmt: skip
    """One step of GAN training on a batch of real images (N, 1, 28, 28) and noise (M, noise_dim):

    1. fakes = generator(noise);
    2. discriminator step: d_loss(discriminator(real), discriminator(fakes)) with the fakes cut
       from the generator's graph, backward, d_optimizer.step() — the generator gets no gradient;
    3. generator step: g_loss(discriminator(fakes)) through the *updated* discriminator (the same
       fakes, still attached), backward, g_optimizer.step() — only the generator moves.

    Each optimizer's gradients are zeroed before its backward pass. Returns both losses as floats.
    """
    ### BEGIN SOLUTION
    fakes = generator(noise)
    d_optimizer.zero_grad()
    loss_d = d_loss(discriminator(real), discriminator(fakes.detach()))
    loss_d.backward()
    d_optimizer.step()

    g_optimizer.zero_grad()
    loss_g = g_loss(discriminator(fakes))
    loss_g.backward()
    g_optimizer.step()
    ### END SOLUTION
    return loss_d.item(), loss_g.item()


# ---------------------------------------------------------------------------------------------
# DCGAN


def dc_discriminator() -> nn.Module:
    """(N, 1, 28, 28) -> (N,) logits: Conv 1 -> 32, 5x5; LeakyReLU(0.01); max-pool 2; Conv 32 ->
    64, 5x5; LeakyReLU(0.01); max-pool 2 (64 x 4 x 4 left); flatten; Linear 1024 -> 1024;
    LeakyReLU(0.01); Linear 1024 -> 1; drop the last axis. No padding anywhere."""
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 1024), nn.LeakyReLU(0.01), nn.Linear(1024, 1), nn.Flatten(0),
    )  # fmt: skip
    ### END SOLUTION
    return model


def dc_generator(noise_dim: int = NOISE_DIM) -> nn.Module:
    """(N, noise_dim) -> (N, 1, 28, 28) in [-1, 1]: Linear noise_dim -> 1024; ReLU; BatchNorm1d;
    Linear 1024 -> 7*7*128; ReLU; BatchNorm1d; reshape to (128, 7, 7); ConvTranspose 128 -> 64,
    4x4, stride 2, padding 1 (14 x 14); ReLU; BatchNorm2d; ConvTranspose 64 -> 1, 4x4, stride 2,
    padding 1 (28 x 28); tanh."""
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(), nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128), nn.ReLU(), nn.BatchNorm1d(7 * 7 * 128), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(), nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
    )  # fmt: skip
    ### END SOLUTION
    return model


# ---------------------------------------------------------------------------------------------
# Given: the training loop


def train_gan(discriminator: nn.Module, generator: nn.Module, images: torch.Tensor, *, d_loss, g_loss, iterations: int,
              batch_size: int = 128, noise_dim: int = NOISE_DIM, learning_rate: float = 1e-3, seed: int = 0,
              snapshots: int = 0) -> dict:  # fmt: skip
    """Given: `iterations` steps of `gan_step` with Adam (betas 0.5, 0.999) on batches drawn from
    `images` (N, 1, 28, 28) in [-1, 1]. Returns {"d_loss": [...], "g_loss": [...], "snapshots":
    [(iteration, (16, 1, 28, 28) samples of a fixed noise), ...]} with `snapshots` evenly spaced
    sample grids."""
    device = images.device
    torch.manual_seed(seed)
    generator_rng = torch.Generator(device=device).manual_seed(seed)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=learning_rate, betas=(0.5, 0.999))
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=learning_rate, betas=(0.5, 0.999))
    fixed_noise = sample_noise(16, noise_dim, generator=generator_rng, device=device)
    every = max(iterations // snapshots, 1) if snapshots else 0
    history: dict = {"d_loss": [], "g_loss": [], "snapshots": []}
    discriminator.train(), generator.train()
    for iteration in range(1, iterations + 1):
        picked = torch.randint(0, len(images), (batch_size,), generator=generator_rng, device=device)
        noise = sample_noise(batch_size, noise_dim, generator=generator_rng, device=device)
        loss_d, loss_g = gan_step(discriminator, generator, d_optimizer, g_optimizer, images[picked], noise, d_loss, g_loss)
        history["d_loss"].append(loss_d), history["g_loss"].append(loss_g)
        if every and iteration % every == 0:
            history["snapshots"].append((iteration, generate(generator, fixed_noise)))
            generator.train()
    generator.eval(), discriminator.eval()
    return history


@torch.no_grad()
def generate(generator: nn.Module, noise: torch.Tensor) -> torch.Tensor:
    """Given: generator(noise) in eval mode, on the CPU, mapped from [-1, 1] to [0, 1]."""
    generator.eval()
    return ((generator(noise) + 1) / 2).clamp(0, 1).cpu()
