"""Every DL4CV_* variable is parsed by one helper with the same words everywhere, and listed in
the README's table."""

from __future__ import annotations

import re

import pytest

from dl4cv import env

from .conftest import ROOT


@pytest.mark.parametrize("word", ["1", "true", "YES", "On", " on "])
def test_every_flag_takes_the_same_words_for_on(word):
    for name in ("DL4CV_FAST", "DL4CV_OFFLINE"):
        assert env.flag(name, {name: word}) is True


@pytest.mark.parametrize("word", ["", "0", "false", "No", "OFF"])
def test_every_flag_takes_the_same_words_for_off(word):
    assert env.flag("DL4CV_OFFLINE", {"DL4CV_OFFLINE": word}) is False
    assert env.flag("DL4CV_OFFLINE", {}) is False


def test_a_word_that_is_neither_is_an_error_naming_the_variable():
    with pytest.raises(ValueError, match="DL4CV_OFFLINE='maybe': use 1, true, yes or on"):
        env.flag("DL4CV_OFFLINE", {"DL4CV_OFFLINE": "maybe"})
    with pytest.raises(ValueError, match="DL4CV_CELL_TIMEOUT='soon': expected a whole number"):
        env.integer("DL4CV_CELL_TIMEOUT", {"DL4CV_CELL_TIMEOUT": "soon"})
    with pytest.raises(KeyError, match="not a dl4cv variable"):
        env.text("DL4CV_UNKNOWN", {})


def test_defaults_are_written_once():
    assert env.integer("DL4CV_CELL_TIMEOUT", {}) == 120
    assert env.integer("DL4CV_NOTEBOOK_TIMEOUT", {"DL4CV_NOTEBOOK_TIMEOUT": "60"}) == 60
    assert env.path("DL4CV_DATA", {"DL4CV_DATA": "~/x"}).name == "x" and env.path("DL4CV_DATA", {}) is None


def test_every_variable_the_code_reads_is_in_the_table_and_the_readme():
    places = [*ROOT.glob("dl4cv/**/*.py"), *ROOT.glob("benchmarks/*.py"), *ROOT.glob("assignments/*/*.py"), ROOT / "nbgrader_config.py", ROOT / "Makefile"]
    used = {name for path in places for name in re.findall(r"\bDL4CV_[A-Z_]+\b", path.read_text(encoding="utf-8"))}
    assert used <= set(env.VARIABLES), f"not in dl4cv.env.VARIABLES: {sorted(used - set(env.VARIABLES))}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(DL4CV_[A-Z_]+)` \| \w+ \| ([^|]+) \|", readme, flags=re.MULTILINE))
    assert set(rows) == set(env.VARIABLES), "the README's table of variables differs from dl4cv.env.VARIABLES"
    for name, variable in env.VARIABLES.items():
        assert rows[name].strip() == (variable.default or "(unset)"), f"{name}: README default {rows[name].strip()!r}"
