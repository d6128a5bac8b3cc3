"""Repairing damaged notebooks: every graded cell of the release present once, in order, with
the student's answers kept and the damage named."""

from __future__ import annotations

import copy

import nbformat
import pytest

from dl4cv.course.repair import repair_notebook, repair_submission


def _cell(kind, source, gid=None, **nbgrader):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if gid:
        cell.metadata["nbgrader"] = {"grade_id": gid, "schema_version": 3, **nbgrader}
    return cell


def _release():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("markdown", "intro"),
        _cell("code", "import mod", "setup", locked=True, grade=False, solution=False),
        _cell("code", "# YOUR CODE HERE", "answer", locked=False, grade=False, solution=True),
        _cell("code", "assert mod.f() == 1", "test_f", locked=True, grade=True, solution=False, points=2),
        _cell("markdown", "YOUR ANSWER HERE", "essay", locked=False, grade=True, solution=True, points=1),
        _cell("code", "assert mod.g() == 2", "test_g", locked=True, grade=True, solution=False, points=1),
    ]
    return nb


def _submitted():
    nb = copy.deepcopy(_release())
    nb.cells[2].source = "x = 41 + 1"
    nb.cells[4].source = "Because."
    nb.cells.insert(3, _cell("code", "print('my scratch')"))
    return nb


def _ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def test_an_intact_notebook_is_left_alone():
    fixed, repair = repair_notebook(_submitted(), _release())
    assert repair.notes == []
    assert [c.source for c in fixed.cells] == [c.source for c in _submitted().cells]


@pytest.mark.parametrize(
    ("damage", "note"),
    [
        (lambda nb: nb.cells.pop(6), "restored deleted cells: test_g"),
        (lambda nb: nb.cells.append(copy.deepcopy(nb.cells[4])), "dropped duplicated cells: test_f"),
        (lambda nb: nb.cells[6].metadata.nbgrader.update(grade_id="renamed"), "unknown grade ids kept as ordinary cells: renamed"),
        (lambda nb: nb.cells.__setitem__(4, _cell("markdown", "assert mod.f() == 1", "test_f", locked=True, grade=True,
                                                  solution=False, points=2)), "restored cell types: test_f"),
        (lambda nb: nb.cells.reverse(), "put graded cells back in order"),
    ],
    ids=["deleted", "duplicated", "renamed", "retyped", "reordered"],
)
def test_damage_is_repaired_and_named(damage, note):
    nb = _submitted()
    damage(nb)
    fixed, repair = repair_notebook(nb, _release())
    assert any(note in n for n in repair.notes), repair.notes
    graded = [gid for gid in _ids(fixed) if gid]
    assert graded == ["setup", "answer", "test_f", "essay", "test_g"]
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in fixed.cells if "nbgrader" in c.metadata}
    assert by_id["answer"].source == "x = 41 + 1" and by_id["essay"].source == "Because."
    assert by_id["test_f"].cell_type == "code"
    assert "print('my scratch')" in [c.source for c in fixed.cells]


def test_edited_test_metadata_is_put_back():
    nb = _submitted()
    nb.cells[4].metadata.nbgrader.update(points=100, grade=False)
    nb.cells[4].source = "pass"
    fixed, _ = repair_notebook(nb, _release())
    test_f = next(c for c in fixed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_f")
    assert test_f.metadata.nbgrader["points"] == 2 and test_f.source == "assert mod.f() == 1"


def test_a_submission_folder_keeps_its_original_and_reports_missing_modules(tmp_path):
    release, submission = tmp_path / "release", tmp_path / "submitted" / "ann" / "a1"
    release.mkdir()
    submission.mkdir(parents=True)
    nbformat.write(_release(), release / "nb.ipynb")
    damaged = _submitted()
    damaged.cells.pop(4)
    nbformat.write(damaged, submission / "nb.ipynb")
    (submission / "broken.ipynb").write_text("{not json")
    nbformat.write(_release(), release / "broken.ipynb")
    notes = repair_submission(submission=submission, release=release, modules=["mod.py"])
    assert any(n.startswith("nb repaired (restored deleted cells: test_f") for n in notes), notes
    assert any("broken.ipynb is not a readable notebook" in n for n in notes)
    assert "module not handed in: mod.py" in notes
    original = nbformat.read(submission.with_name("a1.original") / "nb.ipynb", as_version=4)
    assert len(original.cells) == len(damaged.cells)


def test_a_module_that_does_not_compile_is_named_not_called_missing(tmp_path):
    (tmp_path / "release").mkdir()
    submission = tmp_path / "submitted" / "ann" / "a1"
    submission.mkdir(parents=True)
    (submission / "knn.py").write_text("def f(x):\n    return x\n\ndef g(x)\n    return x\n")
    (submission / "ok.py").write_text("x = 1\n")
    notes = repair_submission(submission=submission, release=tmp_path / "release", modules=["knn.py", "ok.py"])
    assert notes == ["could not import knn.py: SyntaxError line 4: expected ':'"]
