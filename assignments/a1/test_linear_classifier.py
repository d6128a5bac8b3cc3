"""What the hidden tests of a1 `linear_classifier` cannot check: the release raises a clear
NotImplementedError wherever students must write code. Every check of the reference solution itself
is written once, as a hidden test of the notebook, and proven by the notebook's simulated class. It
also checks `weight_images`, which the notebook gives students ungraded."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.testing import assert_close

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

lc = load_module(ROOT / "source" / "a1" / "linear_classifier.py")
RELEASED = ROOT / "release" / "a1" / "linear_classifier.py"


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
