"""What the hidden tests of a1 `features` cannot check: the release raises a clear NotImplementedError
wherever students must write code. Every check of the reference solution itself is written once, as
a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

RELEASED = ROOT / "release" / "a1" / "features.py"


@pytest.mark.skipif(not RELEASED.exists(), reason="release/a1/features.py is written by `make release`")
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.image_gradients(torch.ones(1, 3, 3)),
        lambda m: m.orientation_histograms(torch.ones(1, 4, 4), torch.ones(1, 4, 4)),
        lambda m: m.normalise_blocks(torch.ones(1, 2, 2, 9)),
        lambda m: m.hog_features(torch.ones(1, 1, 8, 8)),
        lambda m: m.rgb_to_hsv(torch.ones(1, 3, 2, 2)),
        lambda m: m.colour_histogram(torch.ones(1, 1, 2, 2)),
        lambda m: m.extract_features(torch.ones(1, 1, 2, 2), [lambda x: x.flatten(1)]),
        lambda m: m.feature_statistics(torch.ones(3, 2)),
        lambda m: m.normalise_features(torch.ones(3, 2), torch.zeros(2), torch.ones(2)),
    ],
)
def test_released_module_is_a_stub(call):
    released = load_module(RELEASED)
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released)
