"""Loops found in a function's source: the part of the no-loop rule that can point at a line."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from types import FunctionType


_LOOP_NODES: dict[type, str] = {
    ast.For: "for loop",
    ast.AsyncFor: "async for loop",
    ast.While: "while loop",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
}
# Calls that hide a Python-level loop, or run code the AST cannot see.
_LOOPING_CALLS = {"map", "filter", "reduce", "starmap", "accumulate", "exec", "eval", "apply_", "map_"}


def _function_tree(func: Callable) -> tuple[ast.AST, int, str]:
    source = textwrap.dedent(inspect.getsource(func))
    first_line = inspect.getsourcelines(func)[1]
    return ast.parse(source), first_line, func.__qualname__


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def find_loops(func: Callable, *, follow_helpers: bool = True) -> list[str]:
    """Every Python-level loop in `func`, one description per loop ('line 12: for loop in f').

    Counts `for`/`while` statements, comprehensions and generator expressions, and calls that loop
    or run hidden code (`map`, `filter`, `reduce`, `exec`, `eval`). With `follow_helpers`, plain
    functions of the same module that `func` calls by name are checked too, recursively, so a
    loop moved into a helper is still found. Classes are checked method by method.
    """
    if inspect.isclass(func):
        found: list[str] = []
        for member in vars(func).values():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, FunctionType):
                found += find_loops(member, follow_helpers=follow_helpers)
        return found
    func = inspect.unwrap(func)
    seen: set[Callable] = set()
    found = []

    def visit(f: Callable) -> None:
        if f in seen:
            return
        seen.add(f)
        tree, first_line, qualname = _function_tree(f)
        helpers = []
        for node in ast.walk(tree):
            line = first_line + getattr(node, "lineno", 1) - 1
            if type(node) in _LOOP_NODES:
                found.append(f"line {line}: {_LOOP_NODES[type(node)]} in {qualname}")
            elif isinstance(node, ast.Call):
                name = _called_name(node)
                if name in _LOOPING_CALLS:
                    found.append(f"line {line}: call to {name}() in {qualname}")
                elif name == f.__name__ and isinstance(node.func, ast.Name):
                    found.append(f"line {line}: recursive call in {qualname}")
                elif follow_helpers and isinstance(node.func, ast.Name):
                    helper = getattr(f, "__globals__", {}).get(node.func.id)
                    if isinstance(helper, FunctionType) and helper.__module__ == f.__module__:
                        helpers.append(helper)
        for helper in helpers:
            visit(helper)

    visit(func)
    return found


def count_loops(func: Callable) -> int:
    """Number of Python-level loops `find_loops` reports for `func`."""
    return len(find_loops(func))
