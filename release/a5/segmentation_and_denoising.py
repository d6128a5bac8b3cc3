"""a5 · Segmentation and denoising: what students write for the `segmentation_and_denoising` notebook.

One network, two jobs. A U-Net maps an image (N, C_in, H, W) to a map of the same height and
width (N, C_out, H, W): per-pixel class scores for **semantic segmentation** of the scenes (class 0
is the background, class k + 1 the Fashion-MNIST class k), or the noise in a noisy scene for
**denoising**. Images are floats in [0, 1]; label maps are int64 (N, H, W).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

SEGMENT_CLASSES = 11  # background + the 10 Fashion-MNIST classes
DICE_SMOOTHING = 1.0  # ε of the soft Dice loss

# ---------------------------------------------------------------------------------------------
# 1. The U-Net


def conv_block(inputs: int, outputs: int) -> nn.Sequential:
    """Given: two 3 × 3 convolutions (padding 1, no bias), each followed by batch norm and ReLU.
    (N, inputs, H, W) → (N, outputs, H, W)."""
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(),
        nn.Conv2d(outputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(),
    )  # fmt: skip


class UNet(nn.Module):
    """A U-Net with len(widths) levels; (N, in_channels, H, W) → (N, out_channels, H, W), where H
    and W are multiples of 2 ** (len(widths) - 1).

    Attributes (the names and order the tests load weights by), for widths (w_0, ..., w_L):
      - `encoder`: ModuleList of L + 1 `conv_block`s, in_channels → w_0 → w_1 → ... → w_L. Block i
        runs at 1 / 2**i of the input size: a 2 × 2 max pooling comes before every block but the first.
        The last block is the bottleneck.
      - `up`: ModuleList of L `nn.ConvTranspose2d(w_{i+1}, w_i, kernel_size=2, stride=2)`, i = 0..L-1,
        each doubling the height and width.
      - `decoder`: ModuleList of L `conv_block(2 * w_i, w_i)`, i = 0..L-1: each takes the upsampled
        features concatenated (on channels, upsampled first) with the encoder's output at the same
        size — the skip connection.
      - `head`: `nn.Conv2d(w_0, out_channels, 1)`.
    forward goes down the encoder, then up from the bottleneck: level L-1 first, level 0 last.
    """

    def __init__(self, in_channels: int, out_channels: int, widths: tuple[int, ...] = (16, 32, 64)):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


# ---------------------------------------------------------------------------------------------
# 2. Losses


def pixel_cross_entropy(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy over every pixel, from the formula (log-sum-exp; no `F.cross_entropy`,
    `log_softmax` or `torch.nn` losses). logits (N, C, H, W), target (N, H, W) int64 in 0..C-1,
    weight (C,) or None → scalar. With weights, pixel p counts weight[target_p] times, and the sum is
    divided by the sum of those weights (as `F.cross_entropy` does); no loops."""
    # YOUR CODE HERE
    raise NotImplementedError('pixel_cross_entropy: write your code here')


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smoothing: float = DICE_SMOOTHING) -> torch.Tensor:
    """1 − the mean over classes of the soft Dice coefficient. logits (N, C, H, W), target (N, H, W)
    → scalar. With p the softmax probabilities and t the one-hot target, class c's coefficient is
    (2 Σ p_c t_c + ε) / (Σ p_c + Σ t_c + ε), the sums running over the whole batch and every pixel;
    ε = `smoothing`. No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('soft_dice_loss: write your code here')


# ---------------------------------------------------------------------------------------------
# 3. Mean IoU


def confusion_matrix(predicted: torch.Tensor, target: torch.Tensor, classes: int) -> torch.Tensor:
    """(classes, classes) int64 counts: entry [t, p] is how many pixels of true class t were
    predicted p. predicted and target: int64 label maps of any one shape. No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('confusion_matrix: write your code here')


def class_iou(confusion: torch.Tensor) -> torch.Tensor:
    """(C, C) confusion matrix → (C,) float64 IoU of every class: true positives / (true positives +
    false positives + false negatives). A class absent from both prediction and truth gets NaN.
    No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('class_iou: write your code here')


def mean_iou(confusion: torch.Tensor) -> float:
    """Given: the mean IoU over the classes present in the prediction or the truth."""
    return float(class_iou(confusion).nanmean())


# ---------------------------------------------------------------------------------------------
# 4. Training (given)


def train_segmenter(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, *, epochs: int,
                    batch_size: int = 32, learning_rate: float = 1e-2, dice_weight: float = 1.0, crop: int | None = None,
                    seed: int = 0) -> list[float]:  # fmt: skip
    """Given: Adam with a one-cycle learning rate on pixel cross-entropy + dice_weight · soft Dice,
    half of each batch mirrored; with `crop`, each batch is one random crop × crop window of its
    scenes (cheaper steps; the network is fully convolutional, so it still segments whole scenes).
    images (N, 3, H, W), masks (N, H, W). Returns every step's loss."""
    generator = torch.Generator().manual_seed(seed)

    def loss_of(batch_images, batch_masks):
        if crop is not None:
            top, left = torch.randint(0, images.shape[-1] - crop + 1, (2,), generator=generator).tolist()
            batch_images = batch_images[..., top:top + crop, left:left + crop]
            batch_masks = batch_masks[..., top:top + crop, left:left + crop]
        logits = model(batch_images)
        return pixel_cross_entropy(logits, batch_masks) + dice_weight * soft_dice_loss(logits, batch_masks)

    return _fit(model, images, masks, loss_of, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                generator=generator)  # fmt: skip


@torch.no_grad()
def segment(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Given: (N, 3, H, W) → (N, H, W) int64 predicted classes, on the CPU."""
    device = next(model.parameters()).device
    model.eval()
    return torch.cat([model(part.to(device)).argmax(1).cpu() for part in images.split(batch_size)])


def _fit(model, images, targets, loss_of, *, epochs, batch_size, learning_rate, generator) -> list[float]:
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=steps)
    losses = []
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(images), generator=generator).split(batch_size):
            mirror = (torch.rand(len(batch), generator=generator) < 0.5).view(-1, 1, 1, 1)
            batch_images = torch.where(mirror, images[batch].flip(-1), images[batch])
            batch_targets = targets[batch]
            if batch_targets.dim() == 3:
                batch_targets = torch.where(mirror[:, 0], batch_targets.flip(-1), batch_targets)
            else:
                batch_targets = torch.where(mirror, batch_targets.flip(-1), batch_targets)
            loss = loss_of(batch_images.to(device), batch_targets.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
    model.eval()
    return losses


# ---------------------------------------------------------------------------------------------
# 5. Denoising


def gaussian_kernel(sigma: float, size: int) -> torch.Tensor:
    """(size,) float64 weights exp(−x² / 2σ²) at x = −(size−1)/2, ..., (size−1)/2, summing to 1."""
    # YOUR CODE HERE
    raise NotImplementedError('gaussian_kernel: write your code here')


def gaussian_blur(images: torch.Tensor, sigma: float, size: int) -> torch.Tensor:
    """The classical filter: (N, C, H, W) blurred by a size × size Gaussian of standard deviation
    `sigma` pixels, each channel on its own, the border padded by reflection (as
    `torchvision.transforms.functional.gaussian_blur`). Separable: one horizontal and one vertical
    pass of `gaussian_kernel` with a grouped `F.conv2d`. No loops; no torchvision."""
    # YOUR CODE HERE
    raise NotImplementedError('gaussian_blur: write your code here')


def psnr(clean: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) twice → (N,) peak signal-to-noise ratio of each image in dB, for a signal range
    of 1: 10 · log10(1 / mean squared error). No loops; no torchmetrics."""
    # YOUR CODE HERE
    raise NotImplementedError('psnr: write your code here')


SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def ssim(clean: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) twice → (N,) structural similarity of each image, for a signal range of 1.

    Local means μ, variances σ² and the covariance σ_xy are Gaussian-weighted averages over an
    SSIM_WINDOW × SSIM_WINDOW window of standard deviation SSIM_SIGMA (use `gaussian_kernel`), each
    channel on its own, at every pixel: both images are first padded by reflection by
    SSIM_WINDOW // 2 pixels on every side (as `torchmetrics` does), so the map has the image's size.
    With C1 = (K1)², C2 = (K2)², the map is
        (2 μ_x μ_y + C1)(2 σ_xy + C2) / ((μ_x² + μ_y² + C1)(σ_x² + σ_y² + C2)),
    averaged over channels and positions. No loops; no torchmetrics."""
    # YOUR CODE HERE
    raise NotImplementedError('ssim: write your code here')


def add_noise(images: torch.Tensor, sigmas: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Given: images + σ · standard normal noise, σ (N,) one level per image; not clipped."""
    noise = torch.randn(images.shape, generator=generator).to(images)
    return images + sigmas.to(images).view(-1, 1, 1, 1) * noise


def denoise(model: nn.Module, noisy: torch.Tensor) -> torch.Tensor:
    """The residual denoiser: the model predicts the noise, so the estimate is noisy − model(noisy),
    clipped to [0, 1]. noisy (N, C, H, W) → (N, C, H, W)."""
    # YOUR CODE HERE
    raise NotImplementedError('denoise: write your code here')


def train_denoiser(model: nn.Module, images: torch.Tensor, *, epochs: int, max_sigma: float = 0.5,
                   batch_size: int = 32, learning_rate: float = 1e-2, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: the model learns to predict the noise (mean squared error) at a level drawn uniformly
    from [0, max_sigma] for each image and step, mirrored half the time. images (N, C, H, W)."""
    generator = torch.Generator().manual_seed(seed)

    def loss_of(batch_images, _):
        sigmas = torch.rand(len(batch_images), generator=generator) * max_sigma
        noisy = add_noise(batch_images, sigmas, generator)
        return (model(noisy) - (noisy - batch_images)).pow(2).mean()

    return _fit(model, images, images, loss_of, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                generator=generator)  # fmt: skip


@torch.no_grad()
def denoise_all(model: nn.Module, noisy: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Given: `denoise` over (N, C, H, W) in batches, on the model's device; the result on the CPU."""
    device = next(model.parameters()).device
    model.eval()
    return torch.cat([denoise(model, part.to(device)).cpu() for part in noisy.split(batch_size)])
