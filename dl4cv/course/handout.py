"""The grading tables of a handout, written from the notebooks so they cannot drift.

`assignments/<aid>/README.md` is hand-written except for one block between two marker lines,
which `dl4cv release` rewrites: a points table (each notebook's autograded and written points)
and, per notebook, one row per graded cell in notebook order. A test cell's row says what its
leading comment says (the comment lines at the top of the cell, a leading "Graded:" dropped);
a written answer's row is named after its grade id (`..._question_learning_rate` gives
"inline question (learning rate)"). `dl4cv check` fails when the block is out of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dl4cv.course import notebooks
from dl4cv.course.layout import handout_path, relative

BEGIN = "<!-- BEGIN GRADING TABLES: written by `dl4cv release` from the notebooks; edit a test cell's first comment instead -->"
END = "<!-- END GRADING TABLES -->"
QUESTION = "question_"


@dataclass(frozen=True)
class GradedCell:
    """One row of a grading table."""

    name: str  # the grade id, or "inline question (...)" for a written answer
    points: float
    checks: str
    written: bool


def leading_comment(source: str) -> str:
    """The comment lines at the top of a cell, joined into one sentence ("Graded:" dropped)."""
    words = []
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#") or stripped.startswith("###"):
            break
        words.append(stripped.lstrip("#").strip())
    return " ".join(w for w in words if w).removeprefix("Graded:").strip()


def graded_cells(path: Path) -> list[GradedCell]:
    """Every graded cell of the notebook at `path`, in notebook order."""
    rows = []
    for cell in notebooks.graded_cells(notebooks.read(path)):
        gid, meta = notebooks.grade_id(cell), cell.metadata["nbgrader"]
        points = float(meta.get("points") or 0)
        if meta.get("solution"):
            topic = gid.split(QUESTION, 1)[1].replace("_", " ") if QUESTION in gid else gid
            rows.append(GradedCell(f"inline question ({topic})", points, "read by a grader", written=True))
        else:
            rows.append(GradedCell(f"`{gid}`", points, leading_comment(cell.source), written=False))
    return rows


def _points(value: float) -> str:
    return f"{value:g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def notebook_order(root: Path, assignment: str) -> list[Path]:
    """The assignment's notebooks in the order the handout's own text first names them
    (`knn.ipynb` before `features.ipynb`), those it does not name after, in name order."""
    paths = sorted((Path(root) / "source" / assignment).glob("*.ipynb"))
    path = handout_path(root, assignment)
    text = path.read_text(encoding="utf-8").split(BEGIN)[0] if path.is_file() else ""
    return sorted(paths, key=lambda p: (text.find(f"`{p.name}`") % (len(text) + 1), p.name))


def grading_tables(root: Path, assignment: str) -> str:
    """The generated block (markers included) for `assignment`'s handout."""
    paths = notebook_order(root, assignment)
    cells = {path.stem: graded_cells(path) for path in paths}
    lines = [BEGIN, "", "| notebook | autograded | written | total |", "|---|---|---|---|"]
    totals = [0.0, 0.0]
    for stem, rows in cells.items():
        auto = sum(r.points for r in rows if not r.written)
        written = sum(r.points for r in rows if r.written)
        totals = [totals[0] + auto, totals[1] + written]
        lines.append(f"| `{stem}.ipynb` | {_points(auto)} | {_points(written)} | {_points(auto + written)} |")
    lines.append(f"| **{assignment}** | {_points(totals[0])} | {_points(totals[1])} | **{_points(sum(totals))}** |")
    for stem, rows in cells.items():
        lines += ["", f"### How `{stem}` is graded", "", "| test cell | points | what the autograder checks |",
                  "|---|---|---|"]  # fmt: skip
        lines += [f"| {r.name} | {_points(r.points)} | {_cell(r.checks) or '(no comment at the top of the cell)'} |"
                  for r in rows]  # fmt: skip
    lines += ["", END]
    return "\n".join(lines)


def _split(text: str) -> tuple[str, str, str] | None:
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        return None
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


def write_grading_tables(root: Path, assignment: str) -> bool:
    """Rewrite the handout's generated block (appending one when it has none); True if it changed."""
    path = handout_path(root, assignment)
    text = path.read_text(encoding="utf-8") if path.is_file() else f"# {assignment}\n"
    parts = _split(text)
    block = grading_tables(root, assignment)
    new = f"{parts[0]}{block}{parts[2]}" if parts else f"{text.rstrip()}\n\n{block}\n"
    if new == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return True


def handout_problems(root: Path, assignment: str) -> list[str]:
    """Why the handout is missing or out of date, if it is (for `dl4cv check`)."""
    path = handout_path(root, assignment)
    where = relative(root, path)
    if not path.is_file():
        return [f"{where}: missing (the handout; `dl4cv release {assignment}` writes its grading tables)"]
    text = path.read_text(encoding="utf-8")
    parts = _split(text)
    if parts is None:
        return [f"{where}: no grading tables between the markers (`dl4cv release {assignment}` writes them)"]
    if BEGIN + parts[1] + END != grading_tables(root, assignment):
        return [f"{where}: grading tables differ from the notebooks' points and first comments "
                f"(run `dl4cv release {assignment}`)"]  # fmt: skip
    problems = []
    for path in notebook_order(root, assignment):
        problems += [f"{relative(root, path)}: test cell {r.name} has no comment at its top saying what it checks"
                     for r in graded_cells(path) if not r.written and not r.checks]  # fmt: skip
    return problems
