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


# --------------------------------------------------------------------------- behavioural rule

from dl4cv.testing import Call, DeviceWarning, assert_device_clean, assert_loops  # noqa: E402

from . import evasion_examples as ev  # noqa: E402


def rows(n):
    return (torch.randn(n, 5),)


@pytest.mark.parametrize(
    ("func", "inputs", "says"),
    [
        (ev.center_with_builtin_sum, rows, "iterates over a tensor of length 40"),
        (ev.gradient_with_starmap, lambda n: (torch.randn(n, 3), torch.randn(n, 1)), "torch operations for a batch of 8"),
        (ev.row_norms_through_tolist, rows, ".tolist() turns the tensor into Python values"),
        (ev.double_by_recursion, rows, "lines of your code for a batch of 8"),
        (ev.sum_with_reduce, rows, "torch operations for a batch"),
        (ev.max_with_builtin, rows, "iterates over a tensor"),
    ],
)
def test_loops_a_source_scan_cannot_see_fail_the_rule(func, inputs, says):
    with pytest.raises(AssertionError, match="must be vectorised") as failure:
        assert_no_loops(func, inputs)
    assert says in str(failure.value)


def test_correct_vectorised_code_passes_the_rule():
    assert_no_loops(ev.center_columns, rows)
    assert_no_loops(ev.relu_with_branch, rows)
    assert_no_loops(ev.accuracy, lambda n: (torch.randint(0, 3, (n,)), torch.randint(0, 3, (n,))), allow=("item",))
    assert_no_loops(ev.one_hot_clean, lambda n: Call(torch.randint(0, 4, (n,)), classes=4))
    assert_no_loops(ev.grey_by_unpacking, lambda n: (torch.rand(n, 3, 4, 4),))  # a fixed count is no loop


def test_a_fixed_loop_the_notebook_allows_passes_only_when_allowed():
    images = lambda n: (torch.randn(n, 6, 6),)  # noqa: E731
    with pytest.raises(AssertionError, match="for loop in pool_over_kernel_offsets"):
        assert_no_loops(ev.pool_over_kernel_offsets, images)
    assert_no_loops(ev.pool_over_kernel_offsets, images, loops_allowed="over the kernel offsets")
    with pytest.raises(AssertionError, match="loops over the kernel offsets are allowed"):
        assert_no_loops(ev.center_with_builtin_sum, rows, loops_allowed="over the kernel offsets")


def test_item_is_a_conversion_unless_allowed():
    with pytest.raises(AssertionError, match=r"\.item\(\)"):
        assert_no_loops(ev.accuracy, lambda n: (torch.zeros(n), torch.zeros(n)))


def test_device_bugs_are_found_on_the_cpu():
    labels = torch.tensor([0, 2, 1])
    with pytest.raises(AssertionError, match="would fail with inputs on a GPU"):
        assert_device_clean(ev.one_hot_with_eye, labels, 3)
    with pytest.raises(AssertionError, match="Expected all tensors to be on the same device"):
        assert_device_clean(ev.add_noise_on_the_cpu, torch.randn(4))
    with pytest.raises(AssertionError, match="must be vectorised"):
        assert_no_loops(ev.one_hot_with_eye, lambda n: (torch.randint(0, 3, (n,)), 3))
    assert assert_device_clean(ev.one_hot_clean, labels, 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]


def test_functions_that_build_cpu_tensors_by_design_can_skip_the_device_rule():
    def ramp(steps):  # a schedule: `steps` values on the CPU, no input tensor to follow
        return torch.arange(steps, dtype=torch.float64) / steps

    with pytest.raises(AssertionError, match="created without device="):
        assert_no_loops(ramp, lambda n: (n,))
    assert_no_loops(ramp, lambda n: (n,), check_devices=False)
    with pytest.raises(AssertionError, match="executed"):
        assert_no_loops(lambda steps: torch.tensor([s / steps for s in range(steps)]), lambda n: (n,), check_devices=False,
                        loops_allowed="none")


def test_what_cuda_accepts_is_a_warning_not_a_failure():
    with pytest.warns(DeviceWarning, match="copies the index to the GPU"):
        assert_device_clean(ev.pick_rows_with_a_cpu_index, torch.randn(6))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_device_clean(ev.scale_by_a_cpu_scalar, torch.randn(6))  # CPU scalars are fine anywhere
        assert_device_clean(ev.sample_rows, torch.randn(6), torch.Generator().manual_seed(0))  # moved with .to


def pairs(n):
    return torch.randn(n, 3), torch.randn(n, 3)


def test_teaching_versions_must_loop_as_taught():
    assert_loops(ev.distances_two_loops, pairs, loops=2)
    assert_loops(ev.distances_two_loops_as_product, pairs, loops=2)
    assert_loops(ev.distances_one_loop, pairs, loops=1)
    forbid = ("tests.evasion_examples.distances_no_loops",)
    with pytest.raises(AssertionError, match="0 loop") as failure:
        assert_loops(ev.distances_two_loops_calling_no_loops, pairs, loops=2, forbid=forbid)
    assert "calls tests.evasion_examples.distances_no_loops, which this version must not use" in str(failure.value)
    with pytest.raises(AssertionError, match=r"nested loop\(s\) over the data make"):
        assert_loops(ev.distances_two_loops_that_loop_once, pairs, loops=2)
    with pytest.raises(AssertionError, match="source has 2 loop"):
        assert_loops(ev.distances_two_loops, pairs, loops=1)


def test_rel_error_names_the_shapes_that_differ():
    with pytest.raises(ValueError, match=r"shape \(3, 1\) and the second \(3,\)"):
        rel_error(torch.zeros(3, 1), torch.zeros(3))
    assert rel_error(torch.ones(3), torch.tensor(1.0)) == 0.0


def test_autograd_is_found_by_what_runs_not_by_names():
    from dl4cv.testing import assert_no_autograd

    x = torch.randn(5)
    assert_close(assert_no_autograd(ev.square_gradient_by_hand, x), 2 * x / 5)
    with pytest.raises(AssertionError, match="records gradients") as failure:
        assert_no_autograd(ev.square_gradient_by_autograd, x)
    assert "square_gradient_by_autograd" in str(failure.value)


def test_numeric_gradient_names_what_is_wrong_with_its_inputs():
    with pytest.raises(TypeError, match="dtype torch.int64"):
        numeric_gradient(lambda v: v * 2, torch.arange(3))
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\) but upstream has shape \(4,\)"):
        numeric_gradient(lambda v: v * 2, torch.zeros(3, dtype=torch.float64), torch.ones(4, dtype=torch.float64))


def test_forbidding_matmul_catches_the_operator_and_restores_it():
    with pytest.raises(Exception, match="__matmul__"):
        with forbidden_calls("torch.matmul", "torch.Tensor.__matmul__", "torch.Tensor.__rmatmul__"):
            torch.randn(2, 2, 3) @ torch.randn(2, 3, 1)
    assert (torch.ones(1, 2) @ torch.ones(2, 1)).item() == 2.0, "the operator is restored afterwards"
