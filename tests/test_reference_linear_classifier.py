"""The a1 linear-classifier reference against autograd and PyTorch's losses on every available
device, the rules (no loops, no shortcuts), training, and the released module's stubs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, assert_no_loops, count_loops, forbidden_calls

from dl4cv.course.modules import load_module

from .conftest import ROOT

lc = load_module(ROOT / "source" / "a1" / "linear_classifier.py")
RELEASED = ROOT / "release" / "a1" / "linear_classifier.py"

SVM = [lc.svm_loss_naive, lc.svm_loss_vectorized]
SOFTMAX = [lc.softmax_loss_naive, lc.softmax_loss_vectorized]
FORBIDDEN = (
    "torch.nn.functional", "torch.softmax", "torch.log_softmax", "torch.logsumexp",
    "torch.Tensor.softmax", "torch.Tensor.log_softmax", "torch.Tensor.logsumexp",
    "torch.special.softmax", "torch.special.log_softmax", "torch.special.logsumexp",
    "torch.Tensor.backward", "torch.autograd.backward", "torch.autograd.grad",
    "torch.autograd.functional", "torch.func",
)  # fmt: skip


def svm_oracle(W, X, y, reg):
    W = W.detach().double().requires_grad_()
    scores = X.double() @ W
    margins = (scores - scores.gather(1, y[:, None]) + 1).clamp_min(0).scatter(1, y[:, None], 0.0)
    loss = margins.sum() / X.shape[0] + reg * (W * W).sum()
    loss.backward()
    value = F.multi_margin_loss(scores.detach(), y, margin=1.0) * W.shape[1] + reg * (W.detach() ** 2).sum()
    assert torch.allclose(value, loss.detach(), rtol=1e-12)
    return loss.detach(), W.grad


def softmax_oracle(W, X, y, reg):
    W = W.detach().double().requires_grad_()
    loss = F.cross_entropy(X.double() @ W, y) + reg * (W * W).sum()
    loss.backward()
    return loss.detach(), W.grad


def problem(num, dim, classes, device, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(dim, classes, generator=gen, dtype=dtype).to(device)
    X = torch.randn(num, dim, generator=gen, dtype=dtype).to(device)
    y = torch.randint(0, classes, (num,), generator=gen).to(device)
    return W, X, y


CASES = [
    *[pytest.param(fn, svm_oracle, id=fn.__name__) for fn in SVM],
    *[pytest.param(fn, softmax_oracle, id=fn.__name__) for fn in SOFTMAX],
]


@pytest.mark.parametrize("shape", [(8, 5, 3), (1, 12, 2), (40, 30, 10), (17, 1, 6)])
@pytest.mark.parametrize("loss_fn, oracle", CASES)
def test_loss_and_gradient_match_autograd(loss_fn, oracle, shape, device):
    W, X, y = problem(*shape, device)
    loss, dW = loss_fn(W, X, y, 0.37)
    expected_loss, expected_dW = oracle(W, X, y, 0.37)
    assert dW.device.type == device.type and dW.dtype == torch.float64
    assert_close(loss, expected_loss, rtol=1e-9, atol=1e-12, name="loss")
    assert_close(dW, expected_dW, rtol=1e-8, atol=1e-12, name="dW")


@pytest.mark.parametrize("loss_fn, oracle", CASES)
def test_float32_stays_float32(loss_fn, oracle, device):
    W, X, y = problem(50, 30, 7, device, dtype=torch.float32)
    loss, dW = loss_fn(W * 0.1, X, y, 0.05)
    expected_loss, expected_dW = oracle(W * 0.1, X, y, 0.05)
    assert loss.dtype == dW.dtype == torch.float32
    assert_close(loss, expected_loss, rtol=1e-4, name="loss")
    assert_close(dW, expected_dW, rtol=1e-3, atol=1e-5, name="dW")


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("loss_fn", SOFTMAX, ids=lambda f: f.__name__)
def test_softmax_is_exact_for_scores_near_ten_thousand(loss_fn, sign, device):
    gen = torch.Generator().manual_seed(9)
    X = ((torch.rand(12, 6, generator=gen, dtype=torch.float64) + 0.5) * 40).to(device)
    W = (sign * (torch.rand(6, 5, generator=gen, dtype=torch.float64) + 0.5) * 60).to(device)
    y = torch.randint(0, 5, (12,), generator=gen).to(device)
    assert (X @ W).abs().min() > 3e3
    for dtype, tol in ((torch.float64, 1e-9), (torch.float32, 1e-4)):
        loss, dW = loss_fn(W.to(dtype), X.to(dtype), y, 0.0)
        assert torch.isfinite(loss) and torch.isfinite(dW).all()
        expected_loss, expected_dW = softmax_oracle(W.to(dtype), X.to(dtype), y, 0.0)
        assert_close(loss, expected_loss, rtol=tol, atol=tol, name="loss")
        assert_close(dW, expected_dW, rtol=tol, atol=100 * tol, name="dW")


def test_rules_loops_and_shortcuts():
    for fn in (lc.svm_loss_vectorized, lc.softmax_loss_vectorized):
        assert_no_loops(fn)
    for fn in (lc.svm_loss_naive, lc.softmax_loss_naive):
        assert count_loops(fn) == 2
    W, X, y = problem(9, 5, 4, "cpu")
    with forbidden_calls(*FORBIDDEN, modules=[lc]):
        for fn in [*SVM, *SOFTMAX]:
            fn(W, X, y, 0.1)


def test_sample_batch_keeps_rows_and_labels_together(device):
    X = torch.arange(50.0, device=device)[:, None].repeat(1, 3)
    y = torch.arange(50, device=device) % 7
    X_batch, y_batch = lc.sample_batch(X, y, 12, torch.Generator().manual_seed(0))
    rows = X_batch[:, 0].long()
    assert X_batch.device == X.device and torch.equal(X[rows], X_batch) and torch.equal(y[rows], y_batch)
    again = lc.sample_batch(X, y, 12, torch.Generator().manual_seed(0))[0]
    assert torch.equal(again, X_batch)


def blobs(num, classes, device, seed=1):
    gen = torch.Generator().manual_seed(seed)
    centers = torch.randn(classes, 6, generator=gen, dtype=torch.float64) * 4
    y = torch.randint(0, classes, (num,), generator=gen)
    X = lc.append_ones(centers[y] + torch.randn(num, 6, generator=gen, dtype=torch.float64))
    return X.to(device), y.to(device)


@pytest.mark.parametrize("loss_fn", [lc.svm_loss_vectorized, lc.softmax_loss_vectorized], ids=lambda f: f.__name__)
def test_sgd_lowers_the_loss_and_predict_is_argmax(loss_fn, device):
    X, y = blobs(400, 4, device)
    model = lc.LinearClassifier(loss_fn, 7, 4, dtype=torch.float64, device=device)
    history = model.train(X, y, learning_rate=0.05, reg=1e-4, num_iters=200, batch_size=32,
                          generator=torch.Generator().manual_seed(2))  # fmt: skip
    assert len(history) == 200 and all(type(v) is float for v in history)
    assert sum(history[-20:]) < 0.5 * sum(history[:20])
    prediction = model.predict(X)
    assert prediction.dtype == torch.int64 and torch.equal(prediction, (X @ model.W).argmax(1))
    assert model.accuracy(X, y) > 0.9


def test_search_keeps_the_best_validation_model(device):
    X, y = blobs(180, 3, device, seed=4)
    data = (X[:120], y[:120], X[120:], y[120:])
    results, best = lc.search_hyperparameters(lc.softmax_loss_vectorized, data, [0.3, 1e-3], [1e-4, 3.0], num_iters=15, batch_size=8)
    assert set(results) == {(0.3, 1e-4), (0.3, 3.0), (1e-3, 1e-4), (1e-3, 3.0)}
    assert best.accuracy(X[120:], y[120:]) == max(val for _, val in results.values())


def test_weight_images_one_per_class_in_unit_range():
    W = torch.randn(2 * 3 * 4 + 1, 5)
    images = lc.weight_images(W, (2, 3, 4))
    assert images.shape == (5, 2, 3, 4)
    assert images.amin(dim=(1, 2, 3)).abs().max() < 1e-6 and (images.amax(dim=(1, 2, 3)) - 1).abs().max() < 1e-6
    assert_close(images[1].flatten(), (W[:-1, 1] - W[:-1, 1].min()) / (W[:-1, 1].max() - W[:-1, 1].min()), rtol=1e-5, atol=1e-6)


STUB_CALLS = [
    lambda m: m.svm_loss_naive(torch.ones(2, 2), torch.ones(1, 2), torch.zeros(1, dtype=torch.long), 0.0),
    lambda m: m.svm_loss_vectorized(torch.ones(2, 2), torch.ones(1, 2), torch.zeros(1, dtype=torch.long), 0.0),
    lambda m: m.softmax_loss_naive(torch.ones(2, 2), torch.ones(1, 2), torch.zeros(1, dtype=torch.long), 0.0),
    lambda m: m.softmax_loss_vectorized(torch.ones(2, 2), torch.ones(1, 2), torch.zeros(1, dtype=torch.long), 0.0),
    lambda m: m.sample_batch(torch.ones(3, 2), torch.zeros(3, dtype=torch.long), 2),
    lambda m: m.LinearClassifier(m.svm_loss_vectorized, 2, 2).train(torch.ones(3, 2), torch.zeros(3, dtype=torch.long)),
    lambda m: m.LinearClassifier(m.svm_loss_vectorized, 2, 2).predict(torch.ones(3, 2)),
    lambda m: m.search_hyperparameters(m.svm_loss_vectorized, (torch.ones(3, 2), torch.zeros(3, dtype=torch.long)) * 2, [1.0], [0.0], num_iters=1),
]


@pytest.mark.parametrize("call", STUB_CALLS)
def test_released_module_is_a_stub(call):
    if not RELEASED.is_file():
        pytest.skip("release/a1/linear_classifier.py is written by `make release`")
    released = load_module(RELEASED)
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released)
