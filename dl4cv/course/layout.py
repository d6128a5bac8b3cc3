"""Where everything about one assignment lives: two folders, found by convention.

    source/<aid>/                      what nbgrader compiles: the notebooks, and beside them the
                                       student modules whose solution regions the release cuts
    assignments/<aid>/                 everything else about the assignment
        README.md                      the handout: hand-written text, and the grading tables that
                                       `dl4cv release` writes from the notebooks' metadata
        classroom/<notebook>.py        simulated students of one notebook (`_everyone.py`: those
                                       who hand in every notebook)
        test_<notebook>.py             reference tests: what the notebook's hidden tests cannot check
        bench_<section>.py             benchmark sections of `make bench`

Nothing lists assignments, notebooks, tests or benchmarks: a file in the right place is found.
"""

from __future__ import annotations

from pathlib import Path

ASSIGNMENTS = "assignments"


def assignment_home(root: Path, assignment: str) -> Path:
    """`assignments/<aid>/`: the folder holding everything about `assignment` but its sources."""
    return Path(root) / ASSIGNMENTS / assignment


def handout_path(root: Path, assignment: str) -> Path:
    return assignment_home(root, assignment) / "README.md"


def classroom_dir(root: Path, assignment: str) -> Path:
    return assignment_home(root, assignment) / "classroom"


def reference_test_path(root: Path, assignment: str, notebook: str) -> Path:
    return assignment_home(root, assignment) / f"test_{notebook}.py"


def benchmark_paths(root: Path, assignment: str) -> list[Path]:
    """The benchmark sections of `assignment` (`bench_<section>.py`), in name order."""
    return sorted(assignment_home(root, assignment).glob("bench_*.py"))


def relative(root: Path, path: Path) -> str:
    """`path` as the course developer sees it: relative to the course root."""
    return str(Path(path).relative_to(root))
