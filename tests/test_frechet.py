"""The course's sample-quality measure: the shipped Fashion-MNIST classifier and the Fréchet
distance in its feature space, against scipy's and torchmetrics' computations of the same formula."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F

from dl4cv import data, frechet
from dl4cv.device import available_devices
from dl4cv.fashion_classifier import FEATURES, accuracy_on_test_set, load_fashion_classifier


def _random_statistics(dimension: int, seed: int, rank: int | None = None):
    generator = torch.Generator().manual_seed(seed)
    factors = torch.randn(dimension, rank or dimension, generator=generator, dtype=torch.float64)
    return torch.randn(dimension, generator=generator, dtype=torch.float64), factors @ factors.T / (rank or dimension)


def _scipy_distance(mean1, cov1, mean2, cov2) -> float:
    root = scipy.linalg.sqrtm(cov1.numpy() @ cov2.numpy())
    return float(((mean1 - mean2) ** 2).sum() + np.trace(cov1.numpy()) + np.trace(cov2.numpy()) - 2 * np.trace(root).real)


@pytest.mark.parametrize("dimension, seed", [(2, 0), (16, 1), (128, 2)])
def test_the_distance_matches_scipy_and_torchmetrics_on_random_gaussians(dimension, seed):
    from torchmetrics.image.fid import _compute_fid

    (mean1, cov1), (mean2, cov2) = _random_statistics(dimension, seed), _random_statistics(dimension, seed + 100)
    ours = frechet.frechet_distance_from_statistics(mean1, cov1, mean2, cov2)
    assert ours == pytest.approx(_scipy_distance(mean1, cov1, mean2, cov2), rel=1e-8)
    assert ours == pytest.approx(float(_compute_fid(mean1, cov1, mean2, cov2)), rel=1e-8)


def test_the_distance_is_zero_for_equal_statistics_and_symmetric():
    mean, cov = _random_statistics(32, 3)
    assert frechet.frechet_distance_from_statistics(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-9)
    other_mean, other_cov = _random_statistics(32, 4)
    assert frechet.frechet_distance_from_statistics(mean, cov, other_mean, other_cov) == pytest.approx(
        frechet.frechet_distance_from_statistics(other_mean, other_cov, mean, cov), rel=1e-10)


def test_the_distance_stays_stable_for_singular_covariances():
    """Fewer samples than features give rank-deficient covariances, where a general square root
    (scipy's sqrtm) picks up imaginary parts and errors; the symmetric route stays real, finite and
    agrees with the closed form for commuting (diagonal) matrices."""
    (mean1, cov1), (mean2, cov2) = _random_statistics(64, 5, rank=10), _random_statistics(64, 6, rank=12)
    distance = frechet.frechet_distance_from_statistics(mean1, cov1, mean2, cov2)
    assert np.isfinite(distance) and distance > 0
    diagonal1, diagonal2 = torch.rand(50, dtype=torch.float64), torch.rand(50, dtype=torch.float64)
    diagonal1[:20] = 0
    want = ((diagonal1.sqrt() - diagonal2.sqrt()) ** 2).sum()
    assert frechet.frechet_distance_from_statistics(torch.zeros(50), torch.diag(diagonal1), torch.zeros(50),
                                                    torch.diag(diagonal2)) == pytest.approx(float(want), rel=1e-9)  # fmt: skip


def test_gaussian_statistics_match_numpy():
    features = torch.randn(300, 7, dtype=torch.float64)
    mean, cov = frechet.gaussian_statistics(features)
    assert torch.allclose(mean, features.mean(0)) and torch.allclose(cov, torch.from_numpy(np.cov(features.numpy(), rowvar=False)))
    with pytest.raises(ValueError, match="N >= 2"):
        frechet.gaussian_statistics(features[:1])


def test_the_shipped_classifier_is_accurate_and_frozen():
    model = load_fashion_classifier()
    assert accuracy_on_test_set(model) > 0.91
    assert not model.training and not any(p.requires_grad for p in model.parameters())


@pytest.fixture(scope="module")
def fashion_test():
    return data.load_dataset("fashion-mnist").x_test.float().div(255)


def test_the_image_distance_agrees_with_torchmetrics_fid_using_the_course_features(fashion_test):
    from torchmetrics.image.fid import FrechetInceptionDistance

    class CourseFeatures(torch.nn.Module):
        num_features = FEATURES

        def forward(self, images):
            return frechet.image_features(images).float()

    real, fake = fashion_test[:1000], fashion_test[1000:2000].flip(3).roll(3, dims=2)
    metric = FrechetInceptionDistance(feature=CourseFeatures(), normalize=True)
    metric.update(real, real=True), metric.update(fake, real=False)
    assert frechet.frechet_distance(real, fake) == pytest.approx(float(metric.compute()), rel=1e-3)
    assert frechet.frechet_distance(frechet.image_statistics(real), fake) == frechet.frechet_distance(real, fake)


def test_real_images_are_closer_than_blurred_ones_and_blurred_closer_than_noise(fashion_test):
    reference, real = fashion_test[:2000], fashion_test[2000:4000]
    blurred = F.avg_pool2d(F.pad(real, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    noise = torch.rand_like(real)
    distances = [frechet.frechet_distance(reference, images) for images in (real, blurred, noise)]
    assert distances[0] * 5 < distances[1] and distances[1] * 2 < distances[2], distances


@pytest.mark.parametrize("device", available_devices(), ids=str)
def test_class_accuracy_reads_the_wanted_classes(fashion_test, device):
    labels = data.load_dataset("fashion-mnist").y_test[:1000]
    images = fashion_test[:1000].to(device)
    assert frechet.class_accuracy(images, labels) > 0.9
    assert frechet.class_accuracy(images, (labels + 1) % 10) < 0.05
    assert frechet.image_features(images).device.type == torch.device(device).type


def test_bad_images_get_clear_errors():
    with pytest.raises(ValueError, match="Fashion-MNIST-shaped"):
        frechet.image_features(torch.rand(4, 3, 28, 28))
    with pytest.raises(ValueError, match="float images"):
        frechet.image_features(torch.zeros(4, 1, 28, 28, dtype=torch.uint8))
    broken = torch.rand(4, 1, 28, 28)
    broken[2, 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="1 of 4 images contain NaN"):
        frechet.frechet_distance(torch.rand(4, 1, 28, 28), broken)
