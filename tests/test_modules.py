"""Student modules: solution regions are cut like nbgrader cuts notebooks, and nbgrader is told
never to overwrite a student's module with the instructor's."""

from __future__ import annotations

from pathlib import Path

import pytest

from dl4cv.course.config import load_nbgrader_config
from dl4cv.course.modules import SolutionMarkerError, exclude_overwriting, strip_solutions

from .conftest import ROOT

MODULE = '''"""doc"""
import torch


def area(w, h):
    """Rectangle area."""
    ### BEGIN SOLUTION
    return w * h
    ### END SOLUTION


class Box:
    def volume(self):
        if True:
            ### BEGIN SOLUTION
            return 1
            ### END SOLUTION
'''


def test_strip_keeps_indentation_and_names_the_function():
    stripped = strip_solutions(MODULE)
    assert "return w * h" not in stripped and "return 1" not in stripped
    assert "    # YOUR CODE HERE\n    raise NotImplementedError('area: write your code here')\n" in stripped
    assert "            raise NotImplementedError('volume: write your code here')\n" in stripped
    compile(stripped, "<released>", "exec")


def test_stripped_module_raises_with_the_function_name():
    namespace: dict = {}
    exec(compile(strip_solutions(MODULE), "<released>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="area"):
        namespace["area"](2, 3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without a matching BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "opened inside"),
        ("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n", "hidden tests belong in notebooks"),
    ],
)
def test_malformed_markers_are_clear_errors_with_a_line(text, message):
    with pytest.raises(SolutionMarkerError, match=message):
        strip_solutions(text, filename="bad.py")


def test_exclude_overwriting_lists_only_student_modules(tmp_path: Path):
    (tmp_path / "a9").mkdir()
    (tmp_path / "a9" / "layers.py").write_text(MODULE)
    (tmp_path / "a9" / "helpers.py").write_text("x = 1\n")
    (tmp_path / "a8").mkdir()
    assert exclude_overwriting(tmp_path) == {"a9": ["layers.py"]}


def test_course_config_excludes_every_student_module_from_overwriting():
    config = load_nbgrader_config(ROOT)
    excluded = config.Autograde.exclude_overwriting
    assert "knn.py" in excluded["a1"] and "two_layer_net.py" in excluded["a1"]
    assert excluded == {aid: sorted(p.name for p in (ROOT / "source" / aid).glob("*.py")) for aid in excluded}


def test_student_modules_load_with_their_own_siblings_and_leave_nothing_behind():
    """cnn.py imports `layers` by bare name: the source copy gets source/a2/layers.py and the
    release copy release/a2/layers.py, whichever was loaded first, and neither stays imported."""
    import sys

    from dl4cv.course.modules import load_module

    path_before, names_before = list(sys.path), set(sys.modules)
    reference = load_module(ROOT / "source" / "a2" / "cnn.py")
    released = load_module(ROOT / "release" / "a2" / "cnn.py")
    assert reference.layers.__file__ == str(ROOT / "source" / "a2" / "layers.py")
    assert released.layers.__file__ == str(ROOT / "release" / "a2" / "layers.py")
    assert sys.path == path_before
    assert not {"cnn", "layers", "conv_layers", "batchnorm"} & (set(sys.modules) - names_before)


def test_no_test_or_benchmark_changes_sys_path():
    """Student code is loaded only through dl4cv.course.modules.load_module."""
    changes = ("sys.path." + "insert", "sys.path." + "append")  # spelled apart so this file does not match
    # test_notebook_setup checks what the notebooks' setup cell itself does to sys.path (restored after)
    offenders = [str(p.relative_to(ROOT)) for pattern in ("tests/*.py", "benchmarks/*.py", "assignments/**/*.py")
                 for p in ROOT.glob(pattern)
                 if any(change in p.read_text() for change in changes) and p.name != "test_notebook_setup.py"]  # fmt: skip
    assert offenders == []
