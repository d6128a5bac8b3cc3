"""A static scan of student code for attempts to fool the tests from inside the kernel.

Student code runs in the same Python process as the hidden tests, so it could replace what the
tests rely on: `torch.allclose = lambda *a, **k: True`, a patched `dl4cv.testing`, the notebook's
own globals through `__main__` or stack frames, or the builtins. No honest solution needs any of
that, so the grader reads every student-written file and solution cell before trusting its
scores; a submission with a finding scores zero and is reported for a human to look at.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Modules that give a way into other code's namespaces or the interpreter itself.
FORBIDDEN_IMPORTS = {"builtins", "__main__", "gc", "ctypes", "importlib", "inspect", "sys"}
# Attributes that reach a caller's or a function's globals, or replace a function's code.
FORBIDDEN_ATTRIBUTES = {"f_globals", "f_locals", "f_back", "f_builtins", "__globals__", "__code__",
                        "__builtins__", "__dict__", "__class__", "__subclasses__", "__bases__", "__mro__"}  # fmt: skip
FORBIDDEN_NAMES = {"__builtins__", "__import__", "globals", "vars", "exec", "eval", "compile"}
ALLOWED_SYS = {"sys.float_info", "sys.maxsize", "sys.version_info", "sys.platform", "sys.stdout", "sys.stderr",
               "sys.executable", "sys.argv", "sys.path"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One suspicious line: where, and what it does."""

    where: str  # file name or notebook cell id
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.where} line {self.line}: {self.what}"


class _Scanner(ast.NodeVisitor):
    def __init__(self, where: str):
        self.where = where
        self.imported: set[str] = set()
        self.findings: list[Finding] = []

    def _flag(self, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(self.where, getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imported.add((alias.asname or alias.name).split(".")[0])
            if alias.name.split(".")[0] in FORBIDDEN_IMPORTS - {"sys"}:
                self._flag(node, f"imports {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = (node.module or "").split(".")[0]
        if module in FORBIDDEN_IMPORTS:
            self._flag(node, f"imports from {node.module}")
        for alias in node.names:
            self.imported.add(alias.asname or alias.name)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_NAMES:
            self._flag(node, f"uses {node.id}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = _dotted(node)
        if node.attr in FORBIDDEN_ATTRIBUTES and not (dotted or "").startswith("self."):
            self._flag(node, f"uses {dotted or '.' + node.attr}")
        elif dotted and dotted.startswith("sys.") and dotted not in ALLOWED_SYS:
            self._flag(node, f"uses {dotted}")
        self.generic_visit(node)

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            base = _root_name(target)
            if base in self.imported:
                self._flag(target, f"changes {_dotted(target) or base + '[...]'}, which belongs to an imported module")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
            # `t = torch` or `tt = torch.testing`: the new name is the module under another name.
            if isinstance(target, ast.Name) and isinstance(node.value, (ast.Name, ast.Attribute)):
                if _root_name(node.value) in self.imported and _dotted(node.value):
                    self.imported.add(target.id)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in {"setattr", "delattr"} and node.args:
            if _root_name(node.args[0]) in self.imported:
                self._flag(node, f"{node.func.id} on {ast.unparse(node.args[0])}, an imported module")
        self.generic_visit(node)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def scan_source(code: str, *, where: str) -> list[Finding]:
    """Suspicious lines of one Python file or cell (IPython `%magic` and `!shell` lines are skipped)."""
    lines = [("" if line.lstrip().startswith(("%", "!")) else line) for line in code.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []  # it cannot run either; the tests that import it fail on their own
    scanner = _Scanner(where)
    scanner.visit(tree)
    return scanner.findings


def scan_submission(*, python_files: dict[str, str], solution_cells: dict[str, str]) -> list[Finding]:
    """Findings in a submission's student-written files (name -> text) and solution cells (id -> code)."""
    findings = []
    for name, text in {**python_files, **solution_cells}.items():
        findings += scan_source(text, where=name)
    return findings
