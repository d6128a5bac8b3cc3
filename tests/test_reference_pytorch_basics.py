"""The a0 pytorch_basics reference solution against PyTorch on every available device, its rules
(no loops, no library shortcuts), and the released module raising NotImplementedError."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, assert_no_loops, count_loops, forbidden_calls

from dl4cv.course.modules import load_module

from .conftest import ROOT

pb = load_module(ROOT / "source" / "a0" / "pytorch_basics.py")
RELEASED = ROOT / "release" / "a0" / "pytorch_basics.py"

# The same lists as the notebook's no-shortcut checks.
SHORTCUTS = {
    "sigmoid": ["torch.sigmoid", "torch.Tensor.sigmoid", "torch.special", "torch.nn.functional",
                "torch.autograd.grad", "torch.Tensor.backward"],
    "softmax": ["torch.softmax", "torch.Tensor.softmax", "torch.log_softmax", "torch.logsumexp", "torch.special",
                "torch.nn.functional"],
    "normalize_rows": ["torch.norm", "torch.Tensor.norm", "torch.linalg", "torch.renorm", "torch.nn.functional"],
    "losses": ["torch.nn.functional", "torch.dist", "torch.norm", "torch.Tensor.norm", "torch.linalg"],
    "one_hot": ["torch.nn.functional"],
    "batched_matmul": ["torch.matmul", "torch.Tensor.matmul", "torch.Tensor.__matmul__", "torch.Tensor.__rmatmul__",
                       "torch.bmm", "torch.Tensor.bmm", "torch.baddbmm", "torch.mm", "torch.einsum", "torch.tensordot",
                       "torch.inner", "torch.linalg", "torch.nn.functional"],
}  # fmt: skip
LOOP_FREE = [
    pb.counting_grid, pb.checkerboard, pb.pick_rows_columns, pb.checkerboard_values, pb.swap_halves,
    pb.channels_last, pb.tile_images, pb.interleave, pb.outer_difference, pb.center_columns, pb.sigmoid,
    pb.sigmoid_grad, pb.softmax, pb.normalize_rows, pb.l1_loss, pb.l2_loss, pb.one_hot, pb.batched_matmul,
]  # fmt: skip


def test_creation_and_indexing_drills(device):
    grid = pb.counting_grid(3, 5, device=device)
    assert grid.dtype == torch.int64 and grid.device.type == device.type
    assert grid.tolist() == [[i * 5 + j for j in range(5)] for i in range(3)]
    board = pb.checkerboard(4, 3, device=device)
    assert board.dtype == torch.float32 and board.device.type == device.type
    assert board.tolist() == [[float((i + j) % 2 == 0) for j in range(3)] for i in range(4)]
    x = torch.randn(5, 4, device=device)
    rows, cols = torch.tensor([4, 0, 4], device=device), torch.tensor([1, 3], device=device)
    assert pb.pick_rows_columns(x, rows, cols).tolist() == [[x[r, c].item() for c in (1, 3)] for r in (4, 0, 4)]
    white = [x[i, j].item() for i in range(5) for j in range(4) if (i + j) % 2 == 0]
    assert pb.checkerboard_values(x).tolist() == white
    y = torch.randn(2, 3, 6, device=device)
    assert torch.equal(pb.swap_halves(y), torch.cat([y[..., 3:], y[..., :3]], dim=-1))


def test_reshaping_and_broadcasting_drills(device):
    images = torch.randn(2, 3, 4, 5, device=device)
    assert torch.equal(pb.channels_last(images), images.movedim(1, -1))
    tiles = torch.randn(6, 2, 3, device=device)
    grid = pb.tile_images(tiles, cols=2)
    assert grid.shape == (6, 6)
    for k in range(6):
        r, c = divmod(k, 2)
        assert torch.equal(grid[2 * r : 2 * r + 2, 3 * c : 3 * c + 3], tiles[k])
    a, b = torch.randn(4, device=device), torch.randn(4, device=device)
    out = pb.interleave(a, b)
    assert torch.equal(out[0::2], a) and torch.equal(out[1::2], b)
    assert_close(pb.outer_difference(a, b[:3]), a[:, None] - b[:3], rtol=0, atol=0)
    x = torch.randn(7, 3, dtype=torch.float64, device=device) + 5
    assert_close(pb.center_columns(x).mean(0), torch.zeros(3, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sigmoid_and_its_gradient_match_autograd(device, dtype):
    extremes = torch.tensor([-1e4, -100.0, 100.0, 1e4], dtype=torch.float64)
    x = torch.cat([torch.randn(20, dtype=torch.float64) * 6, extremes]).to(device, dtype)
    x64 = x.double().requires_grad_()
    torch.sigmoid(x64).sum().backward()
    atol = 1e-6 if dtype == torch.float32 else 1e-14
    assert pb.sigmoid(x).dtype == dtype
    assert_close(pb.sigmoid(x), torch.sigmoid(x64).detach(), rtol=1e-5, atol=atol, name="sigmoid")
    assert_close(pb.sigmoid_grad(x), x64.grad, rtol=1e-5, atol=atol, name="sigmoid_grad")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_matches_torch_and_is_stable(device, dtype):
    x = (torch.randn(3, 4, 5, dtype=torch.float64) * 3).to(device, dtype)
    for dim in (-3, -2, -1, 0, 1, 2):
        assert_close(pb.softmax(x, dim=dim), torch.softmax(x.double(), dim=dim), rtol=1e-5, atol=1e-12)
    huge = [[1e4, 1e4 - 1, 1e4 - 3], [-1e4, -1e4 + 2, -1e4], [-1e4, -1e4, -1e4]]
    huge = torch.tensor(huge, dtype=dtype, device=device)
    for scores, dim in [(huge, -1), (huge.T, 0), (x * 1e4, 1)]:
        got = pb.softmax(scores, dim=dim)
        assert torch.isfinite(got).all()
        assert_close(got, torch.softmax(scores.double(), dim=dim), rtol=1e-5, atol=1e-7)


def test_normalize_losses_and_one_hot_match_torch(device):
    x = torch.randn(6, 4, dtype=torch.float64, device=device)
    x[2] = 0
    assert_close(pb.normalize_rows(x), F.normalize(x, dim=1), rtol=1e-10, atol=1e-12)
    target = torch.randn(3, 5, dtype=torch.float64, device=device)
    for ours, theirs in [(pb.l1_loss, F.l1_loss), (pb.l2_loss, F.mse_loss)]:
        pred = torch.randn(3, 5, dtype=torch.float64, device=device, requires_grad=True)
        loss = ours(pred, target)
        loss.backward()
        expected_pred = pred.detach().clone().requires_grad_()
        expected = theirs(expected_pred, target)
        expected.backward()
        assert loss.shape == ()
        assert_close(loss, expected, rtol=1e-12)
        assert_close(pred.grad, expected_pred.grad, rtol=1e-12)
    labels = torch.randint(0, 7, (4, 3), device=device)
    got = pb.one_hot(labels, 7)
    assert got.dtype == torch.int64 and torch.equal(got, F.one_hot(labels, 7))


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (5, 3, 4, 2), (3, 1, 6, 7)])
def test_batched_matmul_matches_bmm(device, shape):
    bsz, n, m, p = shape
    a = torch.randn(bsz, n, m, dtype=torch.float64, device=device)
    b = torch.randn(bsz, m, p, dtype=torch.float64, device=device)
    for f in (pb.batched_matmul_loop, pb.batched_matmul):
        got = f(a, b)
        assert got.device.type == device.type
        assert_close(got, torch.bmm(a, b), rtol=1e-10, atol=1e-12, name=f.__name__)


@pytest.mark.parametrize("func", LOOP_FREE, ids=lambda f: f.__name__)
def test_reference_has_no_loops(func):
    assert_no_loops(func)


def test_loop_baseline_loops():
    assert count_loops(pb.batched_matmul_loop) == 1


def test_reference_uses_no_shortcuts():
    x = torch.randn(4, 6)
    with forbidden_calls(*SHORTCUTS["sigmoid"], modules=[pb]):
        pb.sigmoid(x), pb.sigmoid_grad(x)
    with forbidden_calls(*SHORTCUTS["softmax"], modules=[pb]):
        pb.softmax(x, dim=0)
    with forbidden_calls(*SHORTCUTS["normalize_rows"], modules=[pb]):
        pb.normalize_rows(x)
    with forbidden_calls(*SHORTCUTS["losses"], modules=[pb]):
        pb.l1_loss(x, x.flip(0)), pb.l2_loss(x, x.flip(0))
    with forbidden_calls(*SHORTCUTS["one_hot"], modules=[pb]):
        pb.one_hot(torch.tensor([3, 1]), 4)
    with forbidden_calls(*SHORTCUTS["batched_matmul"], modules=[pb]):
        pb.batched_matmul(torch.randn(3, 2, 4), torch.randn(3, 4, 5))


def test_forbidding_matmul_catches_the_operator():
    with pytest.raises(Exception, match="__matmul__"):
        with forbidden_calls(*SHORTCUTS["batched_matmul"]):
            torch.randn(2, 2, 3) @ torch.randn(2, 3, 1)
    assert (torch.ones(1, 2) @ torch.ones(2, 1)).item() == 2.0, "the operator is restored afterwards"


STUB_CALLS = {
    "counting_grid": lambda m: m.counting_grid(2, 2),
    "checkerboard": lambda m: m.checkerboard(2, 2),
    "pick_rows_columns": lambda m: m.pick_rows_columns(torch.ones(2, 2), torch.tensor([0]), torch.tensor([1])),
    "checkerboard_values": lambda m: m.checkerboard_values(torch.ones(2, 2)),
    "swap_halves": lambda m: m.swap_halves(torch.ones(4)),
    "channels_last": lambda m: m.channels_last(torch.ones(1, 2, 3, 4)),
    "tile_images": lambda m: m.tile_images(torch.ones(2, 3, 3), 2),
    "interleave": lambda m: m.interleave(torch.ones(2), torch.ones(2)),
    "outer_difference": lambda m: m.outer_difference(torch.ones(2), torch.ones(3)),
    "center_columns": lambda m: m.center_columns(torch.ones(2, 3)),
    "sigmoid": lambda m: m.sigmoid(torch.ones(2)),
    "sigmoid_grad": lambda m: m.sigmoid_grad(torch.ones(2)),
    "softmax": lambda m: m.softmax(torch.ones(2, 3)),
    "normalize_rows": lambda m: m.normalize_rows(torch.ones(2, 3)),
    "l1_loss": lambda m: m.l1_loss(torch.ones(2), torch.zeros(2)),
    "l2_loss": lambda m: m.l2_loss(torch.ones(2), torch.zeros(2)),
    "one_hot": lambda m: m.one_hot(torch.tensor([0, 1]), 2),
    "batched_matmul_loop": lambda m: m.batched_matmul_loop(torch.ones(2, 2, 3), torch.ones(2, 3, 1)),
    "batched_matmul": lambda m: m.batched_matmul(torch.ones(2, 2, 3), torch.ones(2, 3, 1)),
}


def test_every_student_function_is_stubbed():
    public = {name for name, value in vars(pb).items() if getattr(value, "__module__", "") == pb.__name__}
    assert public == set(STUB_CALLS)


@pytest.mark.skipif(not RELEASED.is_file(), reason="release/a0 not generated yet (make release)")
@pytest.mark.parametrize("name", list(STUB_CALLS))
def test_released_module_is_a_stub(name):
    released = load_module(RELEASED)
    with pytest.raises(NotImplementedError, match=f"{name}: write your code here"):
        STUB_CALLS[name](released)
