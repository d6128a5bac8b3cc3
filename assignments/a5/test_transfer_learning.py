"""What the hidden tests of a5 `transfer_learning` cannot check: the release raises a clear
NotImplementedError wherever students must write code, and the given baseline, training loops and
helpers do what the notebook says. Every check of the reference solution itself is a hidden test
of the notebook, proven by its simulated class (`dl4cv prove a5 --notebook transfer_learning`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from dl4cv.course.modules import load_module
from dl4cv.pretrained import load_efficientnet_lite0

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def released():
    return load_module(ROOT / "release" / "a5" / "transfer_learning.py")


@pytest.fixture(scope="module")
def reference():
    return load_module(ROOT / "source" / "a5" / "transfer_learning.py")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: m.to_network_input(torch.rand(2, 1, 8, 8), 16), "to_network_input"),
        (lambda m: m.random_crop_flip(torch.rand(2, 1, 8, 8), 2), "random_crop_flip"),
        (lambda m: m.extract_features(load_efficientnet_lite0(), torch.rand(2, 3, 32, 32)), "extract_features"),
        (lambda m: m.TransferNet(load_efficientnet_lite0(frozen=False), 3), "__init__"),
        (lambda m: m.layerwise_param_groups(None, 1e-3, 0.5), "layerwise_param_groups"),
        (lambda m: m.warmup_cosine(0, 10, 2), "warmup_cosine"),
    ],
)
def test_release_stubs_name_what_to_write(released, call, name):
    with pytest.raises(NotImplementedError, match=name):
        call(released)


def test_width_after_names_the_channels_after_the_cut(reference):
    network = load_efficientnet_lite0()
    for blocks in (1, 5, 12, 18):
        with torch.no_grad():
            channels = network.features[:blocks](torch.zeros(1, 3, 64, 64)).shape[1]
        assert reference.width_after(network.features, blocks) == channels


def test_small_cnn_maps_images_to_class_scores(reference):
    model = reference.SmallCNN(10)
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, 10)
    assert reference.SmallCNN(2, channels=3)(torch.rand(2, 3, 25, 25)).shape == (2, 2)
    assert sum(p.numel() for p in model.parameters()) < 150_000


def test_train_classifier_learns_a_separable_problem_and_ends_in_evaluation_mode(reference):
    torch.manual_seed(0)
    images = torch.rand(64, 1, 12, 12) * 0.2
    labels = torch.arange(64) % 2
    images[labels == 1, :, :6] += 0.8  # class 1 is bright on top
    model = reference.SmallCNN(2, width=8)
    losses = reference.train_classifier(model, images, labels, epochs=15, lr=1e-2, warmup_epochs=1, padding=1,
                                        batch_size=16)  # fmt: skip
    assert len(losses) == 15 * 4 and not model.training
    assert sum(losses[-4:]) < 0.5 * sum(losses[:4])
    assert (reference.predict(model, images) == labels).float().mean() > 0.9


def test_train_classifier_follows_the_warmup_cosine_schedule(reference, monkeypatch):
    seen = []
    step = torch.optim.AdamW.step

    def record(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", record)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    reference.train_classifier(model, torch.rand(20, 1, 4, 4), torch.arange(20) % 2, epochs=3, lr=0.1, warmup_epochs=1,
                               batch_size=10)  # fmt: skip
    total, warmup = 6, 2
    assert seen == pytest.approx([0.1 * reference.warmup_cosine(s, total, warmup) for s in range(total)])


def test_fit_linear_probe_fits_fixed_features(reference):
    torch.manual_seed(0)
    features = torch.randn(200, 5)
    labels = (features[:, 0] > 0).long()
    head = nn.Linear(5, 2)
    losses = reference.fit_linear_probe(head, features, labels, epochs=200)
    assert losses[-1] < 0.3 and (head(features).argmax(1) == labels).float().mean() > 0.95


def test_predict_restores_the_mode_and_resizes_when_asked(reference):
    model = reference.TransferNet(load_efficientnet_lite0(frozen=False), 3, blocks=6).train()
    out = reference.predict(model, torch.rand(4, 1, 20, 20), input_size=32)
    assert out.shape == (4,) and out.dtype == torch.int64 and model.training
