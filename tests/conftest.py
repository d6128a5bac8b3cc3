"""Fixtures of the tooling's tests: a throw-away copy of the course folder. (Fixtures every test
shares, such as `device`, are in the repository's top-level conftest.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from dl4cv.course import classroom

ROOT = Path(__file__).resolve().parents[1]


def copy_course(target: Path) -> Path:
    """A scratch copy of this repository's course at `target`."""
    return classroom.copy_course(root=ROOT, target=target)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")
