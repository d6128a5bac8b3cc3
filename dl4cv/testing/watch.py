"""Watching what a function does while it runs: the torch operations it calls, the Python lines
it executes in the student's files, the tensors it turns into Python values, and the tensors it
creates without saying on which device.

The no-loop rule compares two such records taken at different batch sizes; the device check
reads the device findings of one record. Both see behaviour, so a loop hidden in a builtin
(`sum(x)`, `zip`, `itertools.starmap`), a helper, recursion or a `.tolist()` is seen as well as a
`for` statement.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType, FunctionType, ModuleType
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

# Ways of leaving torch for plain Python values: once the data is a list or an array, Python
# loops over it without any torch operation to count.
CONVERSIONS = {"tolist": ".tolist()", "numpy": ".numpy()", "item": ".item()"}

# Functions that create a tensor from nothing: without `device=` it lands on the default device
# (the CPU), whatever device the inputs are on.
_FACTORIES = {
    torch.tensor, torch.as_tensor, torch.scalar_tensor, torch.zeros, torch.ones, torch.empty, torch.full,
    torch.arange, torch.range, torch.linspace, torch.logspace, torch.eye, torch.rand, torch.randn,
    torch.randint, torch.randperm, torch.normal, torch.tril_indices, torch.triu_indices, torch.empty_strided,
    torch.bernoulli,
}  # fmt: skip
# Tensor methods whose result lives where their arguments say, not where `self` is.
_MOVES = {torch.Tensor.to, torch.Tensor.type_as, torch.Tensor.cuda}
_INDEXING = {torch.Tensor.__getitem__, torch.Tensor.__setitem__}
_ITERATION = torch.Tensor.__iter__.__code__


@dataclass
class Record:
    """What one call did: counts, and findings as 'line N of function: what' strings.

    `iterations` lists each Python iteration over a tensor (`for row in x`, `sum(x)`, `zip(x, y)`,
    unpacking) with the length iterated: one whose length follows the batch is a loop over it.
    """

    operations: int = 0
    lines: int = 0
    conversions: list[str] = field(default_factory=list)
    iterations: list[tuple[str, int]] = field(default_factory=list)  # (where, length iterated)
    device_errors: list[str] = field(default_factory=list)
    device_warnings: list[str] = field(default_factory=list)


def module_files(func: Callable, modules: Iterable[ModuleType] = ()) -> set[str]:
    """Source files whose lines count as the student's: `func`'s own file and those of `modules`."""
    files = set()
    target = getattr(func, "__func__", func)
    code = getattr(target, "__code__", None)
    if isinstance(target, FunctionType) and code is not None:
        files.add(code.co_filename)
    for module in modules:
        if getattr(module, "__file__", None):
            files.add(module.__file__)
    return files


def _where(frame: FrameType | None, files: set[str]) -> str:
    """'line N' of the innermost frame in the student's files, or '' when none is on the stack."""
    while frame is not None:
        if frame.f_code.co_filename in files:
            return f"line {frame.f_lineno} of {frame.f_code.co_name}"
        frame = frame.f_back
    return ""


def _name(func: Any) -> str:
    name = getattr(func, "__name__", None) or repr(func)
    if getattr(torch, name, None) is func:
        return f"torch.{name}"
    return f"Tensor.{name}" if hasattr(torch.Tensor, name) else name


class _Watcher(TorchFunctionMode):
    """Counts torch operations, finds conversions, and follows tensors made without `device=`.

    A tensor made by a factory without `device=` is *stray*: on a GPU it would sit on the CPU
    while the inputs sit on the GPU. Results computed only from stray tensors are stray too.
    An operation that mixes stray and input-side tensors is an error where CUDA would refuse it,
    and a warning where CUDA accepts it (a CPU index into a GPU tensor; CPU scalars are fine).
    """

    def __init__(self, files: set[str], record: Record) -> None:
        super().__init__()
        self.files, self.record = files, record
        self.stray: dict[int, torch.Tensor] = {}  # id -> tensor, kept alive so ids stay unique

    def is_stray(self, t: torch.Tensor) -> bool:
        return id(t) in self.stray

    def mark(self, result: Any) -> None:
        for t in tree_flatten(result)[0]:
            if isinstance(t, torch.Tensor):
                self.stray[id(t)] = t

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        record = self.record
        record.operations += 1
        caller = sys._getframe(1)
        name = getattr(func, "__name__", "")
        if func is torch.Tensor.unbind and caller.f_code is _ITERATION:
            where = _where(caller, self.files)
            if where:
                record.iterations.append((where, len(args[0])))
        elif name in CONVERSIONS:
            where = _where(caller, self.files)
            if where:
                record.conversions.append(f"{where}: {CONVERSIONS[name]} turns the tensor into Python values")
        result = func(*args, **kwargs)
        if func in _MOVES and result is args[0] and self.is_stray(result) and self._moves_to_inputs(args, kwargs):
            # `.to(device)` returns the tensor itself when it is already there (always, on a CPU
            # run); on a GPU it would be a new tensor on the inputs' device, so hand back one.
            result = result.view_as(result)
        self._follow_devices(func, args, kwargs, result, caller)
        return result

    def _moves_to_inputs(self, args, kwargs) -> bool:
        """Whether a `.to`/`.type_as`/`.cuda` call names a device or a tensor of the inputs."""
        target = [*args[1:], *kwargs.values()]
        return any(
            isinstance(a, (torch.device, str)) or (isinstance(a, torch.Tensor) and not self.is_stray(a)) for a in target
        )

    def _follow_devices(self, func, args, kwargs, result, caller) -> None:
        tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        stray = [t for t in tensors if self.is_stray(t)]
        clean = [t for t in tensors if not self.is_stray(t)]
        if func in _FACTORIES:
            if kwargs.get("device") is None and not tensors:
                self.mark(result)
            return
        if func is torch.Tensor.cpu:
            self.mark(result)
            return
        if func in _MOVES:
            if func is torch.Tensor.cuda or self._moves_to_inputs(args, kwargs) or not stray:
                return
            self.mark(result)
            return
        if not stray:
            return
        if not clean:
            self.mark(result)
            return
        if all(t.dim() == 0 for t in stray):
            return  # CUDA takes CPU scalars in any operation
        where = _where(caller, self.files) or "a torch call"
        op = _name(func)
        if func in _INDEXING and not self.is_stray(args[0]) and all(
            self.is_stray(t) or t.dim() == 0 for t in tree_flatten(args[1])[0] if isinstance(t, torch.Tensor)
        ):
            self.record.device_warnings.append(
                f"{where}: indexes with a tensor created without device=; CUDA accepts this but copies "
                "the index to the GPU every call (create it with device=x.device)"
            )
            return
        self.record.device_errors.append(
            f"{where}: {op} mixes a tensor created without device= with tensors from the inputs; "
            "on a GPU this raises 'Expected all tensors to be on the same device' "
            "(create it with device=x.device, or use torch.zeros_like / x.new_zeros)"
        )


class _LineCounter:
    """A `sys.settrace` tracer that counts executed lines in the given files only."""

    def __init__(self, files: set[str], record: Record) -> None:
        self.files, self.record = files, record

    def __call__(self, frame: FrameType, event: str, arg: Any):
        if frame.f_code.co_filename not in self.files:
            return None
        return self.local

    def local(self, frame: FrameType, event: str, arg: Any):
        if event == "line":
            self.record.lines += 1
        return self.local


def watch(func: Callable, args: tuple = (), kwargs: dict | None = None, *, files: set[str] | None = None) -> tuple[Record, Any]:
    """Call `func(*args, **kwargs)` once and record what it did; returns (record, result).

    `files` are the source files whose executed lines are counted (default: `func`'s own file).
    Outputs that hold a tensor created without `device=` are device errors (a 0-d one a warning).
    """
    files = module_files(func) if files is None else files
    record = Record()
    watcher = _Watcher(files, record)
    previous = sys.gettrace()
    sys.settrace(_LineCounter(files, record))
    try:
        with watcher:
            result = func(*args, **(kwargs or {}))
    finally:
        sys.settrace(previous)
    for t in tree_flatten(result)[0]:
        if isinstance(t, torch.Tensor) and watcher.is_stray(t):
            message = (
                f"returns a tensor of shape {tuple(t.shape)} created without device=: on a GPU it would "
                "be on the CPU while the inputs are on the GPU"
            )
            (record.device_warnings if t.dim() == 0 else record.device_errors).append(message)
    return record, result


class _GradientWatcher(TorchFunctionMode):
    """Records the first torch operation that sees or makes a tensor recording gradients."""

    def __init__(self, files: set[str]) -> None:
        super().__init__()
        self.files, self.found = files, ""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if not self.found:
            tensors = [t for t in tree_flatten((args, kwargs, result))[0] if isinstance(t, torch.Tensor)]
            if any(t.requires_grad for t in tensors):
                where = _where(sys._getframe(1), self.files) or "inside a library call"
                self.found = f"{where}: {_name(func)} works on a tensor that records gradients for autograd"
        return result


def autograd_use(func: Callable, args: tuple = (), kwargs: dict | None = None, *, files: set[str] | None = None) -> tuple[str, Any]:
    """Call `func` with inputs that do not require gradients; returns (finding, result), where
    `finding` names the first operation that touched a tensor recording gradients ('' if none)."""
    watcher = _GradientWatcher(module_files(func) if files is None else files)
    with watcher:
        result = func(*args, **(kwargs or {}))
    return watcher.found, result
