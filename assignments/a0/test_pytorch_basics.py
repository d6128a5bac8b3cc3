"""What the hidden tests of a0 `pytorch_basics` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

pb = load_module(ROOT / "source" / "a0" / "pytorch_basics.py")
RELEASED = ROOT / "release" / "a0" / "pytorch_basics.py"

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
