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
        ### BEGIN SOLUTION
        channels = (in_channels, *widths)
        self.encoder = nn.ModuleList(conv_block(a, b) for a, b in zip(channels[:-1], channels[1:]))
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(len(widths) - 1))
        self.decoder = nn.ModuleList(conv_block(2 * w, w) for w in widths[:-1])
        self.head = nn.Conv2d(widths[0], out_channels, 1)
        ### END SOLUTION

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        skips = []
        x = images
        for level, block in enumerate(self.encoder):
            if level > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for level in reversed(range(len(self.up))):
            x = self.decoder[level](torch.cat([self.up[level](x), skips[level]], dim=1))
        return self.head(x)
        ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# 2. Losses


def pixel_cross_entropy(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy over every pixel, from the formula (log-sum-exp; no `F.cross_entropy`,
    `log_softmax` or `torch.nn` losses). logits (N, C, H, W), target (N, H, W) int64 in 0..C-1,
    weight (C,) or None → scalar. With weights, pixel p counts weight[target_p] times, and the sum is
    divided by the sum of those weights (as `F.cross_entropy` does); no loops."""
    ### BEGIN SOLUTION
    log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    picked = log_probabilities.gather(1, target.unsqueeze(1)).squeeze(1)
    if weight is None:
        return -picked.mean()
    pixel_weight = weight[target]
    return -(pixel_weight * picked).sum() / pixel_weight.sum()
    ### END SOLUTION


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smoothing: float = DICE_SMOOTHING) -> torch.Tensor:
    """1 − the mean over classes of the soft Dice coefficient. logits (N, C, H, W), target (N, H, W)
    → scalar. With p the softmax probabilities and t the one-hot target, class c's coefficient is
    (2 Σ p_c t_c + ε) / (Σ p_c + Σ t_c + ε), the sums running over the whole batch and every pixel;
    ε = `smoothing`. No loops."""
    ### BEGIN SOLUTION
    probabilities = logits.softmax(dim=1)
    one_hot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(probabilities.dtype)
    sums = (0, 2, 3)
    overlap = (probabilities * one_hot).sum(sums)
    dice = (2 * overlap + smoothing) / (probabilities.sum(sums) + one_hot.sum(sums) + smoothing)
    return 1 - dice.mean()
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# 3. Mean IoU


def confusion_matrix(predicted: torch.Tensor, target: torch.Tensor, classes: int) -> torch.Tensor:
    """(classes, classes) int64 counts: entry [t, p] is how many pixels of true class t were
    predicted p. predicted and target: int64 label maps of any one shape. No loops."""
    ### BEGIN SOLUTION
    pairs = target.flatten() * classes + predicted.flatten()
    return torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes)
    ### END SOLUTION


def class_iou(confusion: torch.Tensor) -> torch.Tensor:
    """(C, C) confusion matrix → (C,) float64 IoU of every class: true positives / (true positives +
    false positives + false negatives). A class absent from both prediction and truth gets NaN.
    No loops."""
    ### BEGIN SOLUTION
    confusion = confusion.double()
    hits = confusion.diagonal()
    union = confusion.sum(0) + confusion.sum(1) - hits
    return torch.where(union > 0, hits / union.clamp(min=1), torch.full_like(hits, math.nan))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    weights = torch.exp(-x**2 / (2 * sigma**2))
    return weights / weights.sum()
    ### END SOLUTION


def gaussian_blur(images: torch.Tensor, sigma: float, size: int) -> torch.Tensor:
    """The classical filter: (N, C, H, W) blurred by a size × size Gaussian of standard deviation
    `sigma` pixels, each channel on its own, the border padded by reflection (as
    `torchvision.transforms.functional.gaussian_blur`). Separable: one horizontal and one vertical
    pass of `gaussian_kernel` with a grouped `F.conv2d`. No loops; no torchvision."""
    ### BEGIN SOLUTION
    channels = images.shape[1]
    kernel = gaussian_kernel(sigma, size).to(images)
    pad = size // 2
    x = F.pad(images, (pad, pad, pad, pad), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, size).expand(channels, 1, 1, size), groups=channels)
    return F.conv2d(x, kernel.view(1, 1, size, 1).expand(channels, 1, size, 1), groups=channels)
    ### END SOLUTION


def psnr(clean: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) twice → (N,) peak signal-to-noise ratio of each image in dB, for a signal range
    of 1: 10 · log10(1 / mean squared error). No loops; no torchmetrics."""
    ### BEGIN SOLUTION
    mse = (clean - estimate).pow(2).flatten(1).mean(1)
    return -10 * torch.log10(mse)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    channels = clean.shape[1]
    kernel = gaussian_kernel(SSIM_SIGMA, SSIM_WINDOW).to(clean)
    window = (kernel[:, None] * kernel[None, :]).expand(channels, 1, SSIM_WINDOW, SSIM_WINDOW)

    pad = SSIM_WINDOW // 2

    def local_mean(x):
        return F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="reflect"), window, groups=channels)

    mu_x, mu_y = local_mean(clean), local_mean(estimate)
    var_x = local_mean(clean * clean) - mu_x**2
    var_y = local_mean(estimate * estimate) - mu_y**2
    covariance = local_mean(clean * estimate) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    index = (2 * mu_x * mu_y + c1) * (2 * covariance + c2) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return index.flatten(1).mean(1)
    ### END SOLUTION


def add_noise(images: torch.Tensor, sigmas: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Given: images + σ · standard normal noise, σ (N,) one level per image; not clipped."""
    noise = torch.randn(images.shape, generator=generator).to(images)
    return images + sigmas.to(images).view(-1, 1, 1, 1) * noise


def denoise(model: nn.Module, noisy: torch.Tensor) -> torch.Tensor:
    """The residual denoiser: the model predicts the noise, so the estimate is noisy − model(noisy),
    clipped to [0, 1]. noisy (N, C, H, W) → (N, C, H, W)."""
    ### BEGIN SOLUTION
    return (noisy - model(noisy)).clamp(0, 1)
    ### END SOLUTION


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
