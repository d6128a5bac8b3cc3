"""The a1 reference solution against the PyTorch oracle on every available device, and the
released module raising a clear NotImplementedError everywhere a student must write code."""

from __future__ import annotations

import pytest
import torch

from dl4cv.testing import assert_close, assert_no_loops, count_loops, forbidden_calls

from dl4cv.course.modules import load_module

from .conftest import ROOT

knn = load_module(ROOT / "source" / "a1" / "knn.py")
released = load_module(ROOT / "release" / "a1" / "knn.py")

DISTANCES = [knn.compute_distances_two_loops, knn.compute_distances_one_loop, knn.compute_distances_no_loops]


@pytest.mark.parametrize("shape", [(13, 5, 7), (1, 9, 784), (20, 1, 3)])
@pytest.mark.parametrize("distance", DISTANCES, ids=lambda f: f.__name__)
def test_distances_match_cdist(distance, shape, device):
    num_train, num_test, dim = shape
    x_train = torch.randn(num_train, dim, dtype=torch.float64, device=device)
    x_test = torch.randn(num_test, dim, dtype=torch.float64, device=device)
    result = distance(x_train, x_test)
    assert result.device.type == device.type
    assert_close(result, torch.cdist(x_test, x_train) ** 2, rtol=1e-7, atol=1e-9, name=distance.__name__)


def test_no_loop_distance_follows_the_rules():
    assert_no_loops(knn.compute_distances_no_loops)
    assert count_loops(knn.compute_distances_one_loop) == 1
    with forbidden_calls("torch.cdist", "torch.norm", "torch.linalg", "torch.nn.functional", modules=[knn]):
        knn.compute_distances_no_loops(torch.randn(5, 3), torch.randn(2, 3))


def test_predict_labels_majority_and_smallest_label_ties(device):
    dists = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]], device=device)
    labels = torch.tensor([2, 1, 1, 0], device=device)
    assert knn.predict_labels(dists, labels, k=3).tolist() == [1, 1]
    assert knn.predict_labels(dists, labels, k=2).tolist() == [1, 0]
    assert knn.predict_labels(dists, labels, k=4).tolist() == [1, 1]


def test_cross_validation_and_classifier_on_separable_data(device):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(60, 4, generator=gen, dtype=torch.float64).to(device)
    y = (x[:, 0] > 0).long()
    accuracies = knn.cross_validate(x, y, [1, 3], num_folds=3)
    assert set(accuracies) == {1, 3} and all(len(v) == 3 for v in accuracies.values())
    assert knn.best_k({1: [0.5], 3: [0.5]}) == 1
    assert knn.KnnClassifier(x, y).check_accuracy(x, y, k=1) == 1.0


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
