"""Finding the course folder and loading its settings.

nbgrader's own settings live in `nbgrader_config.py` at the course root; dl4cv's one setting
(the course repository URL that notebooks install from) lives in `pyproject.toml` under
`[tool.dl4cv]`, so each is configured in exactly one place. Assignments are not configured at
all: every folder of `source/` that holds a notebook is one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"


class CourseError(Exception):
    """An instructor's mistake (a wrong name, a step run too early); `dl4cv` prints its message as
    one line and exits non-zero, without a traceback."""


class CourseNotFoundError(CourseError, FileNotFoundError):
    """No `nbgrader_config.py` in the given folder or any parent."""


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: cwd) holding `nbgrader_config.py`."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise CourseNotFoundError(f"no {CONFIG_FILE} in {here} or its parents: run dl4cv inside the course folder or pass --root")


def require_assignment(root: Path, assignment: str) -> None:
    """Raise `CourseError` unless `source/<assignment>/` holds a notebook under the course `root`."""
    if assignment not in discover_assignments(root):
        known = discover_assignments(root)
        raise CourseError(f"no assignment {assignment!r}: there is no source/{assignment}/ with a notebook "
                          f"(assignments here: {', '.join(known) or 'none'})")  # fmt: skip


def load_nbgrader_config(root: Path, *, gradebook: str | None = None, **overrides: dict) -> Config:
    """The course's nbgrader config, with its root pinned and `overrides` merged on top.

    `gradebook` (an SQLAlchemy URL) replaces the course's gradebook for this call only: the demo
    passes its own instead of changing the environment. `overrides` map a class name to trait
    values, e.g. `Execute={"timeout": 60}`.
    """
    stamp_gradebooks_in_process()  # every command that opens a gradebook loads this config first
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if gradebook:
        config.CourseDirectory.db_url = gradebook
    for section, values in overrides.items():
        for key, value in values.items():
            config[section][key] = value
    return config


def discover_assignments(root: Path) -> tuple[str, ...]:
    """Every folder of `source/` that holds a notebook, in name order (a0, a1, ...): an assignment
    exists because its notebooks do, so none can be forgotten in a list."""
    source = Path(root) / "source"
    if not source.is_dir():
        return ()
    return tuple(sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))))


@dataclass(frozen=True)
class CourseSettings:
    """dl4cv's own settings: `repository` from `[tool.dl4cv]` in pyproject.toml, and the
    assignments found in `source/`."""

    repository: str
    assignments: tuple[str, ...]


def course_settings(root: Path) -> CourseSettings:
    """Read `[tool.dl4cv]` and discover the assignments."""
    data = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))
    section = data.get("tool", {}).get("dl4cv", {})
    if "assignments" in section:
        raise CourseError("pyproject.toml: [tool.dl4cv] assignments is no longer read: every folder of source/ "
                          "with a notebook is an assignment; remove the line")  # fmt: skip
    return CourseSettings(repository=section["repository"], assignments=discover_assignments(root))


def gradebook_schema_head() -> str:
    """The newest revision of nbgrader's gradebook schema, read in this process with alembic's API."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = AlembicConfig()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def stamp_gradebooks_in_process() -> None:
    """nbgrader stamps a new gradebook with the revision the `alembic` program prints, found on
    PATH (which `.venv/bin/dl4cv` does not put there); read the same revision in this process
    instead, so no command has to change the environment for nbgrader."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = gradebook_schema_head
