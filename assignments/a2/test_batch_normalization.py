"""What the hidden tests of a2 `batch_normalization` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import strip_solutions

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

A2 = ROOT / "source" / "a2"


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
