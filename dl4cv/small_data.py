"""Small labelled sets for transfer learning: a few hundred Fashion-MNIST labels, faces against
non-faces, and chest X-rays.

    few = few_labels(load_dataset("fashion-mnist"), per_class=20)   # 200 training images
    faces = load_faces()                 # scikit-image's lfw_subset: ships offline
    xrays = load_pneumonia()             # PneumoniaMNIST: a download (medmnist), online only

Each returns a `dl4cv.data.Dataset` (uint8 images (N, 1, H, W), int64 labels).
"""

from __future__ import annotations

import numpy as np
import torch

from dl4cv import data
from dl4cv.data import Dataset, DatasetNotFoundError

__all__ = ["few_labels", "load_faces", "load_pneumonia", "FACE_CLASSES", "PNEUMONIA_CLASSES"]

FACE_CLASSES = ("not a face", "face")
PNEUMONIA_CLASSES = ("normal", "pneumonia")
MEDMNIST_SIZES = (28, 64, 128, 224)


def few_labels(ds: Dataset, per_class: int, *, num_test: int | None = None, seed: int = 0) -> Dataset:
    """`per_class` training images of every class, drawn at random (the same for the same seed),
    in class order; `num_test` random test images (None keeps the whole test split)."""
    generator = torch.Generator().manual_seed(seed)
    picked = []
    for label in range(ds.num_classes):
        members = (ds.y_train == label).nonzero().squeeze(1)
        if len(members) < per_class:
            raise ValueError(f"class {ds.classes[label]!r} has {len(members)} training images, fewer than {per_class}")
        picked.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    index = torch.cat(picked)
    test = torch.arange(len(ds.y_test))
    if num_test is not None:
        test = torch.randperm(len(ds.y_test), generator=generator)[:num_test].sort().values
    return Dataset(ds.name, ds.x_train[index], ds.y_train[index], ds.x_test[test], ds.y_test[test], ds.classes)


def load_faces(num_train: int = 100, *, seed: int = 0) -> Dataset:
    """Faces against non-faces: scikit-image's `lfw_subset` (100 faces from Labeled Faces in the
    Wild and 100 patches of other photographs, 25 × 25 grey), installed with scikit-image, so
    offline. `num_train` images (half of each class) train, the rest test; label 1 is a face."""
    import skimage.data

    images = torch.from_numpy(np.round(skimage.data.lfw_subset() * 255).astype(np.uint8)).unsqueeze(1)
    labels = torch.cat([torch.ones(100, dtype=torch.int64), torch.zeros(100, dtype=torch.int64)])
    if not 0 < num_train < len(labels) or num_train % 2:
        raise ValueError(f"num_train must be even and between 2 and {len(labels) - 2}, got {num_train}")
    generator = torch.Generator().manual_seed(seed)
    train, test = [], []
    for label in (0, 1):
        members = (labels == label).nonzero().squeeze(1)
        members = members[torch.randperm(len(members), generator=generator)]
        train.append(members[: num_train // 2])
        test.append(members[num_train // 2 :])
    train, test = torch.cat(train), torch.cat(test)
    return Dataset("lfw-faces", images[train], labels[train], images[test], labels[test], FACE_CLASSES)


def load_pneumonia(size: int = 28) -> Dataset:
    """PneumoniaMNIST (MedMNIST v2): chest X-rays of children, normal (0) or pneumonia (1), grey,
    `size` × `size`; the training and validation splits together train.

    Read from `pneumoniamnist.npz` (size 28) or `pneumoniamnist_{size}.npz` in `<data root>/medmnist`,
    where the download puts it; otherwise, online, the `medmnist` package downloads it there
    (`pip install medmnist`). Offline without the file: DatasetNotFoundError, saying so."""
    if size not in MEDMNIST_SIZES:
        raise ValueError(f"PneumoniaMNIST comes in sizes {MEDMNIST_SIZES}, not {size}")
    folder = data.data_root() / "medmnist"
    path = folder / ("pneumoniamnist.npz" if size == 28 else f"pneumoniamnist_{size}.npz")
    tried = []
    if not path.is_file():
        tried.append(f"{path}: no such file")
        if data._try_download(tried, data.is_offline(), lambda: _download_pneumonia(folder, size), "medmnist"):
            if not path.is_file():
                tried.append(f"download finished, but {path} is missing")
    if not path.is_file():
        raise DatasetNotFoundError(
            "PneumoniaMNIST not found. It is a download (about 4 MB at size 28) and is not needed offline: "
            "the notebook's medical case runs where the internet can be reached. Tried:\n"
            + "".join(f"  - {line}\n" for line in tried)
            + f"To fix this, go online (unset {data.OFFLINE_ENV}) with `pip install medmnist`, or put the file there."
        )
    return _read_medmnist(path)


def _download_pneumonia(folder, size: int) -> None:
    try:
        import medmnist
    except ImportError:
        raise ImportError("the medmnist package is not installed: pip install medmnist") from None
    folder.mkdir(parents=True, exist_ok=True)
    medmnist.PneumoniaMNIST(split="train", download=True, root=str(folder), size=size)


def _read_medmnist(path) -> Dataset:
    """A MedMNIST .npz (train/val/test _images uint8 (N, H, W), _labels (N, 1)) → Dataset."""
    with np.load(path) as arrays:
        def split(*names: str) -> tuple[torch.Tensor, torch.Tensor]:
            images = np.concatenate([arrays[f"{name}_images"] for name in names])
            labels = np.concatenate([arrays[f"{name}_labels"] for name in names]).reshape(-1)
            if images.ndim != 3 or images.dtype != np.uint8 or len(images) != len(labels):
                raise ValueError(f"{path}: expected uint8 grey images (N, H, W) with N labels, got "
                                 f"{images.dtype} {images.shape} and {labels.shape}")  # fmt: skip
            return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))

        x_train, y_train = split("train", "val")
        x_test, y_test = split("test")
    return Dataset("pneumonia-mnist", x_train, y_train, x_test, y_test, PNEUMONIA_CLASSES)
