"""The no-loop rule, the loop rule for teaching versions, and the device check.

A vectorised function does the same work, in the same number of torch operations and Python
lines, whatever the batch size: only the tensors get bigger. So the rule runs the function at a
small and a large batch and compares what it did (see `dl4cv.testing.watch`). Source loops are
reported too, with their lines, because that is the message a student can act on.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from dl4cv.testing.forbidden import ForbiddenCallError, forbidden_calls
from dl4cv.testing.source_loops import count_loops, find_loops
from dl4cv.testing.watch import Record, autograd_use, module_files, watch


class Call:
    """Positional and keyword arguments for one call: what an `inputs` function may return."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


Inputs = Callable[[int], "tuple | Call"]


class DeviceWarning(UserWarning):
    """Something CUDA accepts but that wastes time: shown, never graded."""


def _arguments(inputs: Inputs, n: int) -> tuple[tuple, dict]:
    made = inputs(n)
    if isinstance(made, Call):
        return made.args, made.kwargs
    return (made if isinstance(made, tuple) else (made,)), {}


def _name(func: Callable) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def _record(func: Callable, inputs: Inputs, n: int, files: set[str]) -> Record:
    args, kwargs = _arguments(inputs, n)
    return watch(func, args, kwargs, files=files)[0]


def _device_findings(name: str, records: Iterable[Record]) -> list[str]:
    errors, notes = [], []
    for record in records:
        errors += [e for e in record.device_errors if e not in errors]
        notes += [w for w in record.device_warnings if w not in notes]
    for note in notes:
        # stacklevel 1: Python prints the source line the warning points at, and a test cell's
        # line may be a hidden test; this line of the library is safe to show.
        warnings.warn(f"{name}: {note}", DeviceWarning, stacklevel=1)
    return errors


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def assert_no_loops(
    func: Callable,
    inputs: Inputs | None = None,
    *,
    sizes: tuple[int, int] = (8, 40),
    loops_allowed: str | None = None,
    modules: Iterable[ModuleType] = (),
    allow: Iterable[str] = (),
    check_devices: bool = True,
) -> None:
    """Fail unless `func` is vectorised over the batch, saying what loops and where.

    `inputs(n)` builds the arguments for a batch of `n` (a tuple, or a `Call` for keywords),
    every other dimension fixed. `func` runs at both `sizes`, and fails when:
      - its source (or a helper's in the same module) has a loop, comprehension, `map`, ... —
        unless `loops_allowed` says which fixed-count loops the notebook permits ("over the
        layers", "over the kernel offsets"); the behaviour below is checked either way;
      - the torch operations it calls, or the lines it executes in its own file and in
        `modules`' files, grow with the batch by more than half an operation per extra example
        (so `sum(x)`, `zip`, `itertools.starmap`, recursion over rows all count);
      - it iterates over a tensor along a dimension that follows the batch (`for row in x`,
        `sum(x)`, `zip(x, y)`; unpacking a fixed number of channels is fine), or calls
        `.tolist()`, `.numpy()` or `.item()` (unless named in `allow`, as in `allow=("item",)`);
      - it mixes tensors created without `device=` with the inputs' tensors, or returns one:
        that breaks on a GPU. What a GPU accepts but should not be done is a `DeviceWarning`.
    Without `inputs` (or for a class) only the source is checked.
    """
    name = _name(func)
    problems: list[str] = []
    if loops_allowed is None:
        problems += find_loops(func)
    if inputs is not None and not inspect.isclass(func):
        files = module_files(func, modules)
        small, big = sizes
        _record(func, inputs, small, files)  # warm-up: first calls may initialise caches
        at_small, at_big = _record(func, inputs, small, files), _record(func, inputs, big, files)
        slack = (big - small) // 2
        if at_big.operations - at_small.operations > slack:
            problems.append(
                f"it called {at_small.operations} torch operations for a batch of {small} and "
                f"{at_big.operations} for a batch of {big}: part of the work loops over the batch "
                "(sum(), zip(), map() or itertools over a tensor loop too)"
            )
        if at_big.lines - at_small.lines > slack:
            problems.append(
                f"it executed {at_small.lines} lines of your code for a batch of {small} and "
                f"{at_big.lines} for a batch of {big}: a Python loop runs once per example"
            )
        fixed = set(at_small.iterations)
        problems += _unique(
            f"{where}: iterates over a tensor of length {length} (a Python loop over the batch)"
            for where, length in at_big.iterations if (where, length) not in fixed
        )
        allowed = {f".{a}()" for a in allow}
        problems += _unique(c for c in at_small.conversions + at_big.conversions if not any(a in c for a in allowed))
        device_errors = _device_findings(name, (at_small, at_big)) if check_devices else []
        if device_errors:
            problems += device_errors
    if problems:
        allowance = f"; loops {loops_allowed} are allowed" if loops_allowed else ""
        raise AssertionError(
            f"{name} must be vectorised (no Python loops over the data{allowance}), but:\n  " + "\n  ".join(problems)
        )


def assert_loops(
    func: Callable,
    inputs: Inputs,
    *,
    loops: int,
    forbid: Iterable[str] = (),
    sizes: tuple[int, int, int] = (3, 6, 12),
    modules: Iterable[ModuleType] = (),
) -> None:
    """Fail unless a teaching version loops the way the notebook asks: `loops` nested loops.

    `inputs(n)` builds arguments where every looped dimension has size `n`; `sizes` are three
    such sizes, each double the one before. Checked: the source has between 1 and `loops` loops
    (one `itertools.product` loop may walk two indices); the work (torch operations plus
    executed lines) grows like `n ** loops`, i.e. each doubling adds at least 0.75 * 2 ** loops
    times what the previous doubling added; and none of `forbid` (dotted names such as
    "knn.compute_distances_no_loops") is called.
    """
    name = _name(func)
    found = count_loops(func)
    problems = []
    if not 1 <= found <= loops:
        problems.append(f"its source has {found} loop(s); this version is meant to have {loops}")
    files = module_files(func, modules)
    records = []
    try:
        with forbidden_calls(*forbid):
            records = [_record(func, inputs, n, files) for n in sizes]
    except (ForbiddenCallError, AssertionError):
        problems.append(f"it calls {', '.join(forbid)}, which this version must not use: it is meant to show the loop")
    if records:
        work = [r.operations + r.lines for r in records]
        first, second = work[1] - work[0], work[2] - work[1]
        if first <= 0 or second < 0.75 * 2**loops * first:
            problems.append(
                f"its work (torch operations plus lines run) was {work[0]}, {work[1]} and {work[2]} at "
                f"n = {', '.join(map(str, sizes))}: {loops} nested loop(s) over the data make each doubling "
                f"of n add about {2**loops} times what the previous one added"
            )
    if problems:
        raise AssertionError(f"{name} is the {loops}-loop version, but:\n  " + "\n  ".join(problems))


def assert_device_clean(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call `func(*args, **kwargs)` and fail where it would break with inputs on a GPU.

    Works on CPU: tensors the function creates without `device=` are followed, and mixing them
    with the inputs' tensors, or returning them, fails (a CPU scalar or CPU index, which CUDA
    accepts, gives a `DeviceWarning` instead). Returns the function's result.
    """
    name = _name(func)
    record, result = watch(func, args, kwargs, files=module_files(func))
    errors = _device_findings(name, [record])
    if errors:
        raise AssertionError(f"{name} would fail with inputs on a GPU:\n  " + "\n  ".join(errors))
    return result


def assert_no_autograd(func: Callable, *args: Any, modules: Iterable[ModuleType] = (), **kwargs: Any) -> Any:
    """Call `func(*args, **kwargs)` and fail if any torch operation in it uses autograd.

    Pass inputs that do not require gradients: then a tensor that records gradients can only
    come from the function itself (`requires_grad_`, `enable_grad`, an `nn.Parameter`), whatever
    it is called or however it is imported. Returns the function's result.
    """
    finding, result = autograd_use(func, args, kwargs, files=module_files(func, modules))
    if finding:
        raise AssertionError(f"{_name(func)} must compute gradients by hand, without autograd:\n  {finding}")
    return result
