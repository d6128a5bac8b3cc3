"""Dataset loaders for the course (Fashion-MNIST, MNIST, CIFAR-10), all behind one policy.

Files are looked for in the data root (`$DL4CV_DATA`, else `~/.dl4cv/data`), then, for
Fashion-MNIST, in the Debian copy (`sudo apt install dataset-fashion-mnist`); failing that,
torchvision downloads them into the data root unless `DL4CV_OFFLINE=1`. This module parses the
files itself (IDX, CIFAR-10 pickles), so every source loads the same way. When all fails,
`DatasetNotFoundError` says where it looked and how to fix it.
"""

from __future__ import annotations

import functools
import gzip
import importlib
import math
import os
import pickle
import tarfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from dl4cv import env

DATA_DIR_ENV = "DL4CV_DATA"
OFFLINE_ENV = "DL4CV_OFFLINE"
DATASET_ENV = "DL4CV_DATASET"
DEFAULT_DATA_DIR = Path("~/.dl4cv/data")
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
#: System folders searched for Fashion-MNIST after the data root; tests monkeypatch this.
FASHION_MNIST_SYSTEM_DIRS: tuple[Path, ...] = (SYSTEM_FASHION_MNIST,)

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
DATASET_NAMES = ("fashion-mnist", "mnist", "cifar10", "auto")

# x_train, y_train, x_test, y_test, each also accepted with a .gz suffix.
_IDX_STEMS = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)  # fmt: skip
_CIFAR_FOLDER = "cifar-10-batches-py"
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
_CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR_FILES = (*_CIFAR_TRAIN, "test_batch", "batches.meta")


class DatasetNotFoundError(RuntimeError):
    """No local copy of a dataset was found and downloading it was skipped or failed."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled image dataset held in memory; `name` is canonical, e.g. "fashion-mnist".

    x_train: uint8 (N, C, H, W), raw 0-255 pixels;  y_train: int64 (N,), in [0, len(classes)).
    x_test:  uint8 (M, C, H, W);                    y_test:  int64 (M,).
    classes: class names indexed by label. Loaded datasets are cached and shared, so copy a
    tensor before changing it in place.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        for x, y, split in ((self.x_train, self.y_train, "train"), (self.x_test, self.y_test, "test")):
            if x.dtype != torch.uint8 or x.ndim != 4:
                raise ValueError(f"{split} images must be uint8 (N, C, H, W), got {x.dtype} {tuple(x.shape)}")
            if y.dtype != torch.int64 or y.shape != (x.shape[0],):
                raise ValueError(f"{split} labels must be int64 ({len(x)},), got {y.dtype} {tuple(y.shape)}")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image, e.g. (1, 28, 28)."""
        channels, height, width = self.x_train.shape[1:]
        return (channels, height, width)

    @property
    def num_classes(self) -> int:
        """Number of classes, len(classes)."""
        return len(self.classes)

    def summary(self) -> str:
        """A few human-readable lines: name, split sizes, image shape and classes."""
        c, h, w = self.image_shape
        return (
            f"{self.name}: {len(self.y_train)} train / {len(self.y_test)} test images, "
            f"{c}x{h}x{w} uint8\n{self.num_classes} classes: {', '.join(self.classes)}"
        )

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={len(self.y_train)}, test={len(self.y_test)}, "
            f"image_shape={self.image_shape}, num_classes={self.num_classes})"
        )


def data_root() -> Path:
    """The data root, absolute: `$DL4CV_DATA` when set and non-empty, else `~/.dl4cv/data`."""
    return Path(os.path.abspath(env.path(DATA_DIR_ENV) or DEFAULT_DATA_DIR.expanduser()))


def is_offline() -> bool:
    """True when `DL4CV_OFFLINE` is on (1/true/yes/on; see `dl4cv.env.flag`): never download."""
    return env.flag(OFFLINE_ENV)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file of unsigned bytes (the MNIST format), gzipped or plain.

    Header: two zero bytes, the dtype code (0x08 = ubyte), the number of dimensions, then each
    dimension as a big-endian uint32. Returns a writable uint8 array with those dimensions.
    Raises ValueError naming the file when it is malformed or not ubyte.
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    try:
        if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
            raw = bytearray(gzip.decompress(raw))
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a readable gzip file ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: IDX dtype code 0x{raw[2]:02x} is not supported (only 0x08, ubyte)")
    ndim, offset = raw[3], 4 + 4 * raw[3]
    if ndim == 0 or len(raw) < offset:
        raise ValueError(f"{path}: truncated or invalid IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = offset + math.prod(shape)
    if len(raw) != expected:
        raise ValueError(f"{path}: IDX header {shape} needs {expected} bytes, file has {len(raw)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def _read_cifar_pickle(path: Path) -> dict[str, Any]:
    """Unpickle a CIFAR file (Python 2 pickles: latin1), with keys turned into str."""
    with open(path, "rb") as f:
        content = pickle.load(f, encoding="latin1")  # noqa: S301 (trusted course data)
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(content).__name__}")
    return {_as_str(key): value for key, value in content.items()}


def _as_str(value: str | bytes) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 batch: uint8 images (N, 3, 32, 32) and int64 labels (N,).

    Each row of `data` holds 3072 bytes: the 32x32 red plane, then green, then blue.
    """
    batch = _read_cifar_pickle(path)
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: CIFAR batch lacks 'data' or 'labels' (keys: {sorted(batch)})")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels.shape != (data.shape[0],):
        raise ValueError(f"{path}: data {data.shape} and labels {labels.shape} do not form a CIFAR batch")
    return data.reshape(-1, 3, 32, 32), labels


def _complete(folder: Path, names: Sequence[str], tried: list[str], note: str = "", gz: bool = False) -> bool:
    """True when `folder` holds every name (or `name.gz` when gz); else says why in `tried`."""
    missing = [n for n in names if not ((folder / n).is_file() or (gz and (folder / f"{n}.gz").is_file()))]
    if missing:
        why = "missing " + ", ".join(n + ("[.gz]" if gz else "") for n in missing)
        tried.append(f"{note}{folder}: {why if folder.is_dir() else 'no such folder'}")
    return not missing


def _try_download(tried: list[str], offline: bool, fetch: Callable[[], Any], what: str) -> bool:
    """Run `fetch` unless offline; record a skip or failure in `tried`. True on success."""
    if offline:
        tried.append(f"download: skipped ({OFFLINE_ENV}={env.text(OFFLINE_ENV)})")
        return False
    try:
        fetch()
    except Exception as exc:  # torchvision raises anything from URLError to RuntimeError
        reason = " ".join(str(exc).split())  # torchvision's messages span several lines
        tried.append(f"download with {what}: failed ({type(exc).__name__}: {reason})")
        return False
    return True


def _not_found(title: str, tried: list[str], apt_package: str | None = None) -> DatasetNotFoundError:
    fixes = [f"sudo apt install {apt_package}"] if apt_package else []
    fixes += [
        f"set {DATA_DIR_ENV} to a folder holding the files (see the places listed above)",
        f"go online (and unset {OFFLINE_ENV}) so torchvision can download it into {DATA_DIR_ENV}",
    ]
    return DatasetNotFoundError(
        f"{title} not found. Tried:\n"
        + "".join(f"  - {line}\n" for line in tried)
        + "To fix this, do one of:\n"
        + "".join(f"  - {fix}\n" for fix in fixes)
    )


def _torchvision_dataset(class_name: str, root: Path, train: bool = True) -> None:
    """Let torchvision download (and extract) a dataset into `root`; the result is unused."""
    datasets = importlib.import_module("torchvision.datasets")  # lazily: slow, rarely needed
    root.mkdir(parents=True, exist_ok=True)
    getattr(datasets, class_name)(root=str(root), train=train, download=True)


def _load_idx_folder(folder: Path, name: str, classes: tuple[str, ...]) -> Dataset:
    """Read the four IDX files of `folder` (plain name preferred over `.gz`)."""
    paths = [folder / s if (folder / s).is_file() else folder / f"{s}.gz" for s in _IDX_STEMS]
    x_train, y_train, x_test, y_test = (torch.from_numpy(read_idx(path)) for path in paths)
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"{folder}: images {tuple(x.shape)} and labels {tuple(y.shape)} do not match")
    return Dataset(name, x_train.unsqueeze(1), y_train.long(), x_test.unsqueeze(1), y_test.long(), classes)


class _IdxSpec(NamedTuple):
    title: str  # for messages
    torchvision_class: str  # also the folder torchvision downloads into
    folder: str  # this course's own folder name under the data root
    classes: tuple[str, ...]
    apt_package: str | None


_IDX_DATASETS = {
    "fashion-mnist": _IdxSpec(
        "Fashion-MNIST", "FashionMNIST", "fashion-mnist", FASHION_MNIST_CLASSES, "dataset-fashion-mnist"
    ),
    "mnist": _IdxSpec("MNIST", "MNIST", "mnist", MNIST_CLASSES, None),
}


def _load_idx_dataset(name: str, root: Path, offline: bool) -> Dataset:
    """Fashion-MNIST or MNIST: the data root, then system dirs (Fashion-MNIST), then a download."""
    spec, tried = _IDX_DATASETS[name], list[str]()
    raw = root / spec.torchvision_class / "raw"
    system = FASHION_MNIST_SYSTEM_DIRS if name == "fashion-mnist" else ()
    for folder in (root / spec.folder, raw, *system):
        if _complete(folder, _IDX_STEMS, tried, gz=True):
            return _load_idx_folder(folder, name, spec.classes)
    fetch = functools.partial(_torchvision_dataset, spec.torchvision_class, root)
    if _try_download(tried, offline, fetch, f"torchvision.datasets.{spec.torchvision_class}") and _complete(
        raw, _IDX_STEMS, tried, "download finished, but ", gz=True
    ):
        return _load_idx_folder(raw, name, spec.classes)
    raise _not_found(spec.title, tried, spec.apt_package)


def _extract_safely(archive: Path, dest: Path, tried: list[str]) -> bool:
    """Extract a .tar.gz into `dest`, refusing links, devices and paths leaving `dest`."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        tried.append(f"{archive}: could not extract ({type(exc).__name__}: {exc})")
        return False
    return True


def _read_cifar_folder(folder: Path) -> Dataset:
    """Read the five training batches, the test batch and the class names of `folder`."""
    train = [_read_cifar_batch(folder / name) for name in _CIFAR_TRAIN]
    x_test, y_test = _read_cifar_batch(folder / "test_batch")
    meta = _read_cifar_pickle(folder / "batches.meta")
    if "label_names" not in meta:
        raise ValueError(f"{folder / 'batches.meta'}: no 'label_names' entry")
    x_train, y_train = (torch.from_numpy(np.concatenate(parts)) for parts in zip(*train, strict=True))
    classes = tuple(_as_str(label) for label in meta["label_names"])
    return Dataset("cifar10", x_train, y_train, torch.from_numpy(x_test), torch.from_numpy(y_test), classes)


def _cifar_is_local(root: Path) -> bool:
    return _complete(root / _CIFAR_FOLDER, _CIFAR_FILES, []) or (root / _CIFAR_ARCHIVE).is_file()


def _load_cifar10(root: Path, offline: bool) -> Dataset:
    """CIFAR-10: the extracted folder, else the archive beside it, else a download."""
    folder, archive = root / _CIFAR_FOLDER, root / _CIFAR_ARCHIVE
    tried: list[str] = []
    if _complete(folder, _CIFAR_FILES, tried):
        return _read_cifar_folder(folder)
    if not archive.is_file():
        tried.append(f"{archive}: no such file")
    elif _extract_safely(archive, root, tried) and _complete(folder, _CIFAR_FILES, tried, "extracted, but "):
        return _read_cifar_folder(folder)
    fetch = functools.partial(_torchvision_dataset, "CIFAR10", root)
    if _try_download(tried, offline, fetch, "torchvision.datasets.CIFAR10") and _complete(
        folder, _CIFAR_FILES, tried, "download finished, but "
    ):
        return _read_cifar_folder(folder)
    raise _not_found("CIFAR-10", tried)


def _load_auto(root: Path, offline: bool) -> Dataset:
    """CIFAR-10 when it is local or downloadable, else Fashion-MNIST; says which and why."""
    if _cifar_is_local(root):
        print(f"dl4cv.data: using cifar10 (found in {root})")
        return _load_cached("cifar10", str(root), offline)
    if offline:
        print(f"dl4cv.data: using fashion-mnist (no CIFAR-10 in {root} and {OFFLINE_ENV} is set)")
        return _load_cached("fashion-mnist", str(root), offline)
    try:
        dataset = _load_cached("cifar10", str(root), offline)
    except DatasetNotFoundError:
        print(f"dl4cv.data: using fashion-mnist (CIFAR-10 is not in {root} and could not be downloaded)")
        return _load_cached("fashion-mnist", str(root), offline)
    print(f"dl4cv.data: using cifar10 (downloaded into {root})")
    return dataset


@functools.lru_cache(maxsize=8)
def _load_cached(name: str, root: str, offline: bool) -> Dataset:
    """The one cached entry point: a canonical name, the data root as str, the offline flag."""
    if name == "auto":
        return _load_auto(Path(root), offline)
    if name == "cifar10":
        return _load_cifar10(Path(root), offline)
    return _load_idx_dataset(name, Path(root), offline)


def clear_cache() -> None:
    """Forget the datasets `load_dataset` has cached in this process."""
    _load_cached.cache_clear()


def canonical_name(name: str) -> str:
    """Map spellings like "Fashion_MNIST" or "cifar-10" to a name in DATASET_NAMES."""
    key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    for canonical in DATASET_NAMES:
        if key == canonical.replace("-", ""):
            return canonical
    raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASET_NAMES)}")


def load_dataset(name: str = "auto") -> Dataset:
    """Load a dataset by name: "fashion-mnist", "mnist", "cifar10" or "auto".

    `$DL4CV_DATASET`, when set, decides what "auto" means; a notebook that names its dataset (for
    a task only that dataset poses) always gets it. "auto" otherwise picks CIFAR-10 when it is on
    disk or can be downloaded, else Fashion-MNIST. Results are cached per (name, data root, offline).
    Raises ValueError for an unknown name and DatasetNotFoundError when no copy can be had.
    """
    override = env.text(DATASET_ENV) if name == "auto" else ""
    try:
        resolved = canonical_name(override or name)
    except ValueError as exc:
        raise ValueError(f"{exc} (from ${DATASET_ENV})" if override else str(exc)) from None
    return _load_cached(resolved, str(data_root()), is_offline())


def subsample(ds: Dataset, num_train: int | None, num_test: int | None, *, seed: int = 0) -> Dataset:
    """A random subset of each split (None keeps the whole split), the same for the same seed.

    The chosen examples keep their original order. Raises ValueError when a count is negative
    or larger than the split.
    """
    generator = torch.Generator().manual_seed(seed)
    x_train, y_train = _pick(ds.x_train, ds.y_train, num_train, generator)
    x_test, y_test = _pick(ds.x_test, ds.y_test, num_test, generator)
    return Dataset(ds.name, x_train, y_train, x_test, y_test, ds.classes)


def _pick(
    x: torch.Tensor, y: torch.Tensor, count: int | None, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    if count is None:
        return x, y
    if not 0 <= count <= len(y):
        raise ValueError(f"cannot take {count} examples from a split of {len(y)}")
    index = torch.randperm(len(y), generator=gen)[:count].sort().values
    return x[index], y[index]


def flatten_images(x: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(N, C, H, W) images -> (N, C*H*W) rows of `dtype`, raw values kept (0-255 stays 0-255)."""
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")
    return x.reshape(x.shape[0], -1).to(dtype)
