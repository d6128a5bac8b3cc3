"""What the hidden tests of a2 `dropout` cannot check: the release raises a clear NotImplementedError
wherever students must write code. Every check of the reference solution itself is written once, as
a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import strip_solutions

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

A2 = ROOT / "source" / "a2"


@pytest.mark.parametrize("mode", ["train", "test"])
def test_released_module_is_a_stub(mode, tmp_path):
    released_path = tmp_path / "dropout.py"  # what `make release` writes to release/a2/
    released_path.write_text(strip_solutions((A2 / "dropout.py").read_text(), filename="dropout.py"))
    released = load_module(released_path)
    with pytest.raises(NotImplementedError, match="dropout_forward: write your code here"):
        released.dropout_forward(torch.ones(3), {"p": 0.5, "mode": mode})
    with pytest.raises(NotImplementedError, match="dropout_backward: write your code here"):
        released.dropout_backward(torch.ones(3), ({"p": 0.5, "mode": mode}, None))
