"""Plots the notebooks share: image grids, matrices, cross-validation and training curves."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch


def _as_image(image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) or (H, W) tensor → (H, W) or (H, W, C) CPU tensor matplotlib can show."""
    image = image.detach().cpu()
    if image.dim() == 3:
        image = image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)
    return image


def show_examples(
    images: torch.Tensor,
    labels: torch.Tensor,
    classes: Sequence[str],
    *,
    per_class: int = 6,
    seed: int = 0,
) -> plt.Figure:
    """A grid with one column per class and `per_class` random examples in each.

    images: (N, C, H, W) uint8 or float in [0, 1]; labels: (N,) int64.
    """
    generator = torch.Generator().manual_seed(seed)
    fig, axes = plt.subplots(per_class, len(classes), figsize=(1.1 * len(classes), 1.1 * per_class), squeeze=False)
    for c, name in enumerate(classes):
        members = (labels.cpu() == c).nonzero().flatten()
        chosen = members[torch.randperm(len(members), generator=generator)[:per_class]]
        for row in range(per_class):
            ax = axes[row, c]
            ax.axis("off")
            if row < len(chosen):
                ax.imshow(_as_image(images[chosen[row]]), cmap="gray")
        axes[0, c].set_title(name, fontsize=8)
    fig.tight_layout()
    return fig


def show_grid(images: torch.Tensor, *, columns: int = 10, title: str = "", size: float = 0.8) -> plt.Figure:
    """Images in rows of `columns`, row by row, on a shared grey scale.

    images: (N, C, H, W) float in [0, 1] (or uint8), any device.
    """
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size + (0.3 if title else 0)), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image in zip(axes.flat, images):
        ax.imshow(_as_image(image).numpy(), cmap="gray", vmin=0, vmax=255 if image.dtype == torch.uint8 else 1)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def show_matrix(matrix: torch.Tensor, *, title: str = "", xlabel: str = "", ylabel: str = "") -> plt.Figure:
    """A 2-D tensor as a heat map with a colour bar."""
    fig, ax = plt.subplots(figsize=(6, 3))
    shown = ax.imshow(matrix.detach().cpu().float(), aspect="auto", interpolation="nearest")
    fig.colorbar(shown, ax=ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def plot_cross_validation(k_to_accuracies: dict[int, list[float]]) -> plt.Figure:
    """Each fold's accuracy as a dot and the mean ± standard deviation as a line, against k."""
    ks = sorted(k_to_accuracies)
    fig, ax = plt.subplots(figsize=(6, 4))
    for k in ks:
        ax.scatter([k] * len(k_to_accuracies[k]), k_to_accuracies[k], color="tab:blue", s=12)
    stats = torch.tensor([k_to_accuracies[k] for k in ks], dtype=torch.float64)
    std = stats.std(dim=1) if stats.shape[1] > 1 else torch.zeros(len(ks), dtype=torch.float64)
    ax.errorbar(ks, stats.mean(dim=1), yerr=std, color="tab:orange", capsize=3, label="mean ± std")
    ax.set(xlabel="k", ylabel="cross-validation accuracy", title="Choosing k")
    ax.legend()
    return fig


def plot_curves(curves: dict[str, Sequence[float]], *, xlabel: str = "iteration", ylabel: str = "") -> plt.Figure:
    """Several named curves (e.g. training and validation accuracy) on one set of axes."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        ax.plot(list(values), label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return fig



def show_scenes(scenes, indices: Sequence[int], *, captions: Sequence[str] | None = None) -> plt.Figure:
    """Each scene of `indices` (a `dl4cv.scenes.Scenes`) as a column: the image with its boxes
    and class names, its instance mask below, and a caption as the title (its first one unless
    `captions` gives one per index, e.g. a model's)."""
    from textwrap import wrap

    from matplotlib.patches import Rectangle

    from dl4cv.scenes import NOUNS

    fig, axes = plt.subplots(2, len(indices), figsize=(2.4 * len(indices), 5.4), squeeze=False)
    for column, index in enumerate(indices):
        top, bottom = axes[0, column], axes[1, column]
        top.imshow(_as_image(scenes.images[index]))
        for obj in scenes.objects(index):
            x1, y1, x2, y2 = obj.box
            # pixel k spans [k - 0.5, k + 0.5] in imshow's coordinates
            top.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor="white", lw=0.8))
            top.text(x1 - 0.5, y1 - 1.5, NOUNS[obj.label], color="white", fontsize=6)
        bottom.imshow(scenes.instance_masks[index], cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        text = captions[column] if captions is not None else scenes.captions[index][0]
        top.set_title("\n".join(wrap(text, 30)), fontsize=7)
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig
