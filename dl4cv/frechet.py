"""The course's sample-quality numbers for generated Fashion-MNIST images.

- **Fréchet distance**: fit a Gaussian (mean, covariance) to the course classifier's 128 features
  of each set of images; the distance between N(m1, S1) and N(m2, S2) is
  ||m1 - m2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) (the formula of the FID, in the feature space of a
  network trained on this data instead of Inception's). 0 for identical statistics; lower is better.
- **Class accuracy**: how often the classifier names the class a conditional sample was asked for.

The trace of (S1 S2)^(1/2) is computed in float64 from symmetric eigendecompositions: with
A = S1^(1/2), the product S1 S2 = A (A S2) has the eigenvalues of A S2 A, which is symmetric and
positive semi-definite, so the trace is the sum of the square roots of its (clamped) eigenvalues.
No general (non-symmetric) eigensolver or iterative square root is involved.
"""

from __future__ import annotations

import torch

from dl4cv.fashion_classifier import load_fashion_classifier


def _images(images: torch.Tensor) -> torch.Tensor:
    if images.dim() == 3:
        images = images[:, None]
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected Fashion-MNIST-shaped images (N, 1, 28, 28) or (N, 28, 28), got {tuple(images.shape)}")
    if not images.is_floating_point():
        raise ValueError(f"expected float images in [0, 1], got {images.dtype}")
    if not torch.isfinite(images).all():
        raise ValueError(f"{int((~torch.isfinite(images)).flatten(1).any(1).sum())} of {len(images)} images contain NaN or inf")
    return images.float().clamp(0, 1)


@torch.no_grad()
def image_features(images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """(N, 1, 28, 28) or (N, 28, 28) float images in [0, 1] (values outside are clipped) ->
    (N, 128) float64 features of the course classifier, computed on the images' device."""
    images = _images(images)
    model = load_fashion_classifier(images.device)
    return torch.cat([model.features(images[s:s + batch_size]) for s in range(0, len(images), batch_size)]).double()


def gaussian_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, D) -> the mean (D,) and the unbiased covariance (D, D), in float64."""
    if features.dim() != 2 or len(features) < 2:
        raise ValueError(f"need (N, D) features with N >= 2, got {tuple(features.shape)}")
    features = features.double()
    mean = features.mean(0)
    centred = features - mean
    return mean, centred.T @ centred / (len(features) - 1)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance_from_statistics(mean1: torch.Tensor, cov1: torch.Tensor, mean2: torch.Tensor, cov2: torch.Tensor) -> float:
    """The Fréchet distance between N(mean1, cov1) and N(mean2, cov2), computed in float64."""
    mean1, cov1, mean2, cov2 = (t.double() for t in (mean1, cov1, mean2, cov2))
    root = _psd_sqrt(cov1)
    middle = root @ cov2 @ root
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    distance = (mean1 - mean2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_sqrt
    return max(float(distance), 0.0)


Statistics = tuple[torch.Tensor, torch.Tensor]


def image_statistics(images: torch.Tensor) -> Statistics:
    """The Gaussian statistics (mean (128,), covariance (128, 128)) of a set of images' features:
    compute them once for a reference set that many others are compared with."""
    return gaussian_statistics(image_features(images))


def frechet_distance(first: torch.Tensor | Statistics, second: torch.Tensor | Statistics) -> float:
    """The Fréchet distance between two sets of images in the course classifier's feature space;
    either set may be given as its `image_statistics` instead. Use a few thousand images per set:
    the estimate is biased upwards for small sets."""
    return frechet_distance_from_statistics(*_statistics(first), *_statistics(second))


def _statistics(images_or_statistics: torch.Tensor | Statistics) -> Statistics:
    if isinstance(images_or_statistics, tuple):
        return images_or_statistics
    return image_statistics(images_or_statistics)


@torch.no_grad()
def predicted_classes(images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """(N, 1, 28, 28) images in [0, 1] -> (N,) int64 classes the course classifier sees."""
    images = _images(images)
    model = load_fashion_classifier(images.device)
    return torch.cat([model(images[s:s + batch_size]).argmax(1) for s in range(0, len(images), batch_size)])


def class_accuracy(images: torch.Tensor, wanted: torch.Tensor) -> float:
    """The share of images the course classifier puts in the class asked for: wanted (N,) int64."""
    return float((predicted_classes(images).cpu() == wanted.cpu()).float().mean())
