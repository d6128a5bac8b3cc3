"""Speed rules as ratios of two timings taken in the same run."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch



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
