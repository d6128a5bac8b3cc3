"""The a2 inverted-dropout reference on every available device: the statistics PyTorch's dropout
has (fraction zeroed, exact scaling of kept units), mask reuse in backward, seeds, test mode, its
rules (no loops, no torch.nn), the fully connected net with dropout, and the released stubs."""

from __future__ import annotations

import math

import pytest
import torch

from dl4cv.course.modules import strip_solutions
from dl4cv.testing import assert_close, assert_no_loops, forbidden_calls, numeric_gradient, rel_error

from dl4cv.course.modules import load_module

from .conftest import ROOT

A2 = ROOT / "source" / "a2"
dropout = load_module(A2 / "dropout.py")
FORBIDDEN = ("torch.nn.functional", "torch.dropout", "torch.native_dropout", "torch.feature_dropout", "torch.alpha_dropout")


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_train_mode_statistics_and_exact_scaling(p, dtype, device):
    # magnitudes in [0.5, 1.5) and random signs: no input is 0 (torch.sign(randn) can be), so every zero is dropout's
    sign = torch.where(torch.rand(200, 300, device=device) < 0.5, -1.0, 1.0).to(dtype)
    x = (torch.rand(200, 300, dtype=dtype, device=device) + 0.5) * sign
    out, _ = dropout.dropout_forward(x, {"p": p, "mode": "train"})
    assert out.dtype == dtype and out.device.type == device.type and out.shape == x.shape
    zeroed = (out == 0).double().mean().item()
    sigma = math.sqrt(p * (1 - p) / x.numel())
    assert abs(zeroed - p) <= 6 * sigma + 1e-12, f"zeroed {zeroed:.4f} of the units, expected {p}"
    kept = out != 0
    assert_close(out[kept], x[kept] / (1 - p), rtol=1e-6 if dtype == torch.float32 else 1e-14, atol=0)


def test_test_mode_is_identity(device):
    x = torch.randn(5, 4, 3, device=device)
    out, cache = dropout.dropout_forward(x, {"p": 0.7, "mode": "test"})
    assert torch.equal(out, x)
    dout = torch.randn_like(x)
    assert torch.equal(dropout.dropout_backward(dout, cache), dout)


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_backward_reuses_the_mask(p, device):
    x = torch.rand(30, 40, dtype=torch.float64, device=device) + 0.1
    out, cache = dropout.dropout_forward(x, {"p": p, "mode": "train"})
    dout = torch.randn_like(x)
    dx = dropout.dropout_backward(dout, cache)
    assert_close(dx, dout * (out != 0) / (1 - p), rtol=1e-14, atol=0, name="dx")


def test_seed_gives_the_same_mask(device):
    x = torch.ones(50, 60, device=device)
    first, _ = dropout.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 3})
    again, _ = dropout.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 3})
    other, _ = dropout.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 4})
    assert torch.equal(first, again) and not torch.equal(first, other)
    torch.manual_seed(11)
    free_1, _ = dropout.dropout_forward(x, {"p": 0.5, "mode": "train"})
    free_2, _ = dropout.dropout_forward(x, {"p": 0.5, "mode": "train"})
    assert not torch.equal(free_1, free_2), "without a seed every call draws a new mask"


def test_rules_no_loops_no_shortcuts():
    assert_no_loops(dropout.dropout_forward)
    assert_no_loops(dropout.dropout_backward)
    with forbidden_calls(*FORBIDDEN, modules=[dropout]):
        out, cache = dropout.dropout_forward(torch.randn(6, 5), {"p": 0.3, "mode": "train"})
        dropout.dropout_backward(out, cache)


def test_fc_net_with_dropout_passes_a_gradient_check(device):
    fc_net = load_module(A2 / "fc_net.py")
    net = fc_net.FullyConnectedNet([7, 6], input_dim=5, num_classes=4, dropout=0.3, reg=0.05,
                                   weight_scale=0.6, dtype=torch.float64, device=device, seed=5)  # fmt: skip
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 5, generator=gen, dtype=torch.float64).to(device)
    y = torch.randint(4, (6,), generator=gen).to(device)
    _, grads = net.loss(x, y)
    for name, param in net.params.items():
        numeric = numeric_gradient(lambda _: net.loss(x, y)[0], param)
        assert rel_error(grads[name], numeric) < 1e-6, name
    scores = net.loss(x)
    net.dropout_param["p"] = 0.0
    assert torch.equal(scores, net.loss(x)), "test mode must ignore dropout"


@pytest.mark.parametrize("mode", ["train", "test"])
def test_released_module_is_a_stub(mode, tmp_path):
    released_path = tmp_path / "dropout.py"  # what `make release` writes to release/a2/
    released_path.write_text(strip_solutions((A2 / "dropout.py").read_text(), filename="dropout.py"))
    released = load_module(released_path)
    with pytest.raises(NotImplementedError, match="dropout_forward: write your code here"):
        released.dropout_forward(torch.ones(3), {"p": 0.5, "mode": mode})
    with pytest.raises(NotImplementedError, match="dropout_backward: write your code here"):
        released.dropout_backward(torch.ones(3), ({"p": 0.5, "mode": mode}, None))
