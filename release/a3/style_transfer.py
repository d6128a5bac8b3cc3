"""Neural style transfer (assignment a3, notebook style_transfer): an image optimised so that a
frozen network sees the *content* of one picture and the *style* of another (Gatys, Ecker and
Bethge, 2016), texture synthesis and feature inversion with the same losses.

Images are RGB in [0, 1], (N, 3, H, W); feature maps are (N, C, H', W'). A `FeatureExtractor`
runs the first layers of a network and returns the maps of the layers asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

# What the loss of an image is made of: the targets it is compared with and the weights.


@dataclass
class Targets:
    """Given: what `image_loss` compares an image with.

    content_layer / content_features / content_weight: the layer whose maps should match the
        content image's, those maps (1, C, H', W'), and the weight (content_layer None: no
        content term);
    style_layers / style_grams / style_weights: for each layer, the style image's Gram matrix
        (1, C, C) and its weight (empty: no style term);
    tv_weight: the weight of the total-variation term.
    """

    content_layer: int | None
    content_features: torch.Tensor | None
    content_weight: float
    style_layers: tuple[int, ...]
    style_grams: tuple[torch.Tensor, ...]
    style_weights: tuple[float, ...]
    tv_weight: float


class FeatureExtractor:
    """Given: the feature maps of chosen layers of a frozen `nn.Sequential`.

    extractor(images, layers) -> [maps of layers[0], maps of layers[1], ...], running the
    network once, only as deep as the deepest layer asked for. `normalise` maps images in [0, 1]
    to the network's input scale.
    """

    def __init__(self, network: nn.Sequential, normalise: Callable[[torch.Tensor], torch.Tensor], name: str,
                 style_layers: tuple[int, ...], content_layer: int):  # fmt: skip
        self.network = network.eval().requires_grad_(False)
        self.normalise = normalise
        self.name = name
        self.style_layers = style_layers  # good default choices for this network
        self.content_layer = content_layer

    def __call__(self, images: torch.Tensor, layers: tuple[int, ...] | list[int]) -> list[torch.Tensor]:
        wanted = set(layers)
        found = {}
        maps = self.normalise(images)
        for index, layer in enumerate(self.network[: max(wanted) + 1]):
            maps = layer(maps)
            if index in wanted:
                found[index] = maps
        return [found[index] for index in layers]

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> FeatureExtractor:
        self.network.to(device, dtype)
        return self


def efficientnet_extractor(device: torch.device | str = "cpu") -> FeatureExtractor:
    """Given: the frozen ImageNet EfficientNet-Lite0 (offline). Its `features` are the stem
    (index 0, 1/2 of the image size), 16 blocks (1: 1/2; 2-3: 1/4; 4-5: 1/8; 6-11: 1/16; 12-16:
    1/32) and the head convolution (17)."""
    from dl4cv import pretrained

    model = pretrained.load_efficientnet_lite0(device)
    return FeatureExtractor(model.features, model.normalise, "EfficientNet-Lite0 (ImageNet)",
                            style_layers=(0, 1, 3, 5, 8), content_layer=5)  # fmt: skip


def random_extractor(device: torch.device | str = "cpu", seed: int = 0) -> FeatureExtractor:
    """Given: a small VGG-like network whose weights were never trained: 3x3 convolutions with
    random (He-scaled) filters and ReLUs, 64 -> 64 -> pool -> 128 -> 128 -> pool -> 256 channels."""
    generator = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for item in [(3, 64), (64, 64), "pool", (64, 128), (128, 128), "pool", (128, 256)]:
        if item == "pool":
            layers.append(nn.AvgPool2d(2))
            continue
        conv = nn.Conv2d(*item, 3, padding=1, padding_mode="reflect")
        with torch.no_grad():
            conv.weight.normal_(0.0, (2.0 / (9 * item[0])) ** 0.5, generator=generator)
            conv.bias.zero_()
        layers += [conv, nn.ReLU()]
    network = nn.Sequential(*layers).to(device)
    return FeatureExtractor(network, lambda images: (images - 0.45) / 0.25, "random VGG-like network (untrained)",
                            style_layers=(1, 3, 6, 8, 11), content_layer=6)  # fmt: skip


def vgg16_extractor(device: torch.device | str = "cpu", pretrained: bool = True) -> FeatureExtractor:
    """Given, online only: torchvision's ImageNet VGG-16 (the network of the original paper),
    downloaded once into torch's cache (528 MB). Raises RuntimeError offline (`DL4CV_OFFLINE`)."""
    from torchvision.models import VGG16_Weights, vgg16

    from dl4cv import data

    if pretrained and data.is_offline():
        raise RuntimeError("VGG-16's weights are a download and DL4CV_OFFLINE is on: use efficientnet_extractor()")
    weights = VGG16_Weights.IMAGENET1K_V1 if pretrained else None
    network = vgg16(weights=weights).features.to(device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)
    return FeatureExtractor(network, lambda images: (images - mean.to(images)) / std.to(images), "VGG-16 (ImageNet)",
                            style_layers=(1, 6, 11, 18, 25), content_layer=20)  # fmt: skip


# The losses.


def content_loss(features: torch.Tensor, target: torch.Tensor, weight: float) -> torch.Tensor:
    """weight * sum of (features - target)^2 over every element: a scalar.

    features, target: (N, C, H, W) maps of the same layer.
    """
    # YOUR CODE HERE
    raise NotImplementedError('content_loss: write your code here')
    return loss


def gram_matrix(features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """The Gram matrix of each example's feature maps: (N, C, H, W) -> (N, C, C),

        G[n, i, j] = sum over positions p of F[n, i, p] * F[n, j, p],

    divided by C * H * W when `normalize` (so layers of every size weigh alike). No loops.
    """
    # YOUR CODE HERE
    raise NotImplementedError('gram_matrix: write your code here')
    return gram


def style_loss(features: list[torch.Tensor], target_grams: list[torch.Tensor] | tuple[torch.Tensor, ...],
               weights: list[float] | tuple[float, ...]) -> torch.Tensor:  # fmt: skip
    """sum over layers l of weights[l] * sum of (gram_matrix(features[l]) - target_grams[l])^2:
    a scalar. features[l]: (N, C_l, H_l, W_l); target_grams[l]: (N, C_l, C_l) or (1, C_l, C_l)."""
    # YOUR CODE HERE
    raise NotImplementedError('style_loss: write your code here')
    return loss


def total_variation_loss(images: torch.Tensor, weight: float) -> torch.Tensor:
    """weight * (sum of squared differences between vertical neighbours + sum of squared
    differences between horizontal neighbours), over every image and channel: a scalar.
    images: (N, C, H, W). No loops."""
    # YOUR CODE HERE
    raise NotImplementedError('total_variation_loss: write your code here')
    return loss


def make_targets(extractor: FeatureExtractor, content: torch.Tensor | None = None, style: torch.Tensor | None = None, *,
                 content_layer: int | None = None, style_layers: tuple[int, ...] | None = None,
                 content_weight: float = 1.0, style_weights: tuple[float, ...] | float = 1.0,
                 tv_weight: float = 0.0) -> Targets:  # fmt: skip
    """Given: the targets of a content image (1, 3, H, W) and a style image (1, 3, H2, W2); either
    may be None. Layers default to the extractor's choices; one style weight is used for every
    style layer."""
    content_layer = extractor.content_layer if content_layer is None else content_layer
    style_layers = tuple(extractor.style_layers if style_layers is None else style_layers)
    with torch.no_grad():
        content_features = extractor(content, [content_layer])[0] if content is not None else None
        grams = tuple(gram_matrix(maps) for maps in extractor(style, style_layers)) if style is not None else ()
    if isinstance(style_weights, (int, float)):
        style_weights = (float(style_weights),) * len(style_layers)
    return Targets(content_layer if content is not None else None, content_features, content_weight,
                   style_layers if style is not None else (), grams, tuple(style_weights) if style is not None else (),
                   tv_weight)  # fmt: skip


def image_loss(extractor: FeatureExtractor, image: torch.Tensor, targets: Targets) -> dict[str, torch.Tensor]:
    """The loss of `image` (1, 3, H, W): {"content": ..., "style": ..., "tv": ..., "total": sum
    of the three}, each a scalar tensor (0 for a term the targets leave out).

    Call the extractor **once**, with every layer the content and style terms need, and use
    content_loss, style_loss and total_variation_loss.
    """
    # YOUR CODE HERE
    raise NotImplementedError('image_loss: write your code here')
    return {"content": content, "style": style, "tv": tv, "total": content + style + tv}


def optimise_image(extractor: FeatureExtractor, start: torch.Tensor, targets: Targets, *, iterations: int,
                   method: str = "adam", learning_rate: float = 0.02) -> torch.Tensor:  # fmt: skip
    """Minimise image_loss(...)["total"] over the pixels of a copy of `start` (1, 3, H, W) and
    return it (detached, the same shape).

    method "adam": `iterations` steps of torch.optim.Adam with `learning_rate`;
    method "lbfgs": `iterations` steps of torch.optim.LBFGS (learning rate 1, its defaults
        otherwise; each step evaluates a closure that may run several times).
    After every step put the pixels back into [0, 1]. `start` and the extractor's network stay
    unchanged, and no gradient is left in the network.
    """
    # YOUR CODE HERE
    raise NotImplementedError('optimise_image: write your code here')
    return image.detach()
