"""Images made by gradient ascent on a frozen classifier (assignment a3, notebook
network_visualization): fooling images, which change a photo invisibly until the network sees
another class, and class visualisations, which start from noise and grow whatever the network
takes for a class. Images are RGB in [0, 1], (N, 3, H, W); the model normalises them itself.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def target_gradient(model: nn.Module, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Given: the gradient of each image's log-probability of its target class with respect to
    its pixels, (N, C, H, W). The model's parameters are not touched."""
    images = images.detach().requires_grad_(True)
    log_probabilities = model(images).log_softmax(-1).gather(1, targets[:, None])
    (gradient,) = torch.autograd.grad(log_probabilities.sum(), images)
    return gradient


def fooling_images(model: nn.Module, images: torch.Tensor, targets: torch.Tensor, *, max_change: float = 4 / 255,
                   step: float = 0.5 / 255, max_iterations: int = 100) -> torch.Tensor:  # fmt: skip
    """Change each image as little as possible until the model predicts its target class.

    Repeat, for at most `max_iterations` rounds and only while some image is not yet classified
    as its target: move every image that is not there yet by `step` times the sign of
    `target_gradient` (the iterative fast gradient sign method), then clip it back into the box
    |fooled - original| <= max_change, pixel by pixel, and into [0, 1]. Images already fooled
    stay as they are.

    Returns the fooled images, (N, C, H, W); `images` are not changed.
    """
    ### BEGIN SOLUTION
    original = images.detach()
    fooled = original.clone()
    for _ in range(max_iterations):
        with torch.no_grad():
            pending = model(fooled).argmax(-1) != targets
        if not pending.any():
            break
        moved = fooled + step * target_gradient(model, fooled, targets).sign()
        moved = torch.minimum(torch.maximum(moved, original - max_change), original + max_change).clamp(0, 1)
        fooled = torch.where(pending[:, None, None, None], moved, fooled)
    ### END SOLUTION
    return fooled


def class_visualization_step(model: nn.Module, image: torch.Tensor, target: int, *, learning_rate: float,
                             l2: float) -> torch.Tensor:  # fmt: skip
    """One step of gradient ascent on  score_target(image) - l2 * ||image - 0.5||^2, the step
    scaled so that its largest pixel change is `learning_rate`:

        g = gradient of the objective with respect to the image (1, C, H, W);
        next = image + learning_rate * g / max|g|.

    `score_target` is the target's logit. Returns the next image (not clamped; the loop that
    calls this one does that).
    """
    ### BEGIN SOLUTION
    image = image.detach().requires_grad_(True)
    objective = model(image)[0, target] - l2 * (image - 0.5).square().sum()
    (gradient,) = torch.autograd.grad(objective, image)
    stepped = image.detach() + learning_rate * gradient / gradient.abs().amax()
    ### END SOLUTION
    return stepped


def blur(image: torch.Tensor, sigma: float = 0.5) -> torch.Tensor:
    """Given: a small Gaussian blur of each channel, (N, C, H, W) -> same."""
    radius = max(1, int(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    kernel = torch.exp(-x**2 / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = image.shape[1]
    image = F.conv2d(F.pad(image, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1),
                     groups=channels)  # fmt: skip
    return F.conv2d(F.pad(image, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1),
                    groups=channels)  # fmt: skip


def visualize_class(model: nn.Module, target: int, *, size: int = 224, iterations: int = 200, learning_rate: float = 0.03,
                    l2: float = 1e-4, jitter: int = 8, blur_every: int = 10, seed: int = 0,
                    device: torch.device | str | None = None) -> torch.Tensor:  # fmt: skip
    """Given: grow an image of class `target` from grey noise with your `class_visualization_step`,
    shifting it by a random jitter before each step (and back after), blurring it now and then,
    and keeping it in [0, 1]. Returns (1, 3, size, size)."""
    gen = torch.Generator().manual_seed(seed)
    image = (0.5 + 0.05 * torch.randn(1, 3, size, size, generator=gen)).to(device)
    for iteration in range(iterations):
        dx, dy = torch.randint(-jitter, jitter + 1, (2,), generator=gen).tolist()
        image = torch.roll(image, (dy, dx), dims=(2, 3))
        image = class_visualization_step(model, image, target, learning_rate=learning_rate, l2=l2)
        image = torch.roll(image, (-dy, -dx), dims=(2, 3)).clamp(0, 1)
        if blur_every and (iteration + 1) % blur_every == 0:
            image = blur(image)
    return image.detach()
