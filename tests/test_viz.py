"""The shared image grid: rows of a fixed width, one grey scale for float and byte images."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dl4cv.viz import show_grid  # noqa: E402


@pytest.mark.parametrize("count, columns, rows", [(16, 8, 2), (17, 8, 3), (3, 10, 1)])
def test_show_grid_lays_images_out_in_rows(count, columns, rows):
    fig = show_grid(torch.rand(count, 1, 28, 28), columns=columns, title="samples")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == rows * columns and len(shown) == count
    assert fig._suptitle.get_text() == "samples"
    plt.close(fig)


def test_show_grid_keeps_one_grey_scale_per_dtype():
    floats = show_grid(torch.full((2, 1, 4, 4), 0.5), columns=2)
    assert floats.axes[0].images[0].get_clim() == (0, 1), "float images share the scale [0, 1]"
    bytes_ = show_grid(torch.full((2, 1, 4, 4), 128, dtype=torch.uint8), columns=2)
    assert bytes_.axes[0].images[0].get_clim() == (0, 255)
    colour = show_grid(torch.rand(1, 3, 4, 4), columns=1)
    assert colour.axes[0].images[0].get_array().shape == (4, 4, 3), "three channels are shown as colour"
    for fig in (floats, bytes_, colour):
        plt.close(fig)
