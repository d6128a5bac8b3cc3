"""What test cells use: comparisons, gradient checks, the no-loop check, the forbidden-call
guard and the speed-ratio check.

Public checks (visible to students) and hidden tests share these helpers, so a message a student
sees while debugging reads the same as the one the autograder records.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import FunctionType, ModuleType
from typing import Any

import torch

from dl4cv.device import available_devices

__all__ = [
    "available_devices",
    "rel_error",
    "assert_close",
    "numeric_gradient",
    "find_loops",
    "count_loops",
    "assert_no_loops",
    "ForbiddenCallError",
    "forbidden_calls",
    "best_time",
    "speed_ratio",
    "assert_speedup",
]


# --------------------------------------------------------------------------- comparisons


def rel_error(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-10) -> float:
    """Largest elementwise relative error `|x - y| / max(eps, |x| + |y|)`, computed in float64."""
    x = torch.as_tensor(x).detach().to("cpu", torch.float64)
    y = torch.as_tensor(y).detach().to("cpu", torch.float64)
    if x.numel() == 0 and y.numel() == 0:
        return 0.0
    return ((x - y).abs() / (x.abs() + y.abs()).clamp_min(eps)).max().item()


def assert_close(
    actual: Any,
    expected: torch.Tensor,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "result",
    check_dtype: bool = False,
    check_device: bool = False,
) -> None:
    """Assert `actual` matches `expected` elementwise, with a message a student can act on.

    Checks, in order: that `actual` is a tensor, its shape, optionally dtype and device, then the
    values (`|a - e| <= atol + rtol * |e|`). The message names the worst index and both values.
    """
    if not isinstance(actual, torch.Tensor):
        raise AssertionError(f"{name}: expected a torch.Tensor, got {type(actual).__name__}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{name}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(f"{name}: dtype {actual.dtype}, expected {expected.dtype}")
    if check_device and actual.device != expected.device:
        raise AssertionError(f"{name}: on {actual.device}, expected on {expected.device}")
    a = actual.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    if not torch.isfinite(a).all() and torch.isfinite(e).all():
        raise AssertionError(f"{name}: contains NaN or inf values")
    excess = (a - e).abs() - (atol + rtol * e.abs())
    if excess.numel() and excess.max() > 0:
        worst = int(excess.argmax())
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), a.shape))
        raise AssertionError(
            f"{name}: values differ; worst at index {index}: got {a.flatten()[worst].item():.6g}, "
            f"expected {e.flatten()[worst].item():.6g} (relative error {rel_error(a, e):.2e})"
        )


def numeric_gradient(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    upstream: torch.Tensor | None = None,
    h: float = 1e-6,
) -> torch.Tensor:
    """Centred-difference gradient of `sum(f(x) * upstream)` with respect to `x`.

    `x` is perturbed in place one element at a time and restored; use float64 for accuracy.
    Returns a tensor shaped like `x`.
    """
    probe = x.view(-1)
    slopes = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
    scale = 1.0 if upstream is None else upstream
    for index in range(probe.numel()):
        saved = probe[index].item()
        outputs = []
        for shifted in (saved + h, saved - h):
            probe[index] = shifted
            outputs.append(f(x).detach().clone())  # f may return a view of x
        probe[index] = saved  # restored exactly, not by adding h back
        # Subtract before summing: summing first would swamp a small change in large totals.
        slopes[index] = ((outputs[0] - outputs[1]) * scale).sum() / (2 * h)
    return slopes.view_as(x)


# --------------------------------------------------------------------------- no-loop check

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
_LOOPING_CALLS = {"map", "filter", "reduce", "exec", "eval", "apply_", "map_"}


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


def assert_no_loops(func: Callable) -> None:
    """Fail with the location of every loop when `func` (or a helper it calls) loops in Python."""
    loops = find_loops(func)
    if loops:
        name = getattr(func, "__qualname__", repr(func))
        raise AssertionError(
            f"{name} must be vectorised (no Python loops or comprehensions), but it has:\n  "
            + "\n  ".join(loops)
        )


# --------------------------------------------------------------------------- forbidden calls


class ForbiddenCallError(RuntimeError):
    """Raised when student code calls a function the exercise asks them to write themselves."""


@dataclass
class CallGuard:
    """What `forbidden_calls` records: the forbidden names the guarded code tried to call."""

    names: tuple[str, ...]
    attempts: list[str] = field(default_factory=list)


def _resolve(dotted: str) -> tuple[Any, str, Any]:
    """Split 'torch.linalg.norm' into (parent object, attribute name, current value)."""
    parts = dotted.split(".")
    obj: Any = __import__(parts[0])
    for i, part in enumerate(parts[1:-1], start=1):
        if not hasattr(obj, part):
            obj = __import__(".".join(parts[: i + 1]), fromlist=["_"])
        else:
            obj = getattr(obj, part)
    return obj, parts[-1], getattr(obj, parts[-1])


# Helpers that torch modules import for their own dispatch; forbidding them would break torch.
_PLUMBING_MODULES = {"typing", "torch._C", "torch._jit_internal", "torch.overrides"}


def _is_public_function(name: str, member: Any) -> bool:
    return (
        not name.startswith("_")
        and callable(member)
        and not isinstance(member, (type, ModuleType))
        and getattr(member, "__module__", None) not in _PLUMBING_MODULES
    )


def _expand(dotted: str) -> list[str]:
    """A module name stands for every public function in it; anything else stands for itself."""
    _, _, value = _resolve(dotted)
    if isinstance(value, ModuleType):
        return [f"{dotted}.{name}" for name, member in vars(value).items() if _is_public_function(name, member)]
    return [dotted]


@contextlib.contextmanager
def forbidden_calls(*names: str, modules: Iterable[ModuleType] = ()) -> Iterator[CallGuard]:
    """Make the named functions raise `ForbiddenCallError` while the block runs.

    `names` are dotted paths ('torch.cdist', 'torch.Tensor.norm'); a module path
    ('torch.nn.functional') forbids every public function in it. Aliases are covered too: any
    torch module, and every module in `modules` (pass the student's module), that holds the same
    object under another name gets the guard as well. Catching the error does not help: if a
    forbidden call was attempted, leaving the block raises `AssertionError`.
    """
    targets = [full for name in names for full in _expand(name)]
    guard = CallGuard(names=tuple(targets))
    originals: dict[int, tuple[Any, str]] = {}
    patches: list[tuple[Any, str, Any]] = []

    def make_raiser(dotted: str) -> Callable:
        def forbidden(*args: Any, **kwargs: Any) -> Any:
            guard.attempts.append(dotted)
            raise ForbiddenCallError(f"{dotted} is not allowed here: write this part with basic tensor operations")

        return forbidden

    for dotted in targets:
        parent, attr, value = _resolve(dotted)
        raiser = make_raiser(dotted)
        originals[id(value)] = (value, dotted)
        patches.append((parent, attr, value))
        setattr(parent, attr, raiser)

    homes = [m for n, m in list(sys.modules.items()) if n == "torch" or n.startswith("torch.")]
    for module in [*homes, *modules]:
        namespace = getattr(module, "__dict__", {})
        for attr, value in list(namespace.items()):
            hit = originals.get(id(value))
            if hit is not None and hit[0] is value and (module, attr) not in {(p, a) for p, a, _ in patches}:
                patches.append((module, attr, value))
                setattr(module, attr, make_raiser(hit[1]))
    try:
        yield guard
    finally:
        for parent, attr, value in reversed(patches):
            setattr(parent, attr, value)
    if guard.attempts:
        raise AssertionError(
            "called a function this exercise asks you to write yourself: "
            + ", ".join(sorted(set(guard.attempts)))
        )


# --------------------------------------------------------------------------- speed ratios


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def best_time(fn: Callable[[], Any], *, repeats: int = 3, threads: int | None = 1) -> float:
    """Best wall time in seconds of `repeats` calls of `fn` after one warm-up call.

    Runs with `threads` torch threads (default 1): on a busy machine a multi-threaded kernel
    waits for descheduled threads and its time jumps by scheduler time slices, which would make
    ratios noisy. Synchronises CUDA around each call so GPU work is counted.
    """
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    with _torch_threads(threads):
        fn()
        best = float("inf")
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            fn()
            sync()
            best = min(best, time.perf_counter() - start)
    return best


def speed_ratio(slow: Callable[[], Any], fast: Callable[[], Any], *, repeats: int = 3) -> float:
    """How many times faster `fast` is than `slow`, both timed in this run (best of `repeats`)."""
    return best_time(slow, repeats=repeats) / max(best_time(fast, repeats=repeats), 1e-9)


def assert_speedup(
    slow: Callable[[], Any],
    fast: Callable[[], Any],
    *,
    at_least: float,
    repeats: int = 3,
    name: str = "your function",
) -> None:
    """Fail unless `fast` is at least `at_least` times faster than `slow`.

    Returns nothing on purpose: a number left as a test cell's last value would be read by
    nbgrader as partial credit.
    """
    t_slow, t_fast = best_time(slow, repeats=repeats), best_time(fast, repeats=repeats)
    ratio = t_slow / max(t_fast, 1e-9)
    if ratio < at_least:
        raise AssertionError(
            f"{name} is only {ratio:.1f}x faster than the loop version ({t_fast * 1e3:.1f} ms vs "
            f"{t_slow * 1e3:.1f} ms); it should be at least {at_least:g}x faster"
        )

