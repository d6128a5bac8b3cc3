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
