"""Shared fixtures: a throw-away copy of the course folder, and device parametrisation."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

from dl4cv.device import available_devices

ROOT = Path(__file__).resolve().parents[1]
COURSE_FILES = ("nbgrader_config.py", "pyproject.toml", "source", "release", "tests/classroom")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may use the network: data loaders must never try to download."""
    monkeypatch.setenv("DL4CV_OFFLINE", "1")


def copy_course(target: Path) -> Path:
    """Copy what a course folder needs (sources, releases, config, simulated classes) to `target`."""
    for name in COURSE_FILES:
        source = ROOT / name
        destination = target / name
        if source.is_dir():
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination)
    return target


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")


def load_module(path: Path, name: str):
    """Import a module from a file path under a unique name (source and release modules share names)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEVICES = [pytest.param(d, id=str(d)) for d in available_devices()]


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    return request.param
