"""What the hidden tests of a1 `knn` cannot check: the release raises a clear NotImplementedError
wherever students must write code. Every check of the reference solution itself is written once, as
a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

released = load_module(ROOT / "release" / "a1" / "knn.py")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.compute_distances_two_loops(torch.ones(2, 2), torch.ones(1, 2)),
        lambda m: m.compute_distances_no_loops(torch.ones(2, 2), torch.ones(1, 2)),
        lambda m: m.predict_labels(torch.ones(1, 2), torch.zeros(2, dtype=torch.long)),
        lambda m: m.KnnClassifier(torch.ones(2, 2), torch.zeros(2, dtype=torch.long)).predict(torch.ones(1, 2)),
    ],
)
def test_released_module_is_a_stub(call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released)
