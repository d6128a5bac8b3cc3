"""The a2 batch/layer normalisation reference against `torch.nn.functional` and autograd on every
available device, its rules (no loops, no torch.nn, no autograd), the simplified backward's speed,
the fully connected net with normalisation, and the released module's stubs."""

from __future__ import annotations


import pytest
import torch
import torch.nn.functional as F

from dl4cv.course.modules import strip_solutions
from dl4cv.testing import assert_close, assert_no_loops, best_time, forbidden_calls

from dl4cv.course.modules import load_module

from .conftest import ROOT

A2 = ROOT / "source" / "a2"
bn = load_module(A2 / "batchnorm.py")
SHAPES = [(2, 1), (7, 5), (64, 30), (3, 100)]
FUNCTIONS = [bn.batchnorm_forward, bn.batchnorm_backward, bn.batchnorm_backward_alt, bn.layernorm_forward, bn.layernorm_backward]
FORBIDDEN = (
    "torch.nn.functional", "torch.batch_norm", "torch.layer_norm", "torch.native_batch_norm",
    "torch.native_layer_norm", "torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward",
)  # fmt: skip


def inputs(shape, device, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    n, d = shape
    x = (3 * torch.randn(n, d, generator=gen, dtype=dtype) + 2).to(device)
    gamma = torch.randn(d, generator=gen, dtype=dtype).to(device)
    beta = torch.randn(d, generator=gen, dtype=dtype).to(device)
    dout = torch.randn(n, d, generator=gen, dtype=dtype).to(device)
    return x, gamma, beta, dout


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batchnorm_forward_and_running_stats_match_torch(shape, momentum, device):
    _, gamma, beta, _ = inputs(shape, device)
    param = {"mode": "train", "momentum": momentum, "eps": 1e-4}
    running_mean = torch.zeros(shape[1], dtype=torch.float64, device=device)
    running_var = torch.ones(shape[1], dtype=torch.float64, device=device)
    for step in range(4):
        x = inputs(shape, device, seed=step + 1)[0]
        out, _ = bn.batchnorm_forward(x, gamma, beta, param)
        expected = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=momentum, eps=1e-4)
        assert out.device.type == device.type
        assert_close(out, expected, rtol=1e-9, atol=1e-11, name=f"train output, step {step}")
        assert_close(param["running_mean"], running_mean, rtol=1e-10, atol=1e-12, name="running_mean")
        assert_close(param["running_var"], running_var, rtol=1e-10, atol=1e-12, name="running_var")
    param["mode"] = "test"
    before = param["running_mean"].clone(), param["running_var"].clone()
    x = inputs(shape, device, seed=9)[0]
    out, _ = bn.batchnorm_forward(x, gamma, beta, param)
    expected = F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=1e-4)
    assert_close(out, expected, rtol=1e-9, atol=1e-11, name="test output")
    assert torch.equal(param["running_mean"], before[0]) and torch.equal(param["running_var"], before[1])


def test_batchnorm_creates_running_stats_and_keeps_float32(device):
    x = torch.randn(16, 6, device=device)
    param = {"mode": "train"}
    out, _ = bn.batchnorm_forward(x, torch.ones(6, device=device), torch.zeros(6, device=device), param)
    assert out.dtype == torch.float32 and param["running_var"].dtype == torch.float32
    assert param["running_mean"].device.type == device.type
    assert_close(param["running_mean"], 0.1 * x.mean(0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("backward", [bn.batchnorm_backward, bn.batchnorm_backward_alt], ids=lambda f: f.__name__)
def test_batchnorm_backward_matches_autograd(backward, shape, device):
    x, gamma, beta, dout = inputs(shape, device, seed=sum(shape))
    leaves = [t.clone().requires_grad_(True) for t in (x, gamma, beta)]
    out = F.batch_norm(leaves[0], None, None, leaves[1], leaves[2], training=True, eps=1e-5)
    expected = torch.autograd.grad(out, leaves, dout)
    _, cache = bn.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    for got, want, name in zip(backward(dout, cache), expected, ("dx", "dgamma", "dbeta")):
        assert_close(got, want, rtol=1e-7, atol=1e-10, name=name)


@pytest.mark.parametrize("shape", [(1, 4), *SHAPES])
def test_layernorm_matches_torch(shape, device):
    x, gamma, beta, dout = inputs(shape, device, seed=7 + sum(shape))
    leaves = [t.clone().requires_grad_(True) for t in (x, gamma, beta)]
    expected_out = F.layer_norm(leaves[0], (shape[1],), leaves[1], leaves[2], eps=1e-3)
    expected = torch.autograd.grad(expected_out, leaves, dout)
    out, cache = bn.layernorm_forward(x, gamma, beta, {"eps": 1e-3})
    assert_close(out, expected_out, rtol=1e-9, atol=1e-11, name="layernorm out")
    for got, want, name in zip(bn.layernorm_backward(dout, cache), expected, ("dx", "dgamma", "dbeta")):
        assert_close(got, want, rtol=1e-7, atol=1e-10, name=name)


def test_rules_no_loops_no_shortcuts():
    for function in FUNCTIONS:
        assert_no_loops(function)
    x, gamma, beta, dout = inputs((6, 4), "cpu")
    with forbidden_calls(*FORBIDDEN, modules=[bn]):
        _, cache = bn.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        bn.batchnorm_forward(x, gamma, beta, {"mode": "test"})
        bn.batchnorm_backward(dout, cache)
        bn.batchnorm_backward_alt(dout, cache)
        bn.layernorm_backward(dout, bn.layernorm_forward(x, gamma, beta, {})[1])


def test_simplified_backward_is_not_slower():
    x, gamma, beta, dout = inputs((64, 32), "cpu", dtype=torch.float32)
    _, cache = bn.batchnorm_forward(x, gamma, beta, {"mode": "train"})

    def repeat(backward):
        return lambda: [backward(dout, cache) for _ in range(300)]

    ratio = best_time(repeat(bn.batchnorm_backward)) / best_time(repeat(bn.batchnorm_backward_alt))
    assert ratio > 0.5, f"simplified backward {ratio:.2f}x the graph form's speed"


def load_fc_net():
    """source/a2/fc_net.py, its plain `import batchnorm, dropout, layers` served from source/a2."""
    return load_module(A2 / "fc_net.py")


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_fc_net_with_normalisation_matches_autograd(normalization, device):
    fc_net = load_fc_net()
    net = fc_net.FullyConnectedNet([6, 5], input_dim=4, num_classes=3, normalization=normalization,
                                   weight_scale=0.7, dtype=torch.float64, device=device, seed=1)  # fmt: skip
    gen = torch.Generator().manual_seed(2)
    for i in (1, 2):
        net.params[f"gamma{i}"] = (1 + 0.3 * torch.randn(net.params[f"gamma{i}"].shape, generator=gen, dtype=torch.float64)).to(device)
    x = torch.randn(8, 4, generator=gen, dtype=torch.float64).to(device)
    y = torch.randint(3, (8,), generator=gen).to(device)
    leaves = {k: v.clone().requires_grad_(True) for k, v in net.params.items()}
    h = x
    for i in (1, 2):
        h = h @ leaves[f"W{i}"] + leaves[f"b{i}"]
        if normalization == "batchnorm":
            h = F.batch_norm(h, None, None, leaves[f"gamma{i}"], leaves[f"beta{i}"], training=True)
        else:
            h = F.layer_norm(h, (h.shape[1],), leaves[f"gamma{i}"], leaves[f"beta{i}"])
        h = h.clamp_min(0)
    expected_loss = F.cross_entropy(h @ leaves["W3"] + leaves["b3"], y)
    expected = dict(zip(leaves, torch.autograd.grad(expected_loss, list(leaves.values()))))
    loss, grads = net.loss(x, y)
    assert abs(float(loss) - expected_loss.item()) < 1e-10
    for name, want in expected.items():
        assert_close(grads[name], want, rtol=1e-7, atol=1e-10, name=f"grads[{name}]")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.batchnorm_forward(torch.ones(2, 2), torch.ones(2), torch.ones(2), {"mode": "train"}),
        lambda m: m.batchnorm_forward(torch.ones(2, 2), torch.ones(2), torch.ones(2), {"mode": "test"}),
        lambda m: m.batchnorm_backward(torch.ones(2, 2), None),
        lambda m: m.batchnorm_backward_alt(torch.ones(2, 2), None),
        lambda m: m.layernorm_forward(torch.ones(2, 2), torch.ones(2), torch.ones(2), {}),
        lambda m: m.layernorm_backward(torch.ones(2, 2), None),
    ],
)
def test_released_module_is_a_stub(call, tmp_path):
    released_path = tmp_path / "batchnorm.py"  # what `make release` writes to release/a2/
    released_path.write_text(strip_solutions((A2 / "batchnorm.py").read_text(), filename="batchnorm.py"))
    released = load_module(released_path)
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released)
