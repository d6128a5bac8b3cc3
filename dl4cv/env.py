"""Every `DL4CV_*` environment variable, in one table, read by one parser per kind.

A flag accepts the same words everywhere (1/true/yes/on, 0/false/no/off, case-insensitive,
empty = unset); anything else is an error that names the variable, never silently "off". The
README's table of variables is checked against `VARIABLES` by a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class Variable:
    """One environment variable: its kind ("flag", "text", "path" or "integer"), default and use."""

    name: str
    kind: str
    default: str
    meaning: str


VARIABLES: dict[str, Variable] = {v.name: v for v in [
    Variable("DL4CV_FAST", "flag", "off", "fast mode: smaller data, fewer iterations (the grader and the tests turn it on)"),
    Variable("DL4CV_OFFLINE", "flag", "off", "never download; datasets come from the data root or system copies"),
    Variable("DL4CV_DATA", "path", "~/.dl4cv/data", "the data root, where datasets are looked for and downloaded"),
    Variable("DL4CV_DATASET", "text", "", "what `load_dataset(\"auto\")` means (e.g. `fashion-mnist`)"),
    Variable("DL4CV_DEVICE", "text", "", "force a torch device (`cpu`, `cuda`, `cuda:1`); default CUDA when present"),
    Variable("DL4CV_DRIVE_DIR", "path", "MyDrive/dl4cv", "Colab: the Drive folder the setup cell works in"),
    Variable("DL4CV_DB_URL", "text", "sqlite:///<course>/gradebook.db", "the gradebook, any SQLAlchemy URL"),
    Variable("DL4CV_CELL_TIMEOUT", "integer", "120", "grading: seconds one cell may run"),
    Variable("DL4CV_NOTEBOOK_TIMEOUT", "integer", "900", "grading: seconds one notebook may run"),
    Variable("DL4CV_MPL_CACHE", "path", "(set by the grader)", "internal: the warmed matplotlib cache a kernel copies"),
    Variable("DL4CV_RUN_CACHE", "text", "~/.cache/dl4cv/runs", "`dl4cv prove` and the suite: where unchanged notebook runs are kept and reused; `off` executes every run"),
    Variable("DL4CV_BENCH_SUBMISSIONS", "integer", "100", "`make bench`: submissions in the grading-at-scale run"),
]}  # fmt: skip


def _raw(name: str, environ: Mapping[str, str] | None) -> str:
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a dl4cv variable (add it to dl4cv.env.VARIABLES and the README)")
    return (os.environ if environ is None else environ).get(name, "").strip()


def flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """True for 1/true/yes/on, False for 0/false/no/off or unset; anything else raises ValueError."""
    value = _raw(name, environ).lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"{name}={value!r}: use 1, true, yes or on to turn it on, or 0, false, no or off")


def text(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The value with surrounding spaces removed; '' when unset."""
    return _raw(name, environ)


def path(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """The value as a path with `~` expanded, or None when unset or empty."""
    value = _raw(name, environ)
    return Path(value).expanduser() if value else None


def integer(name: str, environ: Mapping[str, str] | None = None) -> int:
    """The value as an integer, or the variable's default when unset."""
    value = _raw(name, environ) or VARIABLES[name].default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None
