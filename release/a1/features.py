"""Hand-made image features: a histogram of oriented gradients (HOG) and a colour histogram
(assignment a1, notebook features).

Images arrive as a batch `(N, C, H, W)` with C = 1 (grey) or C = 3 (RGB), either uint8 in 0..255
or floating point in [0, 1]. Every extractor turns the batch into one row of features per image,
`(N, D)`, on whatever device the images are on, with no Python loop whose length depends on
the images (over images, rows, pixels or cells); a loop over a fixed small count, such as the
orientation bins or the colour channels, is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

#: Weights of R, G and B in the grey level (ITU-R BT.601 luma).
GREY_WEIGHTS = (0.299, 0.587, 0.114)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """Images as floating point in [0, 1]: uint8 becomes float32 divided by 255, floats stay as they are."""
    return images.float() / 255 if images.dtype == torch.uint8 else images


def to_grey(images: torch.Tensor) -> torch.Tensor:
    """Grey levels of a batch of images.

    Args:
        images: (N, C, H, W), C = 1 or 3, uint8 (0..255) or floating ([0, 1]).
    Returns:
        grey: (N, H, W) floating in [0, 1] (float32 for uint8 input, else the input's dtype).
        For C = 3, `grey = 0.299 R + 0.587 G + 0.114 B`; for C = 1 the only channel.
    """
    x = to_float(images)
    if x.shape[1] == 1:
        return x[:, 0]
    weights = torch.tensor(GREY_WEIGHTS, dtype=x.dtype, device=x.device)  # (3,)
    return (x * weights.view(1, 3, 1, 1)).sum(dim=1)  # (N, H, W)


def image_gradients(grey: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centred finite differences of grey images, zero on the border.

    Args:
        grey: (N, H, W) floating.
    Returns:
        gx, gy: (N, H, W) each, same dtype. Inside the image
        `gx[n, i, j] = grey[n, i, j + 1] - grey[n, i, j - 1]` (along a row, to the right) and
        `gy[n, i, j] = grey[n, i + 1, j] - grey[n, i - 1, j]` (along a column, downwards).
        `gx` is 0 in the first and last column, `gy` in the first and last row.
    """
    # YOUR CODE HERE
    raise NotImplementedError('image_gradients: write your code here')
    return gx, gy


def orientation_histograms(
    gx: torch.Tensor, gy: torch.Tensor, cell_size: int = 4, num_bins: int = 9
) -> torch.Tensor:
    """Magnitude-weighted histograms of unsigned gradient orientations, one per cell.

    The image is cut into square cells of `cell_size` x `cell_size` pixels, starting at the top
    left; pixels of an incomplete cell at the right or bottom are ignored. Every pixel votes with
    its gradient magnitude `sqrt(gx^2 + gy^2)` for its orientation `atan2(gy, gx)` folded into
    [0, pi) (a gradient and its opposite count as the same orientation). Bin b is centred on
    `b * pi / num_bins`; a vote is split linearly between the two nearest bin centres, and the
    last bin wraps round to bin 0 (orientation pi is orientation 0).

    Args:
        gx, gy: (N, H, W) gradients from `image_gradients`.
    Returns:
        hist: (N, H // cell_size, W // cell_size, num_bins), same dtype and device as `gx`.
    """
    N, H, W = gx.shape
    rows, cols = H // cell_size, W // cell_size
    # YOUR CODE HERE
    raise NotImplementedError('orientation_histograms: write your code here')
    return hist


def normalise_blocks(hist: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Group the cells into overlapping blocks of 2 x 2 and give every block unit length.

    Block (i, j) joins cells (i, j), (i, j + 1), (i + 1, j), (i + 1, j + 1), in that order, into
    one vector `v` of 4 * num_bins values, and divides it by `sqrt(sum(v ** 2) + eps ** 2)`.

    Args:
        hist: (N, rows, cols, num_bins) cell histograms, rows and cols >= 2.
    Returns:
        blocks: (N, rows - 1, cols - 1, 4 * num_bins).
    """
    # YOUR CODE HERE
    raise NotImplementedError('normalise_blocks: write your code here')
    return blocks


def hog_features(
    images: torch.Tensor, cell_size: int = 4, num_bins: int = 9, block_normalise: bool = True
) -> torch.Tensor:
    """HOG features of a batch: grey levels, gradients, cell histograms, optionally blocks.

    Args:
        images: (N, C, H, W), C = 1 or 3, uint8 or floating in [0, 1].
    Returns:
        features: (N, D) floating; D = (H // cell_size - 1) * (W // cell_size - 1) * 4 * num_bins
        with block normalisation, else (H // cell_size) * (W // cell_size) * num_bins. Each row
        is the flattened output of `normalise_blocks` (or of `orientation_histograms`).
    """
    # YOUR CODE HERE
    raise NotImplementedError('hog_features: write your code here')
    return features


def rgb_to_hsv(images: torch.Tensor) -> torch.Tensor:
    """Hue, saturation and value of RGB images.

    With `v = max(r, g, b)` and `c = v - min(r, g, b)`: `s = c / v` (0 where v = 0); the hue is 0
    where c = 0, else `((g - b) / c) mod 6` where v = r, `(b - r) / c + 2` where v = g and
    `(r - g) / c + 4` where v = b, divided by 6 so that it lies in [0, 1).

    Args:
        images: (N, 3, H, W) uint8 or floating in [0, 1].
    Returns:
        hsv: (N, 3, H, W) floating, channels hue, saturation, value, each in [0, 1].
    """
    x = to_float(images)
    # YOUR CODE HERE
    raise NotImplementedError('rgb_to_hsv: write your code here')
    return hsv


def colour_histogram(images: torch.Tensor, num_bins: int = 16) -> torch.Tensor:
    """Per-image histogram of the hue (colour images) or of the grey level (grey images).

    A value t in [0, 1] falls into bin `floor(t * num_bins)`, except t = 1, which belongs to the
    last bin. Not allowed: `torch.histc`, `torch.histogram` and the like (count them yourself).

    Args:
        images: (N, C, H, W), C = 3 (hue from `rgb_to_hsv`) or C = 1 (the grey level itself),
        uint8 or floating in [0, 1].
    Returns:
        hist: (N, num_bins) floating (float32 for uint8 input), `hist[n, b]` = number of pixels
        of image n in bin b; every row sums to H * W.
    """
    x = to_float(images)
    values = rgb_to_hsv(x)[:, 0] if x.shape[1] == 3 else x[:, 0]  # (N, H, W) in [0, 1]
    # YOUR CODE HERE
    raise NotImplementedError('colour_histogram: write your code here')
    return hist


def extract_features(
    images: torch.Tensor,
    extractors: Sequence[Callable[[torch.Tensor], torch.Tensor]],
    batch_size: int = 1000,
) -> torch.Tensor:
    """Every extractor's features side by side, computed `batch_size` images at a time.

    Args:
        images: (N, C, H, W).
        extractors: functions mapping (n, C, H, W) images to (n, D_k) features.
    Returns:
        features: (N, D_1 + D_2 + ...), the columns of the first extractor first, in the dtype
        the extractors return.
    """
    # YOUR CODE HERE
    raise NotImplementedError('extract_features: write your code here')
    return features


def feature_statistics(x_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of every feature over the training set.

    Args:
        x_train: (N, D) training features.
    Returns:
        mean, std: (D,) each; std divides by N (not N - 1).
    """
    # YOUR CODE HERE
    raise NotImplementedError('feature_statistics: write your code here')
    return mean, std


def normalise_features(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Features shifted and scaled with the training statistics: `(x - mean) / (std + eps)`.

    Args:
        x: (M, D) features of any split; mean, std: (D,) from `feature_statistics`.
    Returns:
        (M, D), same dtype; a feature that is constant on the training set becomes 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError('normalise_features: write your code here')
