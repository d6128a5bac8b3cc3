"""The a1 `features` reference solution against loop-based and library oracles on every
available device, its rules (no loops, no library histograms), and the released module raising a
clear NotImplementedError everywhere a student must write code."""

from __future__ import annotations

import math

import matplotlib.colors
import pytest
import torch
import torch.nn.functional as F

from dl4cv.testing import assert_close, assert_no_loops, forbidden_calls, speed_ratio

from dl4cv.course.modules import load_module

from .conftest import ROOT

features = load_module(ROOT / "source" / "a1" / "features.py")
RELEASED = ROOT / "release" / "a1" / "features.py"

HISTOGRAMS = (
    "torch.histc", "torch.histogram", "torch.histogramdd", "torch.Tensor.histc", "torch.Tensor.histogram",
    "numpy.histogram", "numpy.histogramdd", "numpy.histogram2d",
)  # fmt: skip


def cells_oracle(gx: torch.Tensor, gy: torch.Tensor, cell_size: int, num_bins: int) -> torch.Tensor:
    """Cell histograms one pixel at a time, in Python floats."""
    N, H, W = gx.shape
    rows, cols = H // cell_size, W // cell_size
    out = torch.zeros(N, rows, cols, num_bins, dtype=torch.float64)
    for n in range(N):
        for i in range(rows * cell_size):
            for j in range(cols * cell_size):
                a, b = float(gx[n, i, j]), float(gy[n, i, j])
                p = (math.atan2(b, a) % math.pi) * num_bins / math.pi
                low = math.floor(p)
                out[n, i // cell_size, j // cell_size, low % num_bins] += math.hypot(a, b) * (1 - (p - low))
                out[n, i // cell_size, j // cell_size, (low + 1) % num_bins] += math.hypot(a, b) * (p - low)
    return out


def blocks_oracle(cells: torch.Tensor, eps: float) -> torch.Tensor:
    N, rows, cols, bins = cells.shape
    out = torch.zeros(N, rows - 1, cols - 1, 4 * bins, dtype=torch.float64)
    for n in range(N):
        for i in range(rows - 1):
            for j in range(cols - 1):
                v = torch.cat([cells[n, i, j], cells[n, i, j + 1], cells[n, i + 1, j], cells[n, i + 1, j + 1]]).double()
                out[n, i, j] = v / math.sqrt(float((v * v).sum()) + eps * eps)
    return out


def hsv_oracle(images: torch.Tensor) -> torch.Tensor:
    array = images.double().cpu().permute(0, 2, 3, 1).numpy()
    return torch.from_numpy(matplotlib.colors.rgb_to_hsv(array)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("shape", [(3, 7, 9), (1, 3, 3), (2, 28, 28)])
def test_gradients_match_a_convolution(shape, device):
    grey = torch.rand(*shape, dtype=torch.float64, device=device)
    kernel = torch.tensor([[[[-1.0, 0.0, 1.0]]]], dtype=grey.dtype, device=device)
    want_x = F.pad(F.conv2d(grey[:, None], kernel)[:, 0], (1, 1))
    want_y = F.pad(F.conv2d(grey[:, None], kernel.transpose(2, 3))[:, 0], (0, 0, 1, 1))
    gx, gy = features.image_gradients(grey)
    assert gx.device.type == device.type
    assert_close(gx, want_x, rtol=1e-12, atol=1e-12, name="g_x")
    assert_close(gy, want_y, rtol=1e-12, atol=1e-12, name="g_y")


def test_gradients_of_fixed_images(device):
    gx, gy = features.image_gradients(torch.full((1, 5, 6), 0.4, device=device))
    assert gx.abs().max() == 0 and gy.abs().max() == 0
    edge = torch.zeros(1, 5, 6, device=device)
    edge[:, :, 3:] = 1.0
    gx, gy = features.image_gradients(edge)
    assert gy.abs().max() == 0 and gx[:, :, 2:4].eq(1).all() and gx[:, :, [0, 1, 4, 5]].eq(0).all()


@pytest.mark.parametrize(
    ("shape", "cell_size", "num_bins"), [((2, 8, 12), 4, 9), ((3, 13, 10), 3, 6), ((1, 9, 9), 4, 8), ((1, 7, 5), 1, 4)]
)
def test_orientation_histograms_match_the_loop_oracle(shape, cell_size, num_bins, device):
    gx = torch.randn(*shape, dtype=torch.float64, device=device)
    gy = torch.randn(*shape, dtype=torch.float64, device=device)
    result = features.orientation_histograms(gx, gy, cell_size, num_bins)
    assert result.device.type == device.type and result.dtype == torch.float64
    assert_close(result, cells_oracle(gx.cpu(), gy.cpu(), cell_size, num_bins), rtol=1e-9, atol=1e-9)


def test_orientation_histograms_of_fixed_gradients(device):
    angles = torch.tensor([0.0, 45.0, 90.0, 135.0, 180.0, -90.0], dtype=torch.float64, device=device) * math.pi / 180
    gx = torch.cos(angles).view(6, 1, 1).expand(6, 2, 2).contiguous()
    gy = torch.sin(angles).view(6, 1, 1).expand(6, 2, 2).contiguous()
    hist = features.orientation_histograms(gx, gy, cell_size=2, num_bins=4)[:, 0, 0]  # (6, 4)
    expected = torch.tensor([[4.0, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0], [0, 0, 0, 4], [4, 0, 0, 0], [0, 0, 4, 0]])
    assert_close(hist, expected.double(), rtol=1e-9, atol=1e-9)
    vertical = features.orientation_histograms(torch.zeros(1, 4, 4, device=device), torch.ones(1, 4, 4, device=device), 4, 9)
    assert_close(vertical[0, 0, 0, 4:6], torch.tensor([8.0, 8.0]), rtol=1e-5, atol=1e-5, name="90 degrees, 9 bins")


def test_blocks_and_hog_chain(device):
    cells = torch.rand(2, 3, 4, 9, dtype=torch.float64, device=device) * 10
    cells[0, :2, :2] = 0.0
    assert_close(features.normalise_blocks(cells, eps=1e-5), blocks_oracle(cells.cpu(), 1e-5), rtol=1e-9, atol=1e-12)
    images = torch.randint(0, 256, (3, 3, 16, 12), dtype=torch.uint8, device=device)
    cells = features.orientation_histograms(*features.image_gradients(features.to_grey(images)), 4, 9)
    hog = features.hog_features(images)
    assert hog.shape == (3, 3 * 2 * 36) and hog.dtype == torch.float32
    assert_close(hog, features.normalise_blocks(cells).flatten(1), rtol=1e-6, atol=1e-7)
    assert_close(features.hog_features(images, block_normalise=False), cells.flatten(1))
    darker = torch.rand(2, 1, 16, 16, dtype=torch.float64, device=device) * 0.5
    assert_close(features.hog_features(0.2 + 1.6 * darker), features.hog_features(darker), rtol=1e-6, atol=1e-6)


def test_rgb_to_hsv_matches_matplotlib(device):
    images = torch.rand(2, 3, 5, 7, dtype=torch.float64, device=device)
    result = features.rgb_to_hsv(images)
    expected = hsv_oracle(images)
    assert_close(result[:, 1:], expected[:, 1:], rtol=1e-9, atol=1e-12)
    assert (torch.remainder(result[:, 0].cpu() - expected[:, 0] + 0.5, 1.0) - 0.5).abs().max() < 1e-9
    ties = torch.randint(0, 3, (4, 3, 6, 6), dtype=torch.uint8, device=device) * 100
    assert_close(features.rgb_to_hsv(ties), hsv_oracle(ties.double() / 255), rtol=1e-5, atol=1e-6)


def test_histograms_count_exactly(device):
    grey = torch.rand(3, 1, 9, 7, dtype=torch.float64, device=device)
    grey[0, 0, 0, :2] = torch.tensor([0.0, 1.0])
    expected = torch.stack([torch.histc(image.cpu(), bins=10, min=0, max=1) for image in grey])
    assert_close(features.colour_histogram(grey, 10), expected, rtol=0, atol=0, name="grey")
    colour = torch.rand(3, 3, 8, 9, dtype=torch.float64, device=device)
    hue_bins = (hsv_oracle(colour)[:, 0] * 12).floor().long().clamp(max=11)
    expected = torch.stack([torch.bincount(b.flatten(), minlength=12) for b in hue_bins]).double()
    assert_close(features.colour_histogram(colour, 12), expected, rtol=0, atol=0, name="hue")
    uint8 = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8, device=device)
    expected = torch.stack([torch.bincount((im.long() * 16 // 255).clamp(max=15).flatten(), minlength=16) for im in uint8.cpu()])
    result = features.colour_histogram(uint8, 16)
    assert result.dtype == torch.float32
    assert_close(result, expected.float(), rtol=0, atol=0, name="uint8 grey")


def test_extract_and_normalise(device):
    images = torch.randint(0, 256, (23, 3, 6, 5), dtype=torch.uint8, device=device)
    extractors = [lambda x: x.float().mean((2, 3)), lambda x: x.flatten(1)[:, :4].float()]
    expected = torch.cat([e(images) for e in extractors], dim=1)
    for batch_size in (1, 5, 100):
        assert_close(features.extract_features(images, extractors, batch_size=batch_size), expected, rtol=0, atol=0)
    x = torch.randn(40, 7, dtype=torch.float64, device=device) * 3 + 1
    x[:, 3] = 5.0
    mean, std = features.feature_statistics(x)
    assert_close(std, x.std(0, correction=0), rtol=1e-12, atol=1e-12)
    z = features.normalise_features(x, mean, std)
    assert torch.isfinite(z).all() and z[:, 3].abs().max() == 0
    assert_close(z.mean(0), torch.zeros(7, dtype=torch.float64), atol=1e-9)


def test_extractors_follow_the_rules():
    for function in (features.hog_features, features.orientation_histograms, features.colour_histogram, features.rgb_to_hsv):
        assert_no_loops(function)
    with forbidden_calls(*HISTOGRAMS, modules=[features]):
        features.colour_histogram(torch.randint(0, 256, (2, 3, 7, 4), dtype=torch.uint8), 9)
        features.colour_histogram(torch.rand(3, 1, 6, 6), 5)
        features.hog_features(torch.rand(2, 1, 12, 12))


def test_hog_is_much_faster_than_one_image_at_a_time():
    images = torch.randint(0, 256, (400, 1, 8, 8), dtype=torch.uint8)

    def one_at_a_time():
        return torch.cat([features.hog_features(image[None]) for image in images])

    # The notebook requires 20x against its own image-by-image loop; keep a margin here too.
    assert speed_ratio(one_at_a_time, lambda: features.hog_features(images)) > 20


@pytest.mark.skipif(not RELEASED.exists(), reason="release/a1/features.py is written by `make release`")
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.image_gradients(torch.ones(1, 3, 3)),
        lambda m: m.orientation_histograms(torch.ones(1, 4, 4), torch.ones(1, 4, 4)),
        lambda m: m.normalise_blocks(torch.ones(1, 2, 2, 9)),
        lambda m: m.hog_features(torch.ones(1, 1, 8, 8)),
        lambda m: m.rgb_to_hsv(torch.ones(1, 3, 2, 2)),
        lambda m: m.colour_histogram(torch.ones(1, 1, 2, 2)),
        lambda m: m.extract_features(torch.ones(1, 1, 2, 2), [lambda x: x.flatten(1)]),
        lambda m: m.feature_statistics(torch.ones(3, 2)),
        lambda m: m.normalise_features(torch.ones(3, 2), torch.zeros(2), torch.ones(2)),
    ],
)
def test_released_module_is_a_stub(call):
    released = load_module(RELEASED)
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(released)
