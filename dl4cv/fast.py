"""Fast mode: `DL4CV_FAST=1` shrinks data and iteration counts so a notebook runs in about a minute.

Every notebook routes its sizes through `pick(full, fast)`, so every cell still runs in fast
mode, only on less data. CI and the autograder run notebooks in fast mode.
"""

from __future__ import annotations

from typing import TypeVar

from dl4cv import env

FAST_ENV = "DL4CV_FAST"
T = TypeVar("T")


def is_fast() -> bool:
    """True when `DL4CV_FAST` is on (1/true/yes/on; see `dl4cv.env.flag`)."""
    return env.flag(FAST_ENV)


def pick(full: T, fast: T) -> T:
    """`fast` in fast mode, `full` otherwise."""
    return fast if is_fast() else full
