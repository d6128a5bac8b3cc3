"""What the hidden tests of a3 `style_transfer` cannot check: the release raises a clear
NotImplementedError wherever students must write code and keeps the given helpers working (the
feature extractor, the targets, the random and VGG networks' structure). Every check of the
reference solution itself is a hidden test of the notebook, proven by its simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a3" / "style_transfer.py"


@pytest.fixture(scope="module")
def released():
    return load_module(RELEASE)


def _tiny(module):
    torch.manual_seed(0)
    network = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 5, 3, stride=2, padding=1))
    return module.FeatureExtractor(network, lambda x: x - 0.5, "tiny", style_layers=(0, 2), content_layer=1)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m, x: m.content_loss(x, x, 1.0), "content_loss"),
        (lambda m, x: m.gram_matrix(x), "gram_matrix"),
        (lambda m, x: m.style_loss([x], [torch.zeros(1, 3, 3)], [1.0]), "gram_matrix|style_loss"),
        (lambda m, x: m.total_variation_loss(x, 1.0), "total_variation_loss"),
    ],
)
def test_released_losses_are_stubs(released, call, name):
    with pytest.raises(NotImplementedError, match=f"({name}): write your code here"):
        call(released, torch.rand(1, 3, 6, 6))


def test_released_loop_and_image_loss_are_stubs(released):
    extractor = _tiny(released)
    targets = released.Targets(None, None, 1.0, (), (), (), 1.0)
    image = torch.rand(1, 3, 8, 8)
    with pytest.raises(NotImplementedError, match="image_loss: write your code here"):
        released.image_loss(extractor, image, targets)
    with pytest.raises(NotImplementedError, match="optimise_image: write your code here"):
        released.optimise_image(extractor, image, targets, iterations=1)


def test_the_extractor_returns_the_layers_asked_for_in_order_and_is_frozen(released):
    extractor = _tiny(released)
    image = torch.rand(2, 3, 8, 8)
    late, early = extractor(image, [2, 0])
    network = extractor.network
    torch.testing.assert_close(early, network[0](image - 0.5))
    torch.testing.assert_close(late, network(image - 0.5))
    assert late.shape == (2, 5, 4, 4)
    assert not any(p.requires_grad for p in network.parameters()) and not network.training


def test_random_extractor_is_reproducible_and_untrained_and_vgg_has_its_layers(released):
    first, second = released.random_extractor(seed=3), released.random_extractor(seed=3)
    for a, b in zip(first.network.state_dict().values(), second.network.state_dict().values()):
        torch.testing.assert_close(a, b)
    maps = first(torch.rand(1, 3, 16, 16), list(first.style_layers))
    assert [m.shape[1:] for m in maps] == [(64, 16, 16), (64, 16, 16), (128, 8, 8), (128, 8, 8), (256, 4, 4)]
    vgg = released.vgg16_extractor(pretrained=False)  # the architecture only: no download
    shapes = [m.shape[1] for m in vgg(torch.rand(1, 3, 32, 32), list(vgg.style_layers) + [vgg.content_layer])]
    assert shapes == [64, 128, 256, 512, 512, 512]


def test_vgg16_refuses_to_download_offline(released, monkeypatch):
    monkeypatch.setenv("DL4CV_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="DL4CV_OFFLINE"):
        released.vgg16_extractor()


def test_make_targets_keeps_the_content_maps_and_the_style_grams_by_name(released, monkeypatch):
    extractor = _tiny(released)
    monkeypatch.setattr(released, "gram_matrix", lambda maps: maps.sum((2, 3))[:, :, None])  # any stand-in will do
    content, style = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 10, 6)
    targets = released.make_targets(extractor, content, style, style_weights=2.0, tv_weight=0.5)
    assert targets.content_layer == 1 and targets.style_layers == (0, 2) and targets.style_weights == (2.0, 2.0)
    torch.testing.assert_close(targets.content_features, extractor(content, [1])[0])
    torch.testing.assert_close(targets.style_grams[1], extractor(style, [2])[0].sum((2, 3))[:, :, None])
    only_style = released.make_targets(extractor, None, style)
    assert only_style.content_layer is None and only_style.content_features is None and len(only_style.style_grams) == 2
