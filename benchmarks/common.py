"""What the benchmark sections share: the course root and importing a reference module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def reference_module(assignment: str, name: str):
    """The instructor's module source/<assignment>/<name>.py (solutions included)."""
    path = ROOT / "source" / assignment / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"reference_{assignment}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measured_line(figures: dict) -> str:
    m = figures["measured"]
    return f"_Measured {m['when']} on {m['machine']}, Python {m['python']}, in {m['seconds']} s._"
