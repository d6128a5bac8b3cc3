"""The a2 convolutional_networks reference (conv_layers.py, cnn.py) against PyTorch on every
available device: conv2d, max_pool2d, unfold/fold, batch_norm, group_norm and autograd; the
rules (no loops in the vectorised layers, no torch.nn.functional or autograd); and the released
modules raising a clear NotImplementedError where students write code."""

from __future__ import annotations


import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, assert_no_loops, forbidden_calls

from dl4cv.course.modules import load_module

from .conftest import ROOT

A2 = ROOT / "source" / "a2"
conv_layers = load_module(A2 / "conv_layers.py")
cnn = load_module(A2 / "cnn.py")

FORBIDDEN = [
    "torch.nn.functional", "torch.nn.grad", "torch.conv2d", "torch.convolution", "torch._C._nn.im2col",
    "torch._C._nn.col2im", "torch.max_pool2d", "torch.batch_norm", "torch.group_norm",
    "torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward",
]  # fmt: skip
CONV_SHAPES = [  # N, C, H, W, F, HH, WW, stride, pad
    (2, 3, 7, 6, 4, 3, 3, 1, 1),
    (3, 2, 8, 9, 3, 3, 2, 2, 0),
    (1, 4, 6, 7, 2, 4, 4, 2, 2),
    (2, 1, 5, 5, 3, 1, 1, 1, 0),
]
POOL_SHAPES = [(2, 3, 8, 8, 2, 2, 2), (2, 2, 7, 9, 3, 2, 1), (1, 3, 9, 7, 3, 3, 2)]  # N, C, H, W, ph, pw, stride


def _leaf(t: torch.Tensor) -> torch.Tensor:
    return t.detach().clone().requires_grad_()


def _randn(*shape, device):
    return torch.randn(*shape, dtype=torch.float64, device=device)


def _check_conv(forward, backward, device):
    for N, C, H, W, Fn, HH, WW, stride, pad in CONV_SHAPES:
        x, w, b = _randn(N, C, H, W, device=device), _randn(Fn, C, HH, WW, device=device), _randn(Fn, device=device)
        xr, wr, br = _leaf(x), _leaf(w), _leaf(b)
        expected = F.conv2d(xr, wr, br, stride=stride, padding=pad)
        dout = torch.randn_like(expected)
        expected.backward(dout)
        out, cache = forward(x, w, b, {"stride": stride, "pad": pad})
        assert out.device == x.device
        assert_close(out, expected, rtol=1e-9, atol=1e-10, name=forward.__name__)
        for got, want, name in zip(backward(dout, cache), (xr.grad, wr.grad, br.grad), ("dx", "dw", "db")):
            assert_close(got, want, rtol=1e-9, atol=1e-10, name=f"{backward.__name__} {name}")


def test_naive_convolution_matches_conv2d(device):
    _check_conv(conv_layers.conv_forward_naive, conv_layers.conv_backward_naive, device)


def test_fast_convolution_matches_conv2d(device):
    _check_conv(conv_layers.conv_forward_fast, conv_layers.conv_backward_fast, device)


def test_im2col_and_col2im_match_unfold_and_fold(device):
    for N, C, H, W, _, HH, WW, stride, pad in CONV_SHAPES:
        x = _randn(N, C, H, W, device=device)
        cols = conv_layers.im2col(x, HH, WW, stride, pad)
        assert_close(cols, F.unfold(x, (HH, WW), padding=pad, stride=stride), name="im2col")
        back = conv_layers.col2im(cols, x.shape, HH, WW, stride, pad)
        assert_close(back, F.fold(cols, (H, W), (HH, WW), padding=pad, stride=stride), name="col2im")


@pytest.mark.parametrize("kind", ["naive", "fast"])
def test_max_pool_matches_max_pool2d(kind, device):
    forward = getattr(conv_layers, f"max_pool_forward_{kind}")
    backward = getattr(conv_layers, f"max_pool_backward_{kind}")
    for N, C, H, W, ph, pw, stride in POOL_SHAPES:
        x = _randn(N, C, H, W, device=device)
        xr = _leaf(x)
        expected = F.max_pool2d(xr, (ph, pw), stride)
        dout = torch.randn_like(expected)
        expected.backward(dout)
        out, cache = forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
        assert_close(out, expected, name=forward.__name__)
        assert_close(backward(dout, cache), xr.grad, name=backward.__name__)


def test_spatial_batchnorm_matches_batch_norm(device):
    x = 3 * _randn(4, 3, 5, 6, device=device) + 1
    gamma, beta = _randn(3, device=device), _randn(3, device=device)
    running_mean, running_var = torch.zeros(3, dtype=x.dtype, device=device), torch.ones(3, dtype=x.dtype, device=device)
    bn_param = {"mode": "train"}
    for _ in range(2):
        xr, gr, br = _leaf(x), _leaf(gamma), _leaf(beta)
        expected = F.batch_norm(xr, running_mean, running_var, gr, br, training=True)
        dout = torch.randn_like(expected)
        expected.backward(dout)
        out, cache = conv_layers.spatial_batchnorm_forward(x, gamma, beta, bn_param)
        assert_close(out, expected, name="spatial batchnorm (train)")
        assert_close(bn_param["running_mean"], running_mean, name="running mean")
        assert_close(bn_param["running_var"], running_var, name="running var")
        dx, dgamma, dbeta = conv_layers.spatial_batchnorm_backward(dout, cache)
        assert_close(dx, xr.grad, name="dx")
        assert_close(dgamma, gr.grad, name="dgamma")
        assert_close(dbeta, br.grad, name="dbeta")
        x = x + 0.5
    bn_param["mode"] = "test"
    out, _ = conv_layers.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert_close(out, F.batch_norm(x, running_mean, running_var, gamma, beta, training=False), name="test mode")


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_spatial_groupnorm_matches_group_norm(groups, device):
    x = 2 * _randn(3, 6, 4, 5, device=device) - 1
    xr, gr, br = _leaf(x), _leaf(_randn(6, device=device)), _leaf(_randn(6, device=device))
    expected = F.group_norm(xr, groups, gr, br, eps=1e-4)
    dout = torch.randn_like(expected)
    expected.backward(dout)
    out, cache = conv_layers.spatial_groupnorm_forward(x, gr.detach(), br.detach(), groups, {"eps": 1e-4})
    assert_close(out, expected, name="group norm")
    for got, want, name in zip(conv_layers.spatial_groupnorm_backward(dout, cache), (xr.grad, gr.grad, br.grad), "xgb"):
        assert_close(got, want, name=f"group norm d{name}")


def test_conv_relu_pool_sandwich(device):
    x, w, b = _randn(2, 3, 8, 6, device=device), _randn(4, 3, 3, 3, device=device), _randn(4, device=device)
    xr, wr, br = _leaf(x), _leaf(w), _leaf(b)
    expected = F.max_pool2d(F.relu(F.conv2d(xr, wr, br, padding=1)), 2)
    dout = torch.randn_like(expected)
    expected.backward(dout)
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = conv_layers.conv_relu_pool_forward(x, w, b, {"stride": 1, "pad": 1}, pool)
    assert_close(out, expected, name="conv-relu-pool")
    for got, want in zip(conv_layers.conv_relu_pool_backward(dout, cache), (xr.grad, wr.grad, br.grad)):
        assert_close(got, want, name="conv-relu-pool backward")


def _oracle_three(net, X, y):
    p = {k: _leaf(v) for k, v in net.params.items()}
    pad = (p["W1"].shape[2] - 1) // 2
    h = F.max_pool2d(F.relu(F.conv2d(X, p["W1"], p["b1"], padding=pad)), 2)
    scores = F.relu(h.flatten(1) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
    loss = F.cross_entropy(scores, y) + net.reg * sum((p[k] ** 2).sum() for k in ("W1", "W2", "W3"))
    loss.backward()
    return scores, loss, {k: v.grad for k, v in p.items()}


def _oracle_deep(net, X, y):
    p, L = {k: _leaf(v) for k, v in net.params.items()}, net.num_layers
    h = X
    for i in range(1, L):
        h = F.conv2d(h, p[f"W{i}"], p[f"b{i}"], padding=1)
        if net.batchnorm:
            h = F.batch_norm(h, None, None, p[f"gamma{i}"], p[f"beta{i}"], training=True)
        h = F.relu(h)
        if i - 1 in net.max_pools:
            h = F.max_pool2d(h, 2)
    loss = F.cross_entropy(h.flatten(1) @ p[f"W{L}"] + p[f"b{L}"], y)
    loss = loss + net.reg * sum((p[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss, {k: v.grad for k, v in p.items()}


def test_three_layer_convnet_matches_autograd(device):
    net = cnn.ThreeLayerConvNet((2, 8, 6), 4, 3, 7, 5, weight_scale=0.3, reg=0.1, dtype=torch.float64, device=device, seed=0)
    X, y = _randn(3, 2, 8, 6, device=device), torch.randint(5, (3,), device=device)
    scores, loss, grads = _oracle_three(net, X, y)
    assert_close(net.loss(X), scores, name="scores")
    got_loss, got_grads = net.loss(X, y)
    assert_close(got_loss, loss, name="loss")
    assert set(got_grads) == set(net.params)
    for k, g in grads.items():
        assert_close(got_grads[k], g, name=f"grads[{k}]")


@pytest.mark.parametrize("batchnorm", [False, True])
def test_deep_convnet_matches_autograd(batchnorm, device):
    net = cnn.DeepConvNet((3, 8, 8), (4, 5, 6), (0, 2), batchnorm=batchnorm, num_classes=4, reg=0.05,
                          dtype=torch.float64, device=device, seed=1)  # fmt: skip
    X, y = _randn(5, 3, 8, 8, device=device), torch.randint(4, (5,), device=device)
    loss, grads = _oracle_deep(net, X, y)
    got_loss, got_grads = net.loss(X, y)
    assert_close(got_loss, loss, name="loss")
    assert set(got_grads) == set(net.params)
    for k, g in grads.items():
        assert_close(got_grads[k], g, name=f"grads[{k}]")
    assert net.loss(X).shape == (5, 4)
    assert all(bn["mode"] == "test" for bn in net.bn_params)


def test_kaiming_statistics(device):
    gen = torch.Generator().manual_seed(0)
    w = cnn.kaiming_init(64, 128, 3, device=device, generator=gen)
    assert w.shape == (128, 64, 3, 3) and w.device.type == device.type
    assert abs(w.std().item() / (2 / (64 * 9)) ** 0.5 - 1) < 0.02
    w = cnn.kaiming_init(500, 300, relu=False, dtype=torch.float64, generator=gen)
    assert w.shape == (500, 300) and w.dtype == torch.float64
    assert abs(w.std().item() / (1 / 500) ** 0.5 - 1) < 0.02


def test_vectorised_layers_have_no_loops_and_no_shortcuts():
    for f in (conv_layers.conv_forward_fast, conv_layers.conv_backward_fast, conv_layers.max_pool_forward_fast,
              conv_layers.max_pool_backward_fast, conv_layers.spatial_groupnorm_forward,
              conv_layers.spatial_groupnorm_backward):  # fmt: skip
        assert_no_loops(f)
    x, w, b = torch.randn(2, 3, 6, 6), torch.randn(4, 3, 3, 3), torch.randn(4)
    net = cnn.DeepConvNet((3, 6, 6), (4, 4), (0,), batchnorm=True, seed=0)
    with forbidden_calls(*FORBIDDEN, modules=[conv_layers, cnn]):
        out, cache = conv_layers.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
        conv_layers.conv_backward_fast(out, cache)
        out, cache = conv_layers.max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
        conv_layers.max_pool_backward_fast(out, cache)
        net.loss(x, torch.tensor([0, 1]))


def test_released_modules_are_stubs():
    release = ROOT / "release" / "a2"
    if not (release / "conv_layers.py").is_file() or not (release / "cnn.py").is_file():
        pytest.skip("no release of a2 yet (make release)")
    released_layers = load_module(release / "conv_layers.py")
    released_cnn = load_module(release / "cnn.py")
    x, w, b = torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), torch.ones(1)
    calls = [
        lambda: released_layers.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1}),
        lambda: released_layers.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1}),
        lambda: released_layers.im2col(x, 3, 3, 1, 1),
        lambda: released_layers.max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2}),
        lambda: released_layers.spatial_groupnorm_forward(x, torch.ones(1), torch.ones(1), 1, {}),
        lambda: released_cnn.kaiming_init(3, 4),
        lambda: released_cnn.DeepConvNet((1, 4, 4), (2,), (0,), weight_scale=0.1, seed=0),
    ]
    for call in calls:
        with pytest.raises(NotImplementedError, match="write your code here"):
            call()
