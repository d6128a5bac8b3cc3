"""Which torch device to use: CUDA when present, CPU otherwise, `DL4CV_DEVICE` overrides."""

from __future__ import annotations

import torch

from dl4cv import env

DEVICE_ENV = "DL4CV_DEVICE"


def default_device() -> torch.device:
    """The device notebooks should put tensors on.

    `DL4CV_DEVICE=cpu` (or `cuda`, `cuda:1`) forces a choice; otherwise CUDA when available.
    """
    requested = env.text(DEVICE_ENV)
    if requested:
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"{DEVICE_ENV}={requested} but torch sees no CUDA device; unset {DEVICE_ENV} to use the CPU"
            )
        return device
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def available_devices() -> list[torch.device]:
    """Every device tests should run on: always the CPU, plus the first GPU when there is one."""
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    return devices


def describe(device: torch.device) -> str:
    """A short human description, e.g. 'cuda (NVIDIA H100)' or 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"
