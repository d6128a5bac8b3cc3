"""What the hidden tests of a5 `segmentation_and_denoising` cannot check: the release raises a
clear NotImplementedError wherever students must write code, and the given training loops, noise
and segmentation helpers do what the notebook says. Every check of the reference solution itself
is a hidden test of the notebook, proven by its simulated class
(`dl4cv prove a5 --notebook segmentation_and_denoising`)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a5" / "segmentation_and_denoising.py"
IMAGES = torch.rand(2, 3, 8, 8)
LABELS = torch.randint(0, 3, (2, 8, 8))


@pytest.fixture(scope="module")
def released():
    return load_module(RELEASE)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: m.UNet(3, 2, (4, 8)), "__init__"),
        (lambda m: m.pixel_cross_entropy(torch.zeros(2, 3, 8, 8), LABELS), "pixel_cross_entropy"),
        (lambda m: m.soft_dice_loss(torch.zeros(2, 3, 8, 8), LABELS), "soft_dice_loss"),
        (lambda m: m.confusion_matrix(LABELS, LABELS, 3), "confusion_matrix"),
        (lambda m: m.class_iou(torch.eye(3, dtype=torch.int64)), "class_iou"),
        (lambda m: m.gaussian_kernel(1.0, 5), "gaussian_kernel"),
        (lambda m: m.gaussian_blur(IMAGES, 1.0, 5), "gaussian_blur"),
        (lambda m: m.psnr(IMAGES, IMAGES), "psnr"),
        (lambda m: m.ssim(IMAGES, IMAGES), "ssim"),
        (lambda m: m.denoise(lambda x: x, IMAGES), "denoise"),
    ],
)
def test_released_functions_are_stubs(released, call, name):
    with pytest.raises(NotImplementedError, match=f"{name}: write your code here"):
        call(released)


class Recorder(nn.Module):
    """A 'segmenter' that remembers what it was shown; one learnable scale so the optimiser runs."""

    def __init__(self, classes: int):
        super().__init__()
        self.classes = classes
        self.scale = nn.Parameter(torch.ones(()))
        self.seen: list[torch.Tensor] = []

    def forward(self, images):
        self.seen.append(images.detach().clone())
        return self.scale * images[:, :1].repeat(1, self.classes, 1, 1)


def test_segmenter_training_mirrors_images_and_masks_together(released, monkeypatch):
    """Each image's mask must be flipped with it: the loss sees masks equal to the images' own labels."""
    images = torch.randint(0, 3, (24, 1, 6, 6)).float().expand(-1, 3, -1, -1).contiguous()
    masks = images[:, 0].long()
    pairs = []
    monkeypatch.setattr(released, "pixel_cross_entropy", lambda logits, target: (pairs.append(target.clone()), logits.mean())[1])
    monkeypatch.setattr(released, "soft_dice_loss", lambda logits, target: logits.mean() * 0)
    model = Recorder(3)
    released.train_segmenter(model, images, masks, epochs=2, batch_size=8, seed=1)
    assert len(model.seen) == len(pairs) == 6
    flipped_some = False
    for seen, target in zip(model.seen, pairs):
        assert torch.equal(seen[:, 0].long(), target)
        flipped_some |= not any(torch.equal(seen[0], image) for image in images)
    assert flipped_some, "no batch held a mirrored image"


def test_segmenter_crops_one_window_per_batch(released, monkeypatch):
    images = torch.rand(16, 3, 12, 12)
    masks = torch.randint(0, 2, (16, 12, 12))
    monkeypatch.setattr(released, "pixel_cross_entropy", lambda logits, target: logits.mean())
    monkeypatch.setattr(released, "soft_dice_loss", lambda logits, target: logits.mean() * 0)
    model = Recorder(2)
    released.train_segmenter(model, images, masks, epochs=1, batch_size=8, crop=5, seed=0)
    assert [tuple(s.shape) for s in model.seen] == [(8, 3, 5, 5)] * 2


def test_noise_has_the_requested_level_per_image(released):
    clean = torch.rand(4, 1, 64, 64, dtype=torch.float64)
    sigmas = torch.tensor([0.0, 0.1, 0.3, 0.5])
    noisy = released.add_noise(clean, sigmas, torch.Generator().manual_seed(0))
    measured = (noisy - clean).flatten(1).std(1)
    assert torch.allclose(measured, sigmas.double(), atol=0.02)
    assert noisy.dtype == torch.float64


def test_denoiser_training_targets_the_noise(released):
    """A model that returns its input minus the clean image would be perfect: the loss the given loop
    reports for such an oracle is zero, so the loop's target is the noise itself."""
    clean = torch.rand(8, 1, 8, 8)
    candidates = torch.cat([clean, clean.flip(-1)])  # the loop mirrors half of each batch

    class Oracle(nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(()))

        def forward(self, noisy):  # each clean image is found again as the candidate nearest its noisy copy
            nearest = ((noisy[:, None] - candidates[None]) ** 2).flatten(2).mean(2).argmin(1)
            return noisy - candidates[nearest] + self.dummy * 0

    losses = released.train_denoiser(Oracle(), clean, epochs=1, max_sigma=0.05, batch_size=8, seed=0)
    assert len(losses) == 1 and losses[0] < 1e-10


def test_mean_iou_skips_classes_that_never_appear(released, monkeypatch):
    monkeypatch.setattr(released, "class_iou", lambda confusion: torch.tensor([0.5, math.nan, 1.0], dtype=torch.float64))
    assert released.mean_iou(torch.zeros(3, 3)) == pytest.approx(0.75)
