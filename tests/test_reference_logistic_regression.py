"""The a0 logistic-regression reference against PyTorch autograd on every available device, the
rules (no autograd, no torch.nn.functional, vectorised), and the released module raising a
clear NotImplementedError everywhere a student must write code."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, assert_no_loops, forbidden_calls

from dl4cv.course.modules import load_module

from .conftest import ROOT

lr = load_module(ROOT / "source" / "a0" / "logistic_regression.py")
RELEASED = ROOT / "release" / "a0" / "logistic_regression.py"

FORBIDDEN = (
    "torch.autograd.grad",
    "torch.autograd.backward",
    "torch.Tensor.backward",
    "torch.autograd.functional",
    "torch.func",
    "torch.nn.functional",
)


def _random(shape, gen, device):
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(device)


def _labels(n, gen, device):
    return (torch.rand(n, generator=gen) < 0.5).double().to(device)


def _net_params(d, h, gen, device):
    return {"W1": _random((d, h), gen, device), "b1": _random((h,), gen, device),
            "W2": _random((h,), gen, device), "b2": _random((), gen, device)}


def _net_probs(p, x):
    return torch.sigmoid(torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])


# --------------------------------------------------------------------------- part 1


@pytest.mark.parametrize("shape", [(1, 1), (9, 4), (64, 30)])
def test_forward_and_cost_match_pytorch(shape, device):
    n, d = shape
    gen = torch.Generator().manual_seed(n * 100 + d)
    x, y = _random((n, d), gen, device), _labels(n, gen, device)
    params = {"w": _random((d,), gen, device), "b": _random((), gen, device)}
    probs = lr.forward(params, x)
    assert probs.device.type == device.type
    assert_close(probs, torch.sigmoid(x @ params["w"] + params["b"]), rtol=1e-12, name="forward")
    assert_close(lr.cost(probs, y), F.binary_cross_entropy(probs, y), rtol=1e-12, name="cost")
    scores = x @ params["w"] + params["b"]
    assert_close(lr.cost(torch.sigmoid(scores), y), F.binary_cross_entropy_with_logits(scores, y), rtol=1e-8, name="cost")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cost_is_clamped_like_pytorch_at_probabilities_zero_and_one(dtype, device):
    probs = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.25], dtype=dtype, device=device)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=dtype, device=device)
    got = lr.cost(probs, y)
    assert got.dtype == dtype and got.shape == ()
    assert_close(got, F.binary_cross_entropy(probs, y), rtol=1e-6, name="clamped cost")
    assert lr.cost(probs[:2], y[:2]) == 0


def test_initialize_gives_zeros_of_the_requested_kind(device):
    params = lr.initialize(5, dtype=torch.float64, device=device)
    assert params["w"].shape == (5,) and params["b"].shape == ()
    assert all(v.dtype == torch.float64 and v.device.type == device.type and (v == 0).all() for v in params.values())


@pytest.mark.parametrize("shape", [(1, 3), (7, 1), (40, 25)])
def test_gradients_match_autograd(shape, device):
    n, d = shape
    gen = torch.Generator().manual_seed(n + 7 * d)
    x, y = _random((n, d), gen, device), _labels(n, gen, device)
    w, b = _random((d,), gen, device), _random((), gen, device)
    got = lr.gradients({"w": w, "b": b}, x, y)
    leaves = (w.clone().requires_grad_(), b.clone().requires_grad_())
    dw, db = torch.autograd.grad(F.binary_cross_entropy(torch.sigmoid(x @ leaves[0] + leaves[1]), y), leaves)
    assert_close(got["w"], dw, rtol=1e-10, atol=1e-14, name="dJ/dw")
    assert_close(got["b"], db, rtol=1e-10, atol=1e-14, name="dJ/db")


def test_gradient_descent_matches_autograd_steps_and_leaves_its_input_alone(device):
    gen = torch.Generator().manual_seed(3)
    x, y = _random((20, 4), gen, device), _labels(20, gen, device)
    start = {"w": _random((4,), gen, device), "b": _random((), gen, device)}
    before = {k: v.clone() for k, v in start.items()}
    final, costs = lr.gradient_descent(start, x, y, learning_rate=0.7, num_iterations=5)
    w, b, expected_costs = before["w"].clone(), before["b"].clone(), []
    for _ in range(5):
        w.requires_grad_(), b.requires_grad_()
        loss = F.binary_cross_entropy(torch.sigmoid(x @ w + b), y)
        dw, db = torch.autograd.grad(loss, (w, b))
        expected_costs.append(loss.item())
        w, b = (w - 0.7 * dw).detach(), (b - 0.7 * db).detach()
    assert all(torch.equal(start[k], before[k]) for k in start)
    assert costs == pytest.approx(expected_costs, rel=1e-10)
    assert_close(final["w"], w, rtol=1e-10, name="w after 5 steps")
    assert_close(final["b"], b, rtol=1e-10, name="b after 5 steps")


def test_predict_thresholds_strictly_above_one_half(device):
    params = {"w": torch.tensor([1.0], device=device), "b": torch.tensor(0.0, device=device)}
    labels = lr.predict(params, torch.tensor([[-2.0], [0.0], [1e-3], [3.0]], device=device))
    assert labels.dtype == torch.int64 and labels.device.type == device.type
    assert labels.tolist() == [0, 0, 1, 1]


def test_logistic_regression_learns_sneakers_from_ankle_boots():
    from dl4cv import data

    dataset = data.load_dataset("fashion-mnist")
    sneaker, boot = dataset.classes.index("Sneaker"), dataset.classes.index("Ankle boot")
    x_train, y_train = lr.binary_subset(dataset.x_train[:6000], dataset.y_train[:6000], sneaker, boot)
    x_test, y_test = lr.binary_subset(dataset.x_test, dataset.y_test, sneaker, boot)
    assert x_train.dtype == torch.float32 and 0 <= x_train.min() and x_train.max() <= 1
    assert set(y_train.unique().tolist()) == {0.0, 1.0} and len(y_test) == 2000
    params, costs = lr.gradient_descent(lr.initialize(784), x_train, y_train, learning_rate=0.05, num_iterations=60)
    assert all(b <= a for a, b in zip(costs, costs[1:]))
    assert (lr.predict(params, x_test) == y_test).float().mean() >= 0.9


# --------------------------------------------------------------------------- part 2


def test_make_planar_is_balanced_reproducible_and_not_linear():
    x, y = lr.make_planar(400, seed=0)
    assert x.shape == (400, 2) and y.shape == (400,) and x.dtype == y.dtype == torch.float32
    assert 0.4 < y.mean() < 0.6
    assert torch.equal(x, lr.make_planar(400, seed=0)[0]) and not torch.equal(x, lr.make_planar(400, seed=1)[0])
    line, _ = lr.gradient_descent(lr.initialize(2), x, y, learning_rate=0.5, num_iterations=300)
    assert (lr.predict(line, x) == y).float().mean() < 0.65
    with pytest.raises(ValueError, match="even"):
        lr.make_planar(10, petals=3)


def test_net_initialize_shapes_scale_and_seed(device):
    params = lr.net_initialize(300, 200, weight_scale=0.3, generator=torch.Generator().manual_seed(0), device=device)
    assert {k: tuple(v.shape) for k, v in params.items()} == {"W1": (300, 200), "b1": (200,), "W2": (200,), "b2": ()}
    assert all(v.device.type == device.type for v in params.values())
    assert abs(params["W1"].std().item() - 0.3) < 0.01 and (params["b1"] == 0).all() and params["b2"] == 0
    again = lr.net_initialize(300, 200, weight_scale=0.3, generator=torch.Generator().manual_seed(0), device=device)
    assert all(torch.equal(params[k], again[k]) for k in params)


@pytest.mark.parametrize("shape", [(1, 1, 1), (13, 2, 6), (50, 7, 20)])
def test_net_forward_and_backward_match_autograd(shape, device):
    n, d, h = shape
    gen = torch.Generator().manual_seed(n + d + h)
    params, x, y = _net_params(d, h, gen, device), _random((n, d), gen, device), _labels(n, gen, device)
    probs, cache = lr.net_forward(params, x)
    assert_close(probs, _net_probs(params, x), rtol=1e-12, name="net probabilities")
    got = lr.net_backward(params, cache, y)
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    grads = torch.autograd.grad(F.binary_cross_entropy(_net_probs(leaves, x), y), list(leaves.values()))
    for name, expected in zip(leaves, grads):
        assert got[name].device.type == device.type
        assert_close(got[name], expected, rtol=1e-10, atol=1e-14, name=f"dJ/d{name}")


def test_net_train_matches_autograd_descent(device):
    gen = torch.Generator().manual_seed(4)
    x, y = _random((30, 3), gen, device), _labels(30, gen, device)
    got, costs = lr.net_train(x, y, 5, learning_rate=0.8, num_iterations=4, seed=2)
    ref = lr.net_initialize(3, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64, device=device)
    expected_costs = []
    for _ in range(4):
        leaves = {k: v.clone().requires_grad_() for k, v in ref.items()}
        loss = F.binary_cross_entropy(_net_probs(leaves, x), y)
        expected_costs.append(loss.item())
        grads = torch.autograd.grad(loss, list(leaves.values()))
        ref = {k: (leaves[k] - 0.8 * g).detach() for k, g in zip(leaves, grads)}
    assert costs == pytest.approx(expected_costs, rel=1e-10)
    for name in ref:
        assert_close(got[name], ref[name], rtol=1e-10, name=f"{name} after 4 steps")
    assert lr.net_predict(got, x).tolist() == (_net_probs(got, x) > 0.5).long().tolist()


@pytest.mark.parametrize("seed", [0, 21, 22])
def test_net_fits_the_pinwheel(seed):
    x, y = lr.make_planar(400, seed=seed)
    params, costs = lr.net_train(x, y, 8, learning_rate=1.0, num_iterations=1000, seed=seed)
    assert costs[-1] < 0.5 * costs[0]
    assert (lr.net_predict(params, x) == y).float().mean() >= 0.88


# --------------------------------------------------------------------------- rules and release


def test_hand_written_code_uses_no_autograd_and_no_functional():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(12, 2, generator=gen), (torch.rand(12, generator=gen) < 0.5).float()
    with forbidden_calls(*FORBIDDEN, modules=[lr]):
        params, _ = lr.gradient_descent(lr.initialize(2), x, y, learning_rate=0.1, num_iterations=2)
        lr.predict(params, x)
        net, _ = lr.net_train(x, y, 3, num_iterations=2)
        lr.net_predict(net, x)


@pytest.mark.parametrize("name", ["forward", "cost", "gradients", "predict", "net_forward", "net_backward", "net_predict"])
def test_vectorised_functions_have_no_loops(name):
    assert_no_loops(getattr(lr, name))


STUB_CALLS = {
    "initialize": lambda m: m.initialize(2),
    "forward": lambda m: m.forward({"w": torch.ones(2), "b": torch.tensor(0.0)}, torch.ones(1, 2)),
    "cost": lambda m: m.cost(torch.full((2,), 0.5), torch.ones(2)),
    "gradients": lambda m: m.gradients({"w": torch.ones(2), "b": torch.tensor(0.0)}, torch.ones(1, 2), torch.ones(1)),
    "gradient_descent": lambda m: m.gradient_descent({}, torch.ones(1, 2), torch.ones(1), learning_rate=0.1, num_iterations=1),
    "predict": lambda m: m.predict({"w": torch.ones(2), "b": torch.tensor(0.0)}, torch.ones(1, 2)),
    "net_initialize": lambda m: m.net_initialize(2, 3),
    "net_forward": lambda m: m.net_forward({}, torch.ones(1, 2)),
    "net_backward": lambda m: m.net_backward({}, {}, torch.ones(1)),
    "net_update": lambda m: m.net_update({}, {}, 0.1),
    "net_train": lambda m: m.net_train(torch.ones(1, 2), torch.ones(1), 3),
    "net_predict": lambda m: m.net_predict({}, torch.ones(1, 2)),
}


@pytest.mark.parametrize("name", sorted(STUB_CALLS))
def test_released_module_is_a_stub(name):
    if not RELEASED.exists():
        pytest.skip("release/a0 is not built yet (run `dl4cv release a0`)")
    released = load_module(RELEASED)
    with pytest.raises(NotImplementedError, match=f"{name}: write your code here"):
        STUB_CALLS[name](released)
    x, y = released.make_planar(20)  # the given helpers still work
    assert x.shape == (20, 2) and y.shape == (20,)
