"""dl4cv.testing: the helpers every hidden test relies on must catch what they claim to."""

from __future__ import annotations

import inspect

import pytest
import torch

from dl4cv import testing
from dl4cv.testing import (
    ForbiddenCallError,
    assert_close,
    assert_no_loops,
    find_loops,
    forbidden_calls,
    numeric_gradient,
    rel_error,
)

from . import loop_examples as ex


def test_rel_error_is_zero_for_equal_and_positive_for_different():
    x = torch.randn(5, 3, dtype=torch.float64)
    assert testing.rel_error(x, x.clone()) == 0.0
    assert testing.rel_error(x, x + 1e-3) > 0


def test_assert_close_names_shape_and_worst_index():
    expected = torch.zeros(2, 3)
    with pytest.raises(AssertionError, match=r"shape \(3, 2\), expected \(2, 3\)"):
        assert_close(torch.zeros(3, 2), expected, name="dists")
    wrong = expected.clone()
    wrong[1, 2] = 5.0
    with pytest.raises(AssertionError, match=r"worst at index \(1, 2\): got 5"):
        assert_close(wrong, expected, name="dists")
    with pytest.raises(AssertionError, match="expected a torch.Tensor"):
        assert_close([0.0], expected)
    assert_close(expected + 1e-9, expected, atol=1e-8)


def test_numeric_gradient_matches_autograd(device):
    x = torch.randn(4, 3, dtype=torch.float64, device=device)
    upstream = torch.randn(4, 3, dtype=torch.float64, device=device)
    numeric = testing.numeric_gradient(lambda t: torch.tanh(t) * t, x.clone(), upstream)
    x.requires_grad_(True)
    (torch.tanh(x) * x * upstream).sum().backward()
    assert testing.rel_error(numeric, x.grad) < 1e-7


@pytest.mark.parametrize(
    "func, kind",
    [
        (ex.with_for, "for loop"),
        (ex.with_while, "while loop"),
        (ex.with_list_comprehension, "list comprehension"),
        (ex.with_generator, "generator expression"),
        (ex.with_map, "call to map()"),
        (ex.calls_looping_helper, "for loop in _looping_helper"),
        (ex.recursive, "recursive call"),
        (ex.with_exec, "call to exec()"),
    ],
)
def test_find_loops_reports_every_kind_of_loop(func, kind):
    loops = find_loops(func)
    assert any(kind in line for line in loops), loops
    with pytest.raises(AssertionError, match="must be vectorised"):
        assert_no_loops(func)


def test_vectorised_code_passes_the_loop_check():
    assert find_loops(ex.vectorised) == []
    assert_no_loops(ex.vectorised)
    source_lines = inspect.getsource(ex).splitlines()
    loop_line = next(i for i, line in enumerate(source_lines, start=1) if "the one loop the class check" in line)
    assert find_loops(ex.Classifier) == [f"line {loop_line}: for loop in Classifier.slow"]


def test_forbidden_call_raises_and_catching_it_does_not_help():
    a, b = torch.randn(4, 3), torch.randn(2, 3)
    with pytest.raises(ForbiddenCallError, match="torch.cdist is not allowed here"):
        with forbidden_calls("torch.cdist"):
            torch.cdist(a, b)
    with pytest.raises(AssertionError, match="torch.cdist"):
        with forbidden_calls("torch.cdist"):
            try:
                torch.cdist(a, b)
            except ForbiddenCallError:
                pass
    assert torch.cdist(a, b).shape == (4, 2), "the guard must restore the real function"


def test_forbidden_calls_cover_aliases_methods_and_modules():
    a = torch.randn(4, 3)
    with pytest.raises(ForbiddenCallError):
        with forbidden_calls("torch.cdist", modules=[ex]):
            ex.aliased_cdist(a, a)  # `from torch import cdist as _dist` inside the module
    with pytest.raises(ForbiddenCallError):
        with forbidden_calls("torch.Tensor.norm"):
            a.norm()
    with pytest.raises(ForbiddenCallError):
        with forbidden_calls("torch.nn.functional"):
            torch.nn.functional.pairwise_distance(a, a)
    with forbidden_calls("torch.nn.functional", "torch.cdist", "torch.linalg"):
        ex.vectorised(a, a)  # plain tensor code is unaffected
    assert torch.nn.functional.relu(torch.tensor([-1.0])).item() == 0.0


def test_speed_ratio_tells_a_loop_from_a_vectorised_version():
    x = torch.randn(300, 64)
    ratio = testing.speed_ratio(lambda: ex.slow_row_sums(x), lambda: x.sum(dim=1))
    assert ratio > 5
    with pytest.raises(AssertionError, match="only .*x faster than the loop version"):
        testing.assert_speedup(lambda: x.sum(dim=1), lambda: ex.slow_row_sums(x), at_least=2)


def test_best_time_restores_the_thread_count():
    before = torch.get_num_threads()
    testing.best_time(lambda: torch.ones(3).sum(), threads=1)
    assert torch.get_num_threads() == before


def test_numeric_gradient_stays_accurate_when_the_outputs_are_large():
    """Each probe's outputs are subtracted before summing: summing first loses the small change
    of one element in the large total of all the others (dropout's check caught this)."""
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(6, 8, generator=gen, dtype=torch.float64)
    upstream = torch.randn(6, 8, generator=gen, dtype=torch.float64) * 1e-3

    grad = numeric_gradient(lambda v: 3 * v + 1000, x, upstream)

    assert rel_error(grad, 3 * upstream) < 1e-8
