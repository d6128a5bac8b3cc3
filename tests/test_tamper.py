"""The tamper scan: tricks that would fool in-process tests are found; honest code is not."""

from __future__ import annotations

import glob

import pytest

from dl4cv.course import notebooks
from dl4cv.course.tamper import scan_source

from .conftest import ROOT

TRICKS = {
    "import torch\ntorch.allclose = lambda *a, **k: True": "torch.allclose",
    "import torch\nalias = torch.testing\nalias.assert_close = print": "alias.assert_close",
    "import torch as t\nt.testing.assert_close = print": "t.testing.assert_close",
    "from dl4cv import testing\ntesting.assert_no_loops = lambda f: None": "testing.assert_no_loops",
    "import torch\nsetattr(torch, 'equal', lambda *a: True)": "setattr on torch",
    "import torch\ndel torch.cdist": "torch.cdist",
    "import __main__\n__main__.x = 1": "imports __main__",
    "import builtins": "imports builtins",
    "import sys\nsys.modules['dl4cv.testing'] = None": "sys.modules",
    "import sys\nf = sys._getframe(1)": "sys._getframe",
    "def f():\n    return f.__globals__": "__globals__",
    "g = (lambda: 0).__code__": "__code__",
    "globals()['x'] = 1": "globals",
    "exec('x = 1')": "exec",
    "import inspect": "imports inspect",
    "().__class__.__bases__[0].__subclasses__()": "__class__",
    "import torch\ntorch.Tensor.__eq__ = lambda a, b: True": "torch.Tensor.__eq__",
}


@pytest.mark.parametrize("code", list(TRICKS), ids=list(TRICKS.values()))
def test_every_trick_is_found(code):
    findings = scan_source(code, where="tiny.py")
    assert findings, f"not found: {code!r}"
    assert any(TRICKS[code] in str(f) for f in findings), [str(f) for f in findings]
    assert str(findings[0]).startswith("tiny.py line ")


def test_honest_tensor_code_is_not_flagged():
    code = """
import torch
import torch.nn.functional as F
from dl4cv.testing import rel_error

class Net:
    def __init__(self):
        self.params = {}
        self.params["W"] = torch.zeros(3)
        self.__dict__["cache"] = None

def f(x):
    y = torch.stack([x, x]).sum(0)
    y[0] = 1
    torch.manual_seed(0)
    return y
%timeit f(torch.ones(2))
!ls
"""
    assert scan_source(code, where="honest.py") == []


def test_no_reference_module_or_solution_cell_is_flagged():
    found = []
    for path in sorted(glob.glob(str(ROOT / "source" / "*" / "*.py"))):
        found += scan_source(open(path).read(), where=path)
    for path in sorted(glob.glob(str(ROOT / "source" / "*" / "*.ipynb"))):
        for cell in notebooks.read(path).cells:
            if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                found += scan_source(cell.source, where=path)
    assert [str(f) for f in found] == []
