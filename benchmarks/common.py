"""What the benchmark sections share: the course root and importing a reference module."""

from __future__ import annotations

from dl4cv.course.modules import load_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def reference_module(assignment: str, name: str):
    """The instructor's module source/<assignment>/<name>.py (solutions included)."""
    return load_module(ROOT / "source" / assignment / f"{name}.py")


def measured_line(figures: dict) -> str:
    m = figures["measured"]
    return f"_Measured {m['when']} on {m['machine']}, Python {m['python']}, in {m['seconds']} s._"


def save_sample_panels(panels: dict, filename: str, *, side: int) -> Path:
    """One panel per entry of `panels` (title -> side * side images (N, 1, H, W) in [0, 1]),
    each tiled row by row, side by side in one picture saved as benchmarks/results/<filename>."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(0.46 * side * len(panels), 0.46 * side + 0.4), squeeze=False)
    for ax, (title, images) in zip(axes[0], panels.items()):
        height, width = images.shape[-2:]
        tiles = images[: side * side, 0].reshape(side, side, height, width).permute(0, 2, 1, 3).reshape(side * height, side * width)
        ax.imshow(tiles.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, filename)


def save_figure(fig, filename: str, *, dpi: int = 80) -> Path:
    """Save a matplotlib figure as benchmarks/results/<filename> (the picture RESULTS.md links
    to), close it, and return the path."""
    import matplotlib.pyplot as plt

    path = ROOT / "benchmarks" / "results" / filename
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
