"""What the hidden tests of a3 `generative_adversarial_networks` cannot check: the release raises a
clear NotImplementedError wherever students must write code, and the given training loop and
sample helper do what the notebook says. Every check of the reference solution itself is a hidden
test of the notebook, proven by its simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a3" / "gan.py"


@pytest.fixture
def released():
    return load_module(RELEASE)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: m.sample_noise(2, 3), "sample_noise"),
        (lambda m: m.mlp_discriminator(), "mlp_discriminator"),
        (lambda m: m.mlp_generator(), "mlp_generator"),
        (lambda m: m.bce_from_logits(torch.zeros(2), torch.ones(2)), "bce_from_logits"),
        (lambda m: m.discriminator_loss(torch.zeros(2), torch.zeros(2)), "discriminator_loss"),
        (lambda m: m.minimax_generator_loss(torch.zeros(2)), "minimax_generator_loss"),
        (lambda m: m.generator_loss(torch.zeros(2)), "generator_loss"),
        (lambda m: m.ls_discriminator_loss(torch.zeros(2), torch.zeros(2)), "ls_discriminator_loss"),
        (lambda m: m.ls_generator_loss(torch.zeros(2)), "ls_generator_loss"),
        (lambda m: m.gan_step(None, None, None, None, None, None, None, None), "gan_step"),
        (lambda m: m.dc_discriminator(), "dc_discriminator"),
        (lambda m: m.dc_generator(), "dc_generator"),
    ],
)
def test_released_functions_are_stubs(released, call, name):
    with pytest.raises(NotImplementedError, match=f"{name}: write your code here"):
        call(released)


def test_generate_maps_tanh_outputs_to_pixels_in_eval_mode(released):
    generator = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.9), torch.nn.Unflatten(1, (1, 2, 2)))
    noise = torch.randn(5, 3)
    images = released.generate(generator, noise)
    assert not generator.training, "samples come from the generator in eval mode"
    with torch.no_grad():
        want = ((generator(noise) + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(images, want)
    assert images.min() >= 0 and images.max() <= 1 and images.device.type == "cpu"


def test_train_gan_runs_the_step_it_is_given_on_seeded_batches_and_keeps_snapshots(released, monkeypatch):
    calls = []

    def step(discriminator, generator, d_optimizer, g_optimizer, real, noise, d_loss, g_loss):
        calls.append((real.clone(), noise.clone()))
        return float(len(calls)), -float(len(calls))

    monkeypatch.setattr(released, "sample_noise", lambda n, d, generator=None, device="cpu": torch.rand(n, d, generator=generator, device=device) * 2 - 1)
    monkeypatch.setattr(released, "gan_step", step)
    images = torch.rand(50, 1, 2, 2) * 2 - 1
    make = lambda: (torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1)),
                    torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Unflatten(1, (1, 2, 2))))  # fmt: skip
    history = released.train_gan(*make(), images, d_loss=None, g_loss=None, iterations=12, batch_size=8, noise_dim=3, snapshots=3)
    assert history["d_loss"] == [float(k) for k in range(1, 13)] and history["g_loss"] == [-float(k) for k in range(1, 13)]
    assert [i for i, _ in history["snapshots"]] == [4, 8, 12]
    assert all(grid.shape == (16, 1, 2, 2) for _, grid in history["snapshots"])
    assert all(real.shape == (8, 1, 2, 2) and noise.shape == (8, 3) for real, noise in calls)
    assert all(any(torch.equal(row, image) for image in images) for real, _ in calls for row in real), "batches are real images"
    first = [c[0] for c in calls]
    calls.clear()
    released.train_gan(*make(), images, d_loss=None, g_loss=None, iterations=12, batch_size=8, noise_dim=3)
    assert all(torch.equal(a, b[0]) for a, b in zip(first, calls)), "the same seed draws the same batches"
