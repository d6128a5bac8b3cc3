"""Shared fixtures: a throw-away copy of the course folder, and device parametrisation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course import classroom
from dl4cv.device import available_devices

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may use the network: data loaders must never try to download."""
    monkeypatch.setenv("DL4CV_OFFLINE", "1")


def copy_course(target: Path) -> Path:
    """A scratch copy of this repository's course at `target`."""
    return classroom.copy_course(root=ROOT, target=target)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")




DEVICES = [pytest.param(d, id=str(d)) for d in available_devices()]


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    return request.param
