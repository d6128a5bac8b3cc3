"""Tests for dl4cv.data: tiny files in the real on-disk formats, never the network."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import sys
import tarfile
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from dl4cv import data

IDX_STEMS = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


# --------------------------------------------------------------------------- file writers


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray) -> None:
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)


def write_idx_folder(folder: Path, *, gz: bool = True, seed: int = 0, n_train: int = 6, n_test: int = 4):
    """The four MNIST-style files with random content; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_STEMS.items():
        write_idx(folder / (stem + (".gz" if gz else "")), arrays[key])
    return arrays


def cifar_batches(per_batch: int = 3, n_test: int = 2, key=lambda k: k.encode()):
    """{file name: pickled bytes} of a tiny CIFAR-10, dicts shaped like the Python 2 originals."""
    rng = np.random.default_rng(1)
    files, expected = {}, {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        n = n_test if name == "test_batch" else per_batch
        images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        batch = {
            key("data"): images.reshape(n, 3072),
            key("labels"): labels,
            key("batch_label"): key(f"{name} of 6"),
            key("filenames"): [key(f"img_{i}.png") for i in range(n)],
        }
        files[name] = pickle.dumps(batch, protocol=2)
        expected[name] = (images, labels)
    files["batches.meta"] = pickle.dumps({key("label_names"): [key(c) for c in CIFAR_CLASSES]}, protocol=2)
    return files, expected


def write_cifar_folder(root: Path, **kwargs):
    files, expected = cifar_batches(**kwargs)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return expected


def write_cifar_tar(root: Path, extra: dict[str, bytes] | None = None):
    files, expected = cifar_batches()
    members = {f"cifar-10-batches-py/{name}": content for name, content in files.items()}
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name, content in {**members, **(extra or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return expected


def fake_datasets_module(**classes) -> types.ModuleType:
    """Stands in for torchvision.datasets (importing the real one costs seconds)."""
    module = types.ModuleType("torchvision.datasets")
    for name in ("FashionMNIST", "MNIST", "CIFAR10"):
        setattr(module, name, classes.get(name, _network_forbidden))
    return module


def _network_forbidden(*args, **kwargs):
    raise AssertionError("a test tried to download through torchvision")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch) -> Iterator[Path]:
    """Empty DL4CV_DATA, offline, no system copy, no torchvision, empty cache."""
    data.clear_cache()
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("DL4CV_DATA", str(root))
    monkeypatch.setenv("DL4CV_OFFLINE", "1")
    monkeypatch.delenv("DL4CV_DATASET", raising=False)
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIRS", ())
    monkeypatch.setitem(sys.modules, "torchvision.datasets", fake_datasets_module())
    yield root
    data.clear_cache()


def assert_matches_idx(ds: data.Dataset, arrays: dict[str, np.ndarray]) -> None:
    assert ds.x_train.dtype == ds.x_test.dtype == torch.uint8
    assert ds.y_train.dtype == ds.y_test.dtype == torch.int64
    assert ds.x_train.shape == (len(arrays["x_train"]), 1, 28, 28)
    assert ds.x_test.shape == (len(arrays["x_test"]), 1, 28, 28)
    assert np.array_equal(ds.x_train[:, 0].numpy(), arrays["x_train"])
    assert np.array_equal(ds.x_test[:, 0].numpy(), arrays["x_test"])
    assert np.array_equal(ds.y_train.numpy(), arrays["y_train"])
    assert np.array_equal(ds.y_test.numpy(), arrays["y_test"])


# --------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_round_trips_plain_and_gzip(tmp_path, name):
    array = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    write_idx(tmp_path / name, array)
    result = data.read_idx(tmp_path / name)
    assert result.dtype == np.uint8 and result.shape == (2, 3, 5)
    assert np.array_equal(result, array)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x08\x01" + struct.pack(">I", 2) + b"ab", "magic"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + b"ab", "0x0d"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "header"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"ab", "needs"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"ab", "needs"),
        (gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 9) + b"x" * 9)[:-12], "gzip"),
    ],
    ids=["magic", "dtype", "short-header", "truncated", "trailing", "broken-gzip"],
)
def test_read_idx_rejects_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        data.read_idx(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- MNIST-style loading


def test_fashion_mnist_from_data_dir_round_trips(root):
    arrays = write_idx_folder(root / "fashion-mnist")
    ds = data.load_dataset("fashion-mnist")
    assert_matches_idx(ds, arrays)
    assert ds.name == "fashion-mnist" and ds.classes[0] == "T-shirt/top" and len(ds.classes) == 10
    assert ds.image_shape == (1, 28, 28)
    assert "train=6" in repr(ds) and "test=4" in repr(ds)
    assert "6 train / 4 test" in ds.summary()


def test_data_dir_wins_over_system_dir(root, tmp_path, monkeypatch):
    system = tmp_path / "system"
    write_idx_folder(system, seed=1)
    mine = write_idx_folder(root / "fashion-mnist", seed=2)
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIRS", (system,))
    assert_matches_idx(data.load_dataset("fashion-mnist"), mine)


def test_system_dir_used_when_data_dir_lacks_files(root, tmp_path, monkeypatch):
    system = tmp_path / "system"
    arrays = write_idx_folder(system, seed=3)
    (root / "fashion-mnist").mkdir()
    write_idx(root / "fashion-mnist" / "train-images-idx3-ubyte.gz", arrays["x_train"])  # incomplete
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIRS", (tmp_path / "nowhere", system))
    assert_matches_idx(data.load_dataset("fashion-mnist"), arrays)


@pytest.mark.parametrize(
    ("name", "folder"), [("fashion-mnist", "FashionMNIST/raw"), ("mnist", "mnist"), ("mnist", "MNIST/raw")]
)
def test_torchvision_layout_and_mnist(root, name, folder):
    arrays = write_idx_folder(root / folder, gz=False)
    ds = data.load_dataset(name)
    assert_matches_idx(ds, arrays)
    assert ds.name == name


def test_mnist_classes_are_digits(root):
    write_idx_folder(root / "mnist")
    assert data.load_dataset("MNIST").classes == tuple("0123456789")


# --------------------------------------------------------------------------- CIFAR-10


def test_cifar10_from_tarball_keeps_pixel_layout(root):
    expected = write_cifar_tar(root)
    ds = data.load_dataset("cifar-10")
    assert (root / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert ds.name == "cifar10" and ds.classes == CIFAR_CLASSES
    assert ds.x_train.shape == (15, 3, 32, 32) and ds.x_test.shape == (2, 3, 32, 32)
    assert ds.x_train.dtype == torch.uint8 and ds.y_train.dtype == torch.int64
    # Row layout: 1024 red bytes, then 1024 green, then 1024 blue, each plane row-major.
    images, labels = expected["data_batch_2"]
    flat = images.reshape(3, 3072)
    i, r, c = 1, 7, 20
    assert ds.x_train[3 + i, 1, r, c].item() == flat[i, 1024 + 32 * r + c]
    assert np.array_equal(ds.x_train[3:6].numpy(), images)
    assert ds.y_train[3:6].tolist() == labels
    assert ds.y_test.tolist() == expected["test_batch"][1]


def test_cifar10_folder_with_str_keys(root):
    expected = write_cifar_folder(root, key=str)
    ds = data.load_dataset("CIFAR_10")
    assert ds.classes == CIFAR_CLASSES
    assert np.array_equal(ds.x_test.numpy(), expected["test_batch"][0])


def test_cifar10_refuses_unsafe_archive(root):
    write_cifar_tar(root, extra={"../escaped.txt": b"nope"})
    with pytest.raises(data.DatasetNotFoundError, match="could not extract"):
        data.load_dataset("cifar10")
    assert not (root.parent / "escaped.txt").exists()


# --------------------------------------------------------------------------- not found / download


def test_offline_error_lists_places_and_fixes(root, tmp_path, monkeypatch):
    system = tmp_path / "no-system-copy"
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIRS", (system,))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_dataset("fashion-mnist")
    message = str(info.value)
    for place in (root / "fashion-mnist", root / "FashionMNIST" / "raw", system):
        assert str(place) in message
    assert "download: skipped (DL4CV_OFFLINE=1)" in message
    assert "sudo apt install dataset-fashion-mnist" in message
    assert "DL4CV_DATA" in message


def test_cifar10_offline_error(root):
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_dataset("cifar10")
    message = str(info.value)
    assert str(root / "cifar-10-batches-py") in message and str(root / "cifar-10-python.tar.gz") in message
    assert "DL4CV_OFFLINE=1" in message and "apt install" not in message


def test_download_through_torchvision(root, monkeypatch):
    calls, written = [], {}

    class FakeFashionMNIST:
        def __init__(self, root, train=True, download=False):
            calls.append((Path(root), train, download))
            written.update(write_idx_folder(Path(root) / "FashionMNIST" / "raw", seed=4))

    monkeypatch.delenv("DL4CV_OFFLINE")
    fake = fake_datasets_module(FashionMNIST=FakeFashionMNIST)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", fake)
    assert_matches_idx(data.load_dataset("fashion-mnist"), written)
    assert calls == [(root, True, True)]


def test_cifar10_download_through_torchvision(root, monkeypatch):
    written = {}

    class FakeCIFAR10:
        def __init__(self, root, train=True, download=False):
            assert download
            written.update(write_cifar_folder(Path(root)))

    monkeypatch.setenv("DL4CV_OFFLINE", "0")
    monkeypatch.setitem(sys.modules, "torchvision.datasets", fake_datasets_module(CIFAR10=FakeCIFAR10))
    assert np.array_equal(data.load_dataset("cifar10").x_test.numpy(), written["test_batch"][0])


def test_download_errors_are_wrapped(monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.delenv("DL4CV_OFFLINE")
    monkeypatch.setitem(sys.modules, "torchvision.datasets", fake_datasets_module(MNIST=unreachable))
    with pytest.raises(data.DatasetNotFoundError, match="OSError: network is unreachable"):
        data.load_dataset("mnist")


# --------------------------------------------------------------------------- names, auto, cache


def test_dataset_env_decides_auto_but_not_a_named_dataset(root, monkeypatch):
    write_idx_folder(root / "mnist")
    write_idx_folder(root / "fashion-mnist")
    monkeypatch.setenv("DL4CV_DATASET", "MNIST")
    assert data.load_dataset("auto").name == "mnist"
    assert data.load_dataset("fashion-mnist").name == "fashion-mnist"
    monkeypatch.setenv("DL4CV_DATASET", "svhn")
    with pytest.raises(ValueError, match="DL4CV_DATASET"):
        data.load_dataset()


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("Fashion_MNIST", "fashion-mnist"),
        ("fashionmnist", "fashion-mnist"),
        ("CIFAR-10", "cifar10"),
        ("Auto", "auto"),
    ],
)
def test_name_spellings(spelling, name):
    assert data.canonical_name(spelling) == name


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="fashion-mnist, mnist, cifar10, auto"):
        data.load_dataset("imagenet")


def test_auto_offline_picks_fashion_mnist(root, capsys):
    write_idx_folder(root / "fashion-mnist")
    assert data.load_dataset("auto").name == "fashion-mnist"
    assert "fashion-mnist" in capsys.readouterr().out


def test_auto_picks_local_cifar10(root, capsys):
    write_cifar_folder(root)
    write_idx_folder(root / "fashion-mnist")
    assert data.load_dataset().name == "cifar10"
    assert "using cifar10" in capsys.readouterr().out


def test_auto_online_falls_back_when_cifar_download_fails(root, monkeypatch, capsys):
    def unreachable(*args, **kwargs):
        raise RuntimeError("no route to host")

    write_idx_folder(root / "fashion-mnist")
    monkeypatch.delenv("DL4CV_OFFLINE")
    monkeypatch.setitem(sys.modules, "torchvision.datasets", fake_datasets_module(CIFAR10=unreachable))
    assert data.load_dataset("auto").name == "fashion-mnist"
    assert "could not be downloaded" in capsys.readouterr().out


def test_loaded_datasets_are_cached(root):
    write_idx_folder(root / "fashion-mnist")
    first = data.load_dataset("fashion-mnist")
    assert data.load_dataset("fashion_mnist") is first
    data.clear_cache()
    assert data.load_dataset("fashion-mnist") is not first


def test_data_root_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("DL4CV_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.data_root() == tmp_path / ".dl4cv" / "data"


# --------------------------------------------------------------------------- tensor helpers


def test_subsample_is_deterministic(root):
    write_idx_folder(root / "fashion-mnist", n_train=50, n_test=20)
    ds = data.load_dataset("fashion-mnist")
    a = data.subsample(ds, 10, None, seed=3)
    b = data.subsample(ds, 10, None, seed=3)
    c = data.subsample(ds, 10, None, seed=4)
    assert a.x_train.shape == (10, 1, 28, 28) and len(a.y_test) == 20
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.x_train, c.x_train)
    assert data.subsample(ds, 0, 5).x_train.shape == (0, 1, 28, 28)
    with pytest.raises(ValueError, match="cannot take 51"):
        data.subsample(ds, 51, None)


def test_flatten_images():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(2, 3, 4, 5)
    flat = data.flatten_images(x)
    assert flat.shape == (2, 60) and flat.dtype == torch.float32
    assert torch.equal(flat[1], x[1].flatten().float())
    assert flat.max().item() == 119.0
    assert data.flatten_images(x, dtype=torch.float64).dtype == torch.float64


# --------------------------------------------------------------------------- the real Debian copy


@pytest.mark.skipif(
    not all((data.SYSTEM_FASHION_MNIST / f"{stem}.gz").is_file() for stem in IDX_STEMS.values()),
    reason=f"no system Fashion-MNIST at {data.SYSTEM_FASHION_MNIST} (sudo apt install dataset-fashion-mnist)",
)
def test_real_debian_fashion_mnist(monkeypatch):
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIRS", (data.SYSTEM_FASHION_MNIST,))
    ds = data.load_dataset("fashion-mnist")
    assert ds.x_train.shape == (60000, 1, 28, 28) and ds.x_test.shape == (10000, 1, 28, 28)
    assert ds.y_train.min().item() == 0 and ds.y_train.max().item() == 9
    assert set(ds.y_test.tolist()) == set(range(10))
