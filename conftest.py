"""Fixtures for every test: the tooling's (tests/) and each assignment's reference tests
(assignments/<aid>/test_*.py)."""

from __future__ import annotations

import pytest
import torch

from dl4cv.device import available_devices


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may use the network: data loaders must never try to download."""
    monkeypatch.setenv("DL4CV_OFFLINE", "1")


DEVICES = [pytest.param(d, id=str(d)) for d in available_devices()]


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    return request.param
