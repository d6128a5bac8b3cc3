"""What the hidden tests of a2 `convolutional_networks` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]


def test_released_modules_are_stubs():
    release = ROOT / "release" / "a2"
    if not (release / "conv_layers.py").is_file() or not (release / "cnn.py").is_file():
        pytest.skip("no release of a2 yet (make release)")
    released_layers = load_module(release / "conv_layers.py")
    released_cnn = load_module(release / "cnn.py")
    x, w, b = torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), torch.ones(1)
    calls = [
        lambda: released_layers.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1}),
        lambda: released_layers.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1}),
        lambda: released_layers.im2col(x, 3, 3, 1, 1),
        lambda: released_layers.max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2}),
        lambda: released_layers.spatial_groupnorm_forward(x, torch.ones(1), torch.ones(1), 1, {}),
        lambda: released_cnn.kaiming_init(3, 4),
        lambda: released_cnn.DeepConvNet((1, 4, 4), (2,), (0,), weight_scale=0.1, seed=0),
    ]
    for call in calls:
        with pytest.raises(NotImplementedError, match="write your code here"):
            call()
