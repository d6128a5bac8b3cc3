"""What the hidden tests of a3 `network_visualization` cannot check: the release raises a clear
NotImplementedError wherever students must write code and keeps the given helpers (class scores,
the target's gradient, the blur). Every check of the reference solution itself is a hidden test of
the notebook, proven by its simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "a3"


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5)).eval()


@pytest.mark.parametrize(
    "call",
    [
        lambda m, net, x, y: m.input_gradient(net, x, y),
        lambda m, net, x, y: m.saliency_map(net, x, y),
        lambda m, net, x, y: m.smoothgrad(net, x, y, torch.zeros(2, *x.shape)),
        lambda m, net, x, y: m.integrated_gradients(net, x, y, torch.zeros_like(x), steps=3),
        lambda m, net, x, y: m.grad_cam(net, net[0], x, y),
    ],
)
def test_released_attributions_are_stubs(call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(load_module(RELEASE / "attributions.py"), _net(), torch.rand(2, 3, 6, 6), torch.tensor([0, 3]))


def test_released_image_synthesis_is_stubs_around_given_helpers():
    synthesis = load_module(RELEASE / "image_synthesis.py")
    net, x = _net(), torch.rand(2, 3, 6, 6)
    with pytest.raises(NotImplementedError, match="fooling_images: write your code here"):
        synthesis.fooling_images(net, x, torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="class_visualization_step: write your code here"):
        synthesis.class_visualization_step(net, x[:1], 1, learning_rate=0.1, l2=0.0)
    gradient = synthesis.target_gradient(net, x, torch.tensor([1, 2]))
    leaf = x.clone().requires_grad_()
    net(leaf).log_softmax(-1)[[0, 1], [1, 2]].sum().backward()
    torch.testing.assert_close(gradient, leaf.grad)


def test_the_given_blur_keeps_a_flat_image_and_spreads_a_point():
    synthesis = load_module(RELEASE / "image_synthesis.py")
    flat = torch.full((1, 3, 9, 9), 0.3)
    torch.testing.assert_close(synthesis.blur(flat), flat)
    point = torch.zeros(1, 1, 9, 9)
    point[0, 0, 4, 4] = 1.0
    blurred = synthesis.blur(point)
    assert abs(blurred.sum().item() - 1.0) < 1e-6 and blurred[0, 0, 4, 4] < 1 and blurred[0, 0, 4, 5] > 0
