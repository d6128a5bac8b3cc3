"""Colour photographs that work offline: the sample images scikit-image and scikit-learn install
with themselves, as float tensors ready for an ImageNet classifier.

    photos = sample_photos(size=224)         # {"chelsea": (3, 224, 224) in [0, 1], ...}
    batch = torch.stack(list(photos.values()))
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["PHOTO_NAMES", "load_photo", "sample_photos", "as_tensor"]

# Name -> where it comes from. Every one ships inside the installed package (no download).
_SKIMAGE = {
    "chelsea": "chelsea",
    "coffee": "coffee",
    "astronaut": "astronaut",
    "rocket": "rocket",
    "motorcycle": "stereo_motorcycle",
    "hubble": "hubble_deep_field",
    "retina": "retina",
    "cells": "immunohistochemistry",
}
_SKLEARN = {"china": "china.jpg", "flower": "flower.jpg"}
PHOTO_NAMES = tuple(_SKIMAGE) + tuple(_SKLEARN)


@functools.lru_cache(maxsize=None)
def load_photo(name: str) -> np.ndarray:
    """The photo `name` (one of PHOTO_NAMES) at full size: uint8 (H, W, 3), read only."""
    if name in _SKIMAGE:
        import skimage.data

        if name == "motorcycle":
            image = skimage.data.stereo_motorcycle()[0]  # (left, right, disparity)
        else:
            image = getattr(skimage.data, _SKIMAGE[name])()
    elif name in _SKLEARN:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(_SKLEARN[name])
    else:
        raise ValueError(f"unknown photo {name!r}; the photos are: {', '.join(PHOTO_NAMES)}")
    image = np.ascontiguousarray(image[..., :3])
    image.setflags(write=False)
    return image


def as_tensor(image: np.ndarray, size: int | None = 224) -> torch.Tensor:
    """uint8 (H, W, 3) -> float (3, size, size) in [0, 1]: the central square, resized with
    antialiasing (size None keeps the whole image at its size)."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3), got shape {image.shape}")
    pixels = torch.from_numpy(np.array(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    if size is None:
        return pixels
    height, width = pixels.shape[1:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = pixels[:, top:top + side, left:left + side]
    return F.interpolate(square[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0].clamp(0, 1)


def sample_photos(size: int | None = 224, names: tuple[str, ...] = PHOTO_NAMES) -> dict[str, torch.Tensor]:
    """{name: float (3, size, size) in [0, 1]} for the photos named (all ten by default)."""
    return {name: as_tensor(load_photo(name), size) for name in names}
