"""The small labelled sets of the transfer-learning notebook: balanced Fashion-MNIST subsets, the
faces that ship with scikit-image, and PneumoniaMNIST read from a file in MedMNIST's own format
(written here, small) or downloaded by the `medmnist` package when online."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

from dl4cv import data, small_data
from dl4cv.data import Dataset, DatasetNotFoundError


def _dataset(per_class: int = 6, classes: int = 3) -> Dataset:
    labels = torch.arange(classes).repeat_interleave(per_class)
    images = (labels * 40).to(torch.uint8).view(-1, 1, 1, 1).expand(-1, 1, 4, 4).clone()
    return Dataset("toy", images, labels, images[:5], labels[:5], tuple("abc"[:classes]))


def test_few_labels_takes_the_same_number_of_every_class():
    few = small_data.few_labels(_dataset(), per_class=2, num_test=3, seed=1)
    assert torch.bincount(few.y_train).tolist() == [2, 2, 2]
    assert torch.equal(few.x_train[:, 0, 0, 0], few.y_train.to(torch.uint8) * 40), "images stay with their labels"
    assert len(few.y_test) == 3
    again = small_data.few_labels(_dataset(), per_class=2, num_test=3, seed=1)
    assert torch.equal(few.x_train, again.x_train) and torch.equal(few.y_test, again.y_test)
    with pytest.raises(ValueError, match="fewer than 7"):
        small_data.few_labels(_dataset(), per_class=7)


def test_faces_ship_offline_half_faces_half_not():
    faces = small_data.load_faces(num_train=60, seed=0)
    assert faces.x_train.shape == (60, 1, 25, 25) and faces.x_test.shape == (140, 1, 25, 25)
    assert faces.y_train.sum() == 30 and faces.y_test.sum() == 70
    assert faces.classes == ("not a face", "face")
    assert faces.x_train.float().std() > 20, "real photographs, not a constant"
    with pytest.raises(ValueError, match="even"):
        small_data.load_faces(num_train=61)


def _write_medmnist(path, size=28):
    """A tiny PneumoniaMNIST file in MedMNIST's format: uint8 (N, H, W) images, (N, 1) labels."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 6), ("val", 2), ("test", 4)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (n, 1), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays


def test_pneumonia_reads_medmnist_files(monkeypatch, tmp_path):
    monkeypatch.setenv("DL4CV_DATA", str(tmp_path))
    arrays = _write_medmnist(tmp_path / "medmnist" / "pneumoniamnist.npz")
    xrays = small_data.load_pneumonia()
    assert xrays.x_train.shape == (8, 1, 28, 28) and xrays.x_test.shape == (4, 1, 28, 28)
    assert torch.equal(xrays.x_train[:6, 0], torch.from_numpy(arrays["train_images"]))
    assert torch.equal(xrays.y_test, torch.from_numpy(arrays["test_labels"][:, 0].astype(np.int64)))
    assert xrays.classes == ("normal", "pneumonia")
    _write_medmnist(tmp_path / "medmnist" / "pneumoniamnist_64.npz", size=64)
    assert small_data.load_pneumonia(size=64).x_train.shape == (8, 1, 64, 64)
    with pytest.raises(ValueError, match="sizes"):
        small_data.load_pneumonia(size=32)


def test_pneumonia_offline_without_the_file_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("DL4CV_DATA", str(tmp_path))
    monkeypatch.setenv("DL4CV_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match="PneumoniaMNIST not found") as error:
        small_data.load_pneumonia()
    assert "pip install medmnist" in str(error.value) and "download: skipped" in str(error.value)


def test_pneumonia_online_asks_medmnist_to_download_into_the_data_root(monkeypatch, tmp_path):
    """The `medmnist` package (absent offline) is stood in for by one that writes the file where
    the real one would, so the call the loader makes is checked without a network."""
    monkeypatch.setenv("DL4CV_DATA", str(tmp_path))
    monkeypatch.setenv("DL4CV_OFFLINE", "0")
    calls = []

    class PneumoniaMNIST:
        def __init__(self, *, split, download, root, size):
            calls.append((split, download, root, size))
            _write_medmnist(tmp_path / "medmnist" / "pneumoniamnist.npz")

    monkeypatch.setitem(sys.modules, "medmnist", types.SimpleNamespace(PneumoniaMNIST=PneumoniaMNIST))
    assert len(small_data.load_pneumonia().y_train) == 8
    assert calls == [("train", True, str(tmp_path / "medmnist"), 28)]
    assert data.is_offline() is False
