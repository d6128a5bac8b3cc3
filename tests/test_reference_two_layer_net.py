"""The a1 two-layer net reference against PyTorch autograd on every available device, its rules
(no autograd, no torch.nn), the training loop's schedule, and the released module's stubs."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, forbidden_calls, numeric_gradient

from dl4cv.course.modules import load_module

from .conftest import ROOT

two_layer_net = load_module(ROOT / "source" / "a1" / "two_layer_net.py")
RELEASED = ROOT / "release" / "a1" / "two_layer_net.py"
KEYS = ("W1", "b1", "W2", "b2")


def random_net(dims, device, *, dtype=torch.float64, scale=0.5, rows=9, seed=0):
    gen = torch.Generator().manual_seed(seed)
    net = two_layer_net.TwoLayerNet(*dims, weight_scale=scale, device=device, dtype=dtype, generator=gen)
    net.params["b1"] = (0.3 * torch.randn(dims[1], generator=gen, dtype=dtype)).to(device)
    net.params["b2"] = (0.3 * torch.randn(dims[2], generator=gen, dtype=dtype)).to(device)
    x = torch.randn(rows, dims[0], generator=gen, dtype=dtype).to(device)
    y = torch.randint(dims[2], (rows,), generator=gen).to(device)
    return net, x, y


def oracle_loss(params, x, y, reg):
    scores = F.relu(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    return F.cross_entropy(scores, y) + reg * (params["W1"].pow(2).sum() + params["W2"].pow(2).sum())


def test_init_shapes_device_dtype(device):
    net = two_layer_net.TwoLayerNet(7, 5, 3, device=device, dtype=torch.float64)
    assert {k: tuple(v.shape) for k, v in net.params.items()} == {"W1": (7, 5), "b1": (5,), "W2": (5, 3), "b2": (3,)}
    assert all(v.device.type == device.type and v.dtype == torch.float64 for v in net.params.values())
    assert not net.params["b1"].any() and not net.params["b2"].any()


@pytest.mark.parametrize("dims", [(5, 4, 3), (12, 7, 10), (1, 3, 2), (30, 16, 4)])
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_scores_loss_and_gradients_match_autograd(dims, reg, device):
    net, x, y = random_net(dims, device, seed=sum(dims))
    leaves = {k: v.clone().requires_grad_(True) for k, v in net.params.items()}
    expected_loss = oracle_loss(leaves, x, y, reg)
    expected = dict(zip(KEYS, torch.autograd.grad(expected_loss, [leaves[k] for k in KEYS])))
    scores = net.loss(x)
    assert_close(scores, F.relu(x @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"], rtol=1e-10, name="scores")
    loss, grads = net.loss(x, y, reg=reg)
    assert abs(float(loss) - float(expected_loss)) < 1e-10
    for k in KEYS:
        assert grads[k].device.type == device.type
        assert_close(grads[k], expected[k], rtol=1e-8, atol=1e-12, name=f"grads[{k}]")


def test_numeric_gradient_on_a_tiny_net():
    net, x, y = random_net((3, 5, 4), "cpu", seed=8)
    _, grads = net.loss(x, y, reg=0.4)
    for k, param in net.params.items():
        numeric = numeric_gradient(lambda _: net.loss(x, y, reg=0.4)[0], param)
        assert_close(grads[k], numeric, rtol=1e-5, atol=1e-8, name=f"grads[{k}]")


def test_huge_scores_do_not_overflow(device):
    net, x, y = random_net((8, 6, 5), device, dtype=torch.float32, scale=30.0, seed=3)
    loss, _ = net.loss(20 * x, y)
    expected = float(oracle_loss({k: v.double() for k, v in net.params.items()}, 20 * x.double(), y, 0.0))
    assert expected > 100 and math.isfinite(float(loss))
    assert abs(float(loss) - expected) < 1e-4 * expected


def test_backward_by_hand_without_autograd_or_torch_nn(device):
    net, x, y = random_net((6, 5, 4), device, dtype=torch.float32, seed=1)
    with forbidden_calls("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward",
                         "torch.nn.functional", modules=[two_layer_net]):
        net.loss(x, y, reg=0.1)
        net.predict(x)
        net.train(x, y, x, y, num_iters=3, batch_size=4)


def test_predict_is_argmax_of_scores(device):
    net, x, _ = random_net((9, 20, 10), device, rows=40, seed=2)
    pred = net.predict(x)
    assert pred.dtype == torch.int64 and pred.shape == (40,) and pred.device.type == device.type
    assert pred.tolist() == net.loss(x).argmax(dim=1).tolist()


def test_training_fits_a_nonlinear_toy_problem(device):
    gen = torch.Generator().manual_seed(2)
    x = 2 * torch.rand(800, 2, generator=gen) - 1
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long() + 2 * (x.abs().max(dim=1).values > 0.5).long()
    x, y = x.to(device), y.to(device)
    net = two_layer_net.TwoLayerNet(2, 64, 4, weight_scale=0.5, device=device, generator=torch.Generator().manual_seed(4))
    hist = net.train(x, y, x[:300], y[:300], learning_rate=0.5, learning_rate_decay=0.99, reg=1e-5,
                     num_iters=1200, batch_size=64, generator=torch.Generator().manual_seed(5))
    assert len(hist["loss_history"]) == 1200
    assert len(hist["train_acc_history"]) == len(hist["val_acc_history"]) == 1200 // 12
    assert sum(hist["loss_history"][-100:]) < 0.4 * sum(hist["loss_history"][:100])
    assert (net.predict(x) == y).double().mean().item() >= 0.9


@pytest.mark.parametrize(("rows", "batch", "iters", "decay"), [(10, 5, 7, 0.5), (7, 10, 4, 0.5), (30, 6, 11, 0.8)])
def test_learning_rate_decays_at_the_end_of_each_epoch(rows, batch, iters, decay):
    class ConstantGradientNet(two_layer_net.TwoLayerNet):
        def loss(self, x, y=None, reg=0.0):
            if y is None:
                return torch.zeros(x.shape[0], 2, dtype=x.dtype)
            assert x.shape[0] == batch
            return torch.tensor(0.0), {k: torch.ones_like(v) for k, v in self.params.items()}

    net = ConstantGradientNet(3, 4, 2, dtype=torch.float64)
    start = {k: v.clone() for k, v in net.params.items()}
    x, y = torch.randn(rows, 3, dtype=torch.float64), torch.randint(2, (rows,))
    hist = net.train(x, y, x, y, learning_rate=0.3, learning_rate_decay=decay, num_iters=iters, batch_size=batch)
    epoch = max(rows // batch, 1)
    expected = sum(0.3 * decay ** (it // epoch) for it in range(iters))
    for k in KEYS:
        assert torch.allclose(start[k] - net.params[k], torch.full_like(start[k], expected), atol=1e-12), k
    assert len(hist["val_acc_history"]) == iters // epoch


@pytest.mark.skipif(not RELEASED.exists(), reason="release/a1/two_layer_net.py is built by `make release`")
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.TwoLayerNet(3, 4, 2).loss(torch.ones(2, 3)),
        lambda m: m.TwoLayerNet(3, 4, 2).predict(torch.ones(2, 3)),
        lambda m: m.TwoLayerNet(3, 4, 2).train(torch.ones(2, 3), torch.zeros(2, dtype=torch.long),
                                               torch.ones(2, 3), torch.zeros(2, dtype=torch.long), num_iters=1),
    ],
)
def test_released_module_is_a_stub(call):
    released = load_module(RELEASED)
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released)
