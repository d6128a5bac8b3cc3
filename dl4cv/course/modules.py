"""Student modules: `.py` files beside a notebook whose solution regions are cut at release.

A region runs from a `### BEGIN SOLUTION` line to a `### END SOLUTION` line, exactly as in
nbgrader notebooks. Releasing replaces it with a stub that raises `NotImplementedError` at the
indentation of the BEGIN marker, so the released module still imports.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)|^\s*class\s+(\w+)")


class SolutionMarkerError(ValueError):
    """A student module has unbalanced or misplaced solution markers."""


def is_student_module(path: Path) -> bool:
    """True for a `.py` file that holds at least one solution region."""
    return path.suffix == ".py" and BEGIN_SOLUTION in path.read_text(encoding="utf-8")


def student_modules(assignment_dir: Path) -> list[Path]:
    """Student modules of one assignment folder (top level only), sorted by name."""
    return sorted(p for p in Path(assignment_dir).glob("*.py") if is_student_module(p))


def _enclosing_name(lines: list[str], index: int) -> str | None:
    for line in reversed(lines[:index]):
        match = _DEF.match(line)
        if match:
            return match.group(1) or match.group(2)
    return None


def strip_solutions(text: str, *, filename: str = "<module>") -> str:
    """Replace every solution region of a module's source with a `NotImplementedError` stub.

    Raises `SolutionMarkerError` (naming the file and line) for a BEGIN without END, an END
    without BEGIN, nested regions, or hidden-test markers, which belong in notebooks only.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    begin_line: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if any(marker in stripped for marker in HIDDEN_MARKERS):
            raise SolutionMarkerError(f"{filename}:{number}: hidden tests belong in notebooks, not modules")
        if stripped.startswith(BEGIN_SOLUTION):
            if begin_line is not None:
                raise SolutionMarkerError(f"{filename}:{number}: solution region opened inside the one at line {begin_line}")
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            where = _enclosing_name(lines, number - 1)
            message = f"{where}: write your code here" if where else "write your code here"
            out.append(f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError({message!r})\n")
        elif stripped.startswith(END_SOLUTION):
            if begin_line is None:
                raise SolutionMarkerError(f"{filename}:{number}: {END_SOLUTION} without a matching BEGIN")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise SolutionMarkerError(f"{filename}:{begin_line}: {BEGIN_SOLUTION} is never closed")
    return "".join(out)


def release_modules(source_dir: Path, release_dir: Path) -> list[Path]:
    """Write the stripped version of every student module of `source_dir` into `release_dir`."""
    written = []
    for module in student_modules(source_dir):
        target = Path(release_dir) / module.name
        target.write_text(strip_solutions(module.read_text(encoding="utf-8"), filename=str(module)), encoding="utf-8")
        written.append(target)
    return written


def exclude_overwriting(source_root: Path) -> dict[str, list[str]]:
    """nbgrader's `Autograde.exclude_overwriting`: the student modules of every assignment.

    At autograde time nbgrader copies every non-notebook file of `source/<aid>/` over the
    student's copy unless listed here; listing the student modules means the student's own
    module is what gets graded.
    """
    root = Path(source_root)
    if not root.is_dir():
        return {}
    return {
        folder.name: [module.name for module in student_modules(folder)]
        for folder in sorted(root.iterdir())
        if folder.is_dir() and student_modules(folder)
    }


def load_module(path: Path) -> ModuleType:
    """Import the module at `path` (`source/a2/cnn.py`, a release or a submission) the way its
    notebook would, and leave `sys.path` and `sys.modules` as they were.

    Student modules import their siblings by bare name (`cnn.py` has `import layers`): those
    imports resolve to `path`'s folder, never to a same-named module imported earlier from
    another folder, and the loaded module keeps the siblings it imported. Every test, benchmark
    and simulated class loads student code through here.
    """
    path = Path(path).resolve()
    folder = str(path.parent)
    siblings = {p.stem for p in path.parent.glob("*.py")}
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] in siblings}
    sys.path.insert(0, folder)
    importlib.invalidate_caches()
    try:
        return importlib.import_module(path.stem)
    finally:
        sys.path.remove(folder)
        for name in [n for n in sys.modules if n.split(".")[0] in siblings]:
            del sys.modules[name]
        sys.modules.update(saved)
