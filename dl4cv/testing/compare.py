"""Comparing a student's tensors with the expected ones, and a numeric gradient to compare with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch



def rel_error(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-10) -> float:
    """Largest elementwise relative error `|x - y| / max(eps, |x| + |y|)`, computed in float64.

    `x` and `y` must have the same shape (a single number may stand for a tensor of any shape):
    comparing a (N, 1) column with an (N,) vector would otherwise broadcast to (N, N) silently.
    """
    x = torch.as_tensor(x).detach().to("cpu", torch.float64)
    y = torch.as_tensor(y).detach().to("cpu", torch.float64)
    if x.shape != y.shape and x.numel() != 1 and y.numel() != 1:
        raise ValueError(
            f"rel_error: the first tensor has shape {tuple(x.shape)} and the second {tuple(y.shape)}; "
            "compare tensors of the same shape (check the shape your function returns)"
        )
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
    if not x.is_floating_point():
        raise TypeError(f"numeric_gradient: x has dtype {x.dtype}; it needs a floating-point tensor (use float64)")
    if upstream is not None:
        shape = tuple(torch.as_tensor(f(x)).shape)
        if shape != tuple(upstream.shape):
            raise ValueError(
                f"numeric_gradient: f(x) has shape {shape} but upstream has shape {tuple(upstream.shape)}; "
                "pass the upstream gradient of f's output"
            )
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
