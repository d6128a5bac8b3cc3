"""a5 · Transfer learning: what students write for the `transfer_learning` notebook.

A network trained on ImageNet's 1.3 million photographs has learnt edges, textures and parts that
are useful far beyond ImageNet. With only a few hundred labelled images of our own there are
three ways to build a classifier, and this notebook tries all three on the same small sets:

- **from scratch**: a small CNN (`SmallCNN`, given) learns everything from those few images;
- **frozen features**: EfficientNet-Lite0's convolutional layers, pretrained and untouched,
  turn each image into 1,280 numbers, and only a linear layer on top is trained;
- **fine-tuning**: the whole pretrained network trains, the layers near the input more gently
  than those near the output (layer-wise learning rates), after a warm-up.

Images are floats in [0, 1], (N, C, H, W); labels are int64 (N,).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dl4cv.pretrained import EfficientNetLite0

FEATURES = 1280  # channels of EfficientNet-Lite0's last feature map


# ---------------------------------------------------------------------------------------------
# 1. Images an ImageNet network accepts, and augmentation


def to_network_input(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 1 or 3, h, w) in [0, 1] → (N, 3, size, size): resized bilinearly with antialiasing
    (`F.interpolate`, `align_corners=False`, `antialias=True`); a grey image is repeated on the
    three colour channels. Raises ValueError for any other number of channels."""
    # YOUR CODE HERE
    raise NotImplementedError('to_network_input: write your code here')


def random_crop_flip(images: torch.Tensor, padding: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Augment a batch, each image independently: pad with `padding` zeros on every side, cut a
    window of the original size at a random offset (dy, dx), each uniform in {0, ..., 2 * padding},
    then mirror left-right with probability 1/2. (N, C, H, W) → (N, C, H, W), a new tensor.

    Draw the randomness from `generator` (CPU; None means torch's global one). No loops over the
    batch: build the row and column indices of every output pixel and gather them at once."""
    # YOUR CODE HERE
    raise NotImplementedError('random_crop_flip: write your code here')


# ---------------------------------------------------------------------------------------------
# 2. Frozen features


def imagenet_normalise(images: torch.Tensor) -> torch.Tensor:
    """Given: RGB in [0, 1] → the scale EfficientNet-Lite0 was trained on (about [-1, 1])."""
    return (images - EfficientNetLite0.MEAN) / EfficientNetLite0.STD


def width_after(features: nn.Sequential, blocks: int) -> int:
    """Given: the number of channels of the feature map after the first `blocks` modules (every
    module of EfficientNet-Lite0 ends with a batch norm over its output channels)."""
    norms = [m for m in features[:blocks].modules() if isinstance(m, nn.BatchNorm2d)]
    return norms[-1].num_features


@torch.no_grad()
def extract_features(network: EfficientNetLite0, images: torch.Tensor, blocks: int | None = None,
                     batch_size: int = 128) -> torch.Tensor:  # fmt: skip
    """The pretrained network's description of each image: (N, 3, H, W) in [0, 1] → (N, D), the
    feature map after the first `blocks` modules of `network.features` (all 18 when None: then D =
    FEATURES and these are what the network's own classifier reads), applied to
    `imagenet_normalise(images)`, averaged over its height and width.

    Run in evaluation mode (batch norm uses its running statistics, so an image's features do not
    depend on the rest of its batch) in chunks of `batch_size` images, without building a graph,
    and leave the network in the mode it was in (training or evaluation)."""
    # YOUR CODE HERE
    raise NotImplementedError('extract_features: write your code here')


# ---------------------------------------------------------------------------------------------
# 3. A pretrained backbone with a new head


class TransferNet(nn.Module):
    """The first `blocks` modules of a pretrained EfficientNet-Lite0's `features` (all 18 when
    None) with a new head for `num_classes` classes:

        images (N, 3, H, W) in [0, 1] → features(imagenet_normalise(images))
        → mean over height and width (N, D) → dropout → head → (N, num_classes)

    Attributes: `features` (an `nn.Sequential` of those modules of `backbone.features`, the
    same module objects, so the pretrained weights come along), `dropout` (`nn.Dropout(dropout)`),
    `head` (`nn.Linear(D, num_classes)`, D = `width_after(backbone.features, blocks)`),
    `freeze_backbone` and `freeze_batchnorm`.

    - `freeze_backbone=True` (**frozen features**): no parameter of `features` requires a
      gradient, and `features` stays in evaluation mode even when the model is put in training
      mode, so that training changes nothing in it — not even batch norm's running statistics.
    - `freeze_batchnorm=True` (for **fine-tuning** on small batches): every parameter trains, but
      the `nn.BatchNorm2d` layers stay in evaluation mode during training: they normalise with the
      running statistics learnt on ImageNet and never update them (their scale and shift train).

    `model.train()` is what switches modes, so override `train(mode)`: call `super().train(mode)`,
    then put back in evaluation mode what must stay there (`model.eval()` calls `train(False)`).
    """

    def __init__(self, backbone: EfficientNetLite0, num_classes: int, *, blocks: int | None = None,
                 freeze_backbone: bool = False, freeze_batchnorm: bool = False, dropout: float = 0.2):  # fmt: skip
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('__init__: write your code here')

    def train(self, mode: bool = True) -> TransferNet:
        # YOUR CODE HERE
        raise NotImplementedError('train: write your code here')

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')


# ---------------------------------------------------------------------------------------------
# 4. Fine-tuning: layer-wise learning rates and a warm-up


def layerwise_param_groups(model: TransferNet, base_lr: float, decay: float) -> list[dict]:
    """Optimizer parameter groups that train the layers near the input more gently:

    - the head's parameters at `base_lr`;
    - the parameters of `model.features[i]` (i = 0 .. L-1, L = len(model.features)) at
      `base_lr * decay ** (L - i)`: the last block at base_lr · decay, the first at base_lr · decay^L.

    One group {"params": [...], "lr": ...} per module that has trainable parameters (head first,
    then features[L-1] down to features[0]); parameters that do not require a gradient are left
    out, and so are groups that would be empty."""
    # YOUR CODE HERE
    raise NotImplementedError('layerwise_param_groups: write your code here')


def warmup_cosine(step: int, total_steps: int, warmup_steps: int) -> float:
    """The learning-rate multiplier at optimizer step `step` (0-based, 0 ≤ step < total_steps):
    a linear warm-up (step + 1) / warmup_steps for the first `warmup_steps` steps, then a cosine
    decay from 1 towards 0: ½ (1 + cos(π (step − warmup_steps) / (total_steps − warmup_steps))).
    `warmup_steps` may be 0 (no warm-up) and is less than `total_steps`."""
    # YOUR CODE HERE
    raise NotImplementedError('warmup_cosine: write your code here')


# ---------------------------------------------------------------------------------------------
# Given: the baseline, the training loops and the measure


class SmallCNN(nn.Module):
    """Given: the from-scratch baseline, a CNN sized for a few hundred 28 × 28 images.
    (N, channels, H, W) → (N, num_classes); three conv–BN–ReLU–pool stages, then a linear layer
    on the globally pooled features."""

    def __init__(self, num_classes: int, channels: int = 1, width: int = 32):
        super().__init__()
        layers: list[nn.Module] = []
        inputs = channels
        for outputs in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(),
                       nn.MaxPool2d(2)]  # fmt: skip
            inputs = outputs
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(inputs, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(images).mean((2, 3))))


def train_classifier(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epochs: int,
                     lr: float = 1e-3, decay: float | None = None, warmup_epochs: int = 0,
                     batch_size: int = 32, weight_decay: float = 1e-4, padding: int = 0,
                     input_size: int | None = None, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: train `model` with AdamW on (images, labels) for `epochs` epochs of shuffled batches.

    `decay` (for a TransferNet) uses `layerwise_param_groups(model, lr, decay)`, otherwise every
    trainable parameter gets `lr`; the rate follows `warmup_cosine` step by step, with
    `warmup_epochs` of warm-up. `padding` > 0 augments every batch with `random_crop_flip`;
    `input_size` resizes batches with `to_network_input` after augmenting. Returns the loss of
    every step. The model ends in evaluation mode."""
    generator = torch.Generator().manual_seed(seed)
    if decay is None:
        groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]
    else:
        groups = layerwise_param_groups(model, lr, decay)
    optimizer = torch.optim.AdamW(groups, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    total = epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine(min(step, total - 1), total, warmup_epochs * steps_per_epoch))
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator).to(images.device)
        for batch in order.split(batch_size):
            x = images[batch]
            if padding:
                x = random_crop_flip(x, padding, generator)
            if input_size is not None:
                x = to_network_input(x, input_size)
            loss = F.cross_entropy(model(x), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
    model.eval()
    return losses


def fit_linear_probe(head: nn.Linear, features: torch.Tensor, labels: torch.Tensor, *, epochs: int = 300,
                     lr: float = 1e-2, weight_decay: float = 1e-3) -> list[float]:  # fmt: skip
    """Given: train a linear layer on fixed features (N, D) with full-batch Adam and weight decay:
    all the training "frozen features" needs, a second even on a CPU, because the backbone ran
    once beforehand. Returns the loss of every step."""
    optimizer = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in range(epochs):
        loss = F.cross_entropy(head(features), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, input_size: int | None = None,
            batch_size: int = 256) -> torch.Tensor:  # fmt: skip
    """Given: the class each image is given, int64 (N,), in evaluation mode (the mode is restored)."""
    was_training = model.training
    model.eval()
    out = []
    for chunk in images.split(batch_size):
        out.append(model(to_network_input(chunk, input_size) if input_size else chunk).argmax(1))
    model.train(was_training)
    return torch.cat(out)
