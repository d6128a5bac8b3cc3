"""A guard that makes named library functions raise while student code runs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any



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
