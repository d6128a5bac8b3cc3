"""What the hidden tests of a1 `two_layer_net` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

RELEASED = ROOT / "release" / "a1" / "two_layer_net.py"


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
