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
