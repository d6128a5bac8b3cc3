"""The a2 reference modules of fully_connected_networks (layers, optim, fc_net) against PyTorch
and autograd on every available device, their rules (no loops in the layers, no autograd, no
torch.nn.functional, no torch.optim), and the stubs students receive."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, assert_no_loops, forbidden_calls, numeric_gradient

from dl4cv.course.modules import load_module

from .conftest import ROOT

A2 = ROOT / "source" / "a2"

layers = load_module(A2 / "layers.py")
optim = load_module(A2 / "optim.py")
fc_net = load_module(A2 / "fc_net.py")
RELEASE = ROOT / "release" / "a2"
F64 = torch.float64
SHORTCUTS = [
    "torch.nn.functional", "torch.softmax", "torch.log_softmax", "torch.Tensor.softmax", "torch.Tensor.log_softmax",
    "torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward",
    "torch.optim.SGD", "torch.optim.RMSprop", "torch.optim.Adam", "torch.optim._functional",
]  # fmt: skip


def randn(*shape, device, seed=None):
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.randn(*shape, generator=gen, dtype=F64).to(device)


# --------------------------------------------------------------------------- gradient checker


def test_numerical_gradient_is_centred_and_restores_x(device):
    x = randn(4, 3, device=device, seed=0)
    saved = x.clone()
    got = layers.numerical_gradient(lambda t: (t**3).sum(), x, h=1e-2)
    assert torch.equal(x, saved)
    assert_close(got, 3 * x**2 + 1e-4, rtol=1e-9, atol=1e-11, check_device=True)  # exact for a cubic


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (1, 7)])
def test_numerical_gradient_matches_autograd_with_upstream(shape, device):
    x = randn(*shape, device=device, seed=len(shape))
    a = randn(shape[-1], 3, device=device, seed=9)
    f = lambda t: torch.tanh(t @ a) * 2 + t.sum()  # noqa: E731
    dout = randn(*f(x).shape, device=device, seed=4)
    leaf = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad((f(leaf) * dout).sum(), leaf)
    assert_close(layers.numerical_gradient(f, x, dout), expected, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- layers


@pytest.mark.parametrize(("shape", "m"), [((4, 5), 3), ((2, 3, 4), 6), ((7, 2, 3, 2), 1), ((1, 10), 4)])
def test_linear_forward_and_backward_match_autograd(shape, m, device):
    x = randn(*shape, device=device, seed=1).requires_grad_(True)
    w = randn(x[0].numel(), m, device=device, seed=2).requires_grad_(True)
    b = randn(m, device=device, seed=3).requires_grad_(True)
    dout = randn(shape[0], m, device=device, seed=4)
    expected_out = F.linear(x.reshape(shape[0], -1), w.T, b)
    expected = torch.autograd.grad((expected_out * dout).sum(), [x, w, b])
    out, cache = layers.linear_forward(x.detach(), w.detach(), b.detach())
    assert_close(out, expected_out, rtol=1e-10, atol=1e-12, check_device=True)
    for got, exp in zip(layers.linear_backward(dout, cache), expected):
        assert_close(got, exp, rtol=1e-9, atol=1e-12, check_device=True)


def test_layers_keep_float32(device):
    x, w, b = (torch.randn(*s, device=device) for s in ((3, 4), (4, 2), (2,)))
    assert layers.linear_forward(x, w, b)[0].dtype == torch.float32
    assert layers.relu_forward(x)[0].dtype == torch.float32
    _, ds = layers.softmax_loss(torch.tensor([[3e4, -3e4, 0.0]], device=device), torch.tensor([1], device=device))
    assert ds.dtype == torch.float32 and torch.isfinite(ds).all()


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4, 5)])
def test_relu_matches_autograd_with_zeros(shape, device):
    x = randn(*shape, device=device, seed=5)
    x.view(-1)[::3] = 0.0
    dout = randn(*shape, device=device, seed=6)
    leaf = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad((F.relu(leaf) * dout).sum(), leaf)
    out, cache = layers.relu_forward(x)
    assert torch.equal(out, F.relu(x))
    assert torch.equal(layers.relu_backward(dout, cache), expected)


def test_linear_relu_sandwich_matches_autograd(device):
    x = randn(3, 2, 5, device=device, seed=7).requires_grad_(True)
    w = randn(10, 7, device=device, seed=8).requires_grad_(True)
    b = randn(7, device=device, seed=9).requires_grad_(True)
    dout = randn(3, 7, device=device, seed=10)
    expected_out = F.relu(x.reshape(3, -1) @ w + b)
    expected = torch.autograd.grad((expected_out * dout).sum(), [x, w, b])
    out, cache = layers.linear_relu_forward(x.detach(), w.detach(), b.detach())
    assert_close(out, expected_out, rtol=1e-10, atol=1e-12)
    for got, exp in zip(layers.linear_relu_backward(dout, cache), expected):
        assert_close(got, exp, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("n", "c", "scale"), [(7, 3, 1.0), (20, 10, 5.0), (1, 2, 1.0), (12, 6, 500.0)])
def test_softmax_loss_matches_cross_entropy(n, c, scale, device):
    s = (scale * randn(n, c, device=device, seed=n)).requires_grad_(True)
    y = torch.randint(c, (n,), generator=torch.Generator().manual_seed(c)).to(device)
    expected_loss = F.cross_entropy(s, y)
    (expected,) = torch.autograd.grad(expected_loss, s)
    loss, ds = layers.softmax_loss(s.detach(), y)
    assert loss.dim() == 0
    expected_loss = float(expected_loss.detach())
    assert abs(float(loss) - expected_loss) <= 1e-9 * max(1.0, expected_loss)
    assert_close(ds, expected, rtol=1e-8, atol=1e-12, check_device=True)


@pytest.mark.parametrize(
    "func",
    ["linear_forward", "linear_backward", "relu_forward", "relu_backward", "linear_relu_forward",
     "linear_relu_backward", "softmax_loss"],
)  # fmt: skip
def test_layers_have_no_loops(func):
    assert_no_loops(getattr(layers, func))


# --------------------------------------------------------------------------- update rules


def torch_steps(make, w0, grads):
    w = w0.clone().requires_grad_(True)
    opt = make([w])
    for g in grads:
        w.grad = g.clone()
        opt.step()
    return w.detach()


def rule_steps(rule, w0, grads, config):
    w = w0.clone()
    for g in grads:
        w, config = rule(w, g, config)
    return w, config


RULES = [
    ("sgd", {"learning_rate": 0.3}, lambda p: torch.optim.SGD(p, lr=0.3)),
    ("sgd_momentum", {"learning_rate": 0.05, "momentum": 0.7}, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.7)),
    ("sgd_momentum", None, lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9)),
    ("rmsprop", {"learning_rate": 0.05, "decay_rate": 0.9, "epsilon": 1e-2},
     lambda p: torch.optim.RMSprop(p, lr=0.05, alpha=0.9, eps=1e-2)),
    ("rmsprop", None, lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.99, eps=1e-8)),
    ("adam", {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-2},
     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-2)),
    ("adam", None, lambda p: torch.optim.Adam(p, lr=1e-3)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "config", "make"), RULES)
def test_update_rules_match_torch_optim(name, config, make, device):
    w0 = randn(3, 4, device=device, seed=0)
    grads = [0.3 * randn(3, 4, device=device, seed=s) for s in range(1, 8)]
    got, config = rule_steps(getattr(optim, name), w0, grads, None if config is None else dict(config))
    assert_close(got, torch_steps(make, w0, grads), rtol=1e-6, atol=1e-12, check_device=True)
    if name == "adam":
        assert config["t"] == len(grads)


def test_update_rule_defaults_and_state():
    one = torch.ones(3, dtype=F64)
    _, c = optim.sgd_momentum(one, one)
    assert (c["learning_rate"], c["momentum"]) == (1e-2, 0.9) and "velocity" in c
    _, c = optim.rmsprop(one, one)
    assert (c["learning_rate"], c["decay_rate"], c["epsilon"]) == (1e-2, 0.99, 1e-8) and "cache" in c
    _, c = optim.adam(one, one)
    assert (c["learning_rate"], c["beta1"], c["beta2"], c["epsilon"], c["t"]) == (1e-3, 0.9, 0.999, 1e-8, 1)
    assert "m" in c and "v" in c


# --------------------------------------------------------------------------- the network


def test_he_init_shapes_and_std(device):
    net = fc_net.FullyConnectedNet([400, 250], input_dim=600, num_classes=7, weight_scale="he", dtype=F64,
                                   device=device, seed=1)
    dims = [600, 400, 250, 7]
    assert sorted(net.params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    for i in (1, 2, 3):
        w = net.params[f"W{i}"]
        assert w.shape == (dims[i - 1], dims[i]) and w.dtype == F64 and w.device.type == device.type
        assert not net.params[f"b{i}"].any()
        assert abs(w.std().item() / math.sqrt(2 / dims[i - 1]) - 1) < (0.04 if w.numel() > 20000 else 0.12)
    zeros = fc_net.FullyConnectedNet([5], input_dim=4, weight_scale=0.0)
    assert not any(v.any() for v in zeros.params.values())
    same = fc_net.FullyConnectedNet([400, 250], input_dim=600, num_classes=7, weight_scale="he", dtype=F64, seed=1)
    assert torch.equal(same.params["W2"], net.params["W2"].cpu())


def oracle_loss(params, num_layers, X, y, reg):
    h = X.reshape(X.shape[0], -1)
    for i in range(1, num_layers):
        h = F.relu(h @ params[f"W{i}"] + params[f"b{i}"])
    scores = h @ params[f"W{num_layers}"] + params[f"b{num_layers}"]
    return scores, F.cross_entropy(scores, y) + reg * sum(params[f"W{i}"].pow(2).sum() for i in range(1, num_layers + 1))


@pytest.mark.parametrize(("hidden", "in_shape", "reg"), [([9], (3, 2, 2), 0.0), ([12, 8], (10,), 0.3),
                                                          ([7, 11, 5], (2, 4), 1.1)])  # fmt: skip
def test_fc_net_loss_and_grads_match_autograd(hidden, in_shape, reg, device):
    gen = torch.Generator().manual_seed(len(hidden))
    net = fc_net.FullyConnectedNet(hidden, input_dim=math.prod(in_shape), num_classes=4, reg=reg,
                                   weight_scale=0.4, dtype=F64, device=device, seed=3)
    for k in net.params:
        net.params[k] = net.params[k] + 0.1 * torch.randn(net.params[k].shape, generator=gen, dtype=F64).to(device)
    X = torch.randn(13, *in_shape, generator=gen, dtype=F64).to(device)
    y = torch.randint(4, (13,), generator=gen).to(device)
    leaves = {k: v.clone().requires_grad_(True) for k, v in net.params.items()}
    scores, expected_loss = oracle_loss(leaves, net.num_layers, X, y, reg)
    expected = dict(zip(leaves, torch.autograd.grad(expected_loss, list(leaves.values()))))
    assert_close(net.loss(X), scores, rtol=1e-9, atol=1e-12, check_device=True)
    loss, grads = net.loss(X, y)
    expected_loss = float(expected_loss.detach())
    assert abs(float(loss) - expected_loss) < 1e-9 * max(1.0, expected_loss)
    assert set(grads) == set(net.params)
    for k in net.params:
        assert_close(grads[k], expected[k], rtol=1e-8, atol=1e-11, check_device=True, name=k)


@pytest.mark.parametrize(("normalization", "dropout"), [("batchnorm", 0.0), ("layernorm", 0.0), (None, 0.3),
                                                         ("batchnorm", 0.25)])  # fmt: skip
def test_given_normalisation_and_dropout_branches(normalization, dropout):
    """The given branches call batchnorm.py / dropout.py; with a fixed dropout seed the mask is
    the same on every call, so finite differences apply."""
    net = fc_net.FullyConnectedNet([6, 5], input_dim=4, num_classes=3, normalization=normalization, dropout=dropout,
                                   reg=0.1, weight_scale=0.5, dtype=F64, seed=0)
    if normalization:
        assert {"gamma1", "beta1", "gamma2", "beta2"} <= set(net.params) and "gamma3" not in net.params
        assert len(net.bn_params) == 2
    gen = torch.Generator().manual_seed(1)
    for k in net.params:  # random biases: a row zeroed by dropout must not sit on a ReLU kink
        net.params[k] = net.params[k] + 0.2 * torch.randn(net.params[k].shape, generator=gen, dtype=F64)
    X = torch.randn(7, 4, dtype=F64, generator=gen)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0])
    _, grads = net.loss(X, y)
    for k, v in net.params.items():
        assert_close(grads[k], numeric_gradient(lambda _: net.loss(X, y)[0], v), rtol=1e-5, atol=1e-8, name=k)
    net.loss(X)
    assert net.dropout_param["mode"] == "test" and all(p["mode"] == "test" for p in net.bn_params)


def test_fc_net_rejects_unknown_normalization():
    with pytest.raises(ValueError, match="normalization"):
        fc_net.FullyConnectedNet([3], normalization="groupnorm")


def test_no_shortcuts_anywhere(device):
    x = torch.randn(5, 2, 3, device=device)
    w, b, y = torch.randn(6, 4, device=device), torch.randn(4, device=device), torch.tensor([0, 3, 1, 1, 2], device=device)
    with forbidden_calls(*SHORTCUTS, modules=[layers, optim, fc_net]):
        out, cache = layers.linear_forward(x, w, b)
        layers.linear_backward(out, cache)
        layers.linear_relu_backward(out, layers.linear_relu_forward(x, w, b)[1])
        layers.softmax_loss(out, y)
        for rule in (optim.sgd, optim.sgd_momentum, optim.rmsprop, optim.adam):
            config = None
            for _ in range(2):
                w, config = rule(w, torch.randn_like(w), config)
        fc_net.FullyConnectedNet([7, 5], input_dim=6, num_classes=4, reg=0.2, device=device, seed=0).loss(x, y)


# --------------------------------------------------------------------------- the stubs


def stub_module(name: str):
    """The module as released (release/a2, kept in sync with source/ by a test): every solution
    region replaced by a NotImplementedError stub."""
    return load_module(RELEASE / f"{name}.py")


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("layers", lambda m: m.linear_forward(torch.ones(2, 3), torch.ones(3, 2), torch.ones(2))),
        ("layers", lambda m: m.linear_backward(torch.ones(2, 2), (torch.ones(2, 3), torch.ones(3, 2), torch.ones(2)))),
        ("layers", lambda m: m.relu_forward(torch.ones(2))),
        ("layers", lambda m: m.relu_backward(torch.ones(2), torch.ones(2))),
        ("layers", lambda m: m.linear_relu_forward(torch.ones(2, 3), torch.ones(3, 2), torch.ones(2))),
        ("layers", lambda m: m.linear_relu_backward(torch.ones(2, 2), None)),
        ("layers", lambda m: m.softmax_loss(torch.ones(2, 3), torch.zeros(2, dtype=torch.long))),
        ("layers", lambda m: m.numerical_gradient(lambda t: t.sum(), torch.ones(2, dtype=F64))),
        ("optim", lambda m: m.sgd_momentum(torch.ones(2), torch.ones(2))),
        ("optim", lambda m: m.rmsprop(torch.ones(2), torch.ones(2))),
        ("optim", lambda m: m.adam(torch.ones(2), torch.ones(2))),
        ("fc_net", lambda m: m.FullyConnectedNet([3], input_dim=2)),
    ],
)  # fmt: skip
def test_released_modules_are_stubs(module, call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(stub_module(module))


def test_released_sgd_is_given():
    next_w, config = stub_module("optim").sgd(torch.ones(2), torch.ones(2))
    assert torch.allclose(next_w, torch.full((2,), 0.99)) and config["learning_rate"] == 1e-2
