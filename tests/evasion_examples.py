"""Functions the behavioural no-loop rule must judge: loops hidden from a source scan, correct
vectorised code (with data-dependent branches or fixed small loops), device bugs, and teaching
versions that must loop. They live in a real file because the rule counts lines per file."""

import itertools
from functools import reduce

import torch


# --------------------------------------------------------------------------- hidden loops


def center_with_builtin_sum(x):
    return x - sum(x) / len(x)  # sum() walks the rows one by one


def gradient_with_starmap(x, d):
    return sum(itertools.starmap(lambda row, s: row * s, zip(x, d)))


def row_norms_through_tolist(x):
    return torch.tensor([sum(v * v for v in row) ** 0.5 for row in x.tolist()], device=x.device)


def _first_rows(x, i=0):
    return x[:0] if i == len(x) else torch.cat([x[i : i + 1] * 2, _first_rows(x, i + 1)])


def double_by_recursion(x):
    return _first_rows(x)


def sum_with_reduce(x):
    return reduce(torch.add, x.unbind(0))


def max_with_builtin(x):
    return max(x, key=lambda row: float(row.sum()))


# --------------------------------------------------------------------------- correct code


def center_columns(x):
    return x - x.mean(dim=0, keepdim=True)


def relu_with_branch(x):
    if (x < 0).any():  # data-dependent, but not per example
        x = x.clamp_min(0)
    return x


def pool_over_kernel_offsets(x):
    """Max over 2x2 windows of (N, H, W): a loop over the 4 kernel offsets, not over the data."""
    best = x[:, 0::2, 0::2]
    for di, dj in [(0, 1), (1, 0), (1, 1)]:
        best = torch.maximum(best, x[:, di::2, dj::2])
    return best


def accuracy(pred, y):
    return (pred == y).float().mean().item()


# --------------------------------------------------------------------------- device bugs


def one_hot_with_eye(labels, classes):
    return torch.eye(classes, dtype=torch.long)[labels]


def one_hot_clean(labels, classes):
    return (labels[..., None] == torch.arange(classes, device=labels.device)).long()


def add_noise_on_the_cpu(x):
    return x + torch.randn(x.shape)


def pick_rows_with_a_cpu_index(x):
    return x[torch.arange(0, x.shape[0], 2)]


def scale_by_a_cpu_scalar(x):
    return x * torch.tensor(2.0)


# --------------------------------------------------------------------------- teaching versions


def distances_no_loops(a, b):
    return ((a**2).sum(1, keepdim=True) + (b**2).sum(1) - 2 * a @ b.T).clamp_min(0).sqrt()


def distances_two_loops(a, b):
    out = a.new_zeros(a.shape[0], b.shape[0])
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = ((a[i] - b[j]) ** 2).sum().sqrt()
    return out


def distances_two_loops_as_product(a, b):
    out = a.new_zeros(a.shape[0], b.shape[0])
    for i, j in itertools.product(range(a.shape[0]), range(b.shape[0])):
        out[i, j] = ((a[i] - b[j]) ** 2).sum().sqrt()
    return out


def distances_one_loop(a, b):
    out = a.new_zeros(a.shape[0], b.shape[0])
    for i in range(a.shape[0]):
        out[i] = ((b - a[i]) ** 2).sum(1).sqrt()
    return out


def distances_two_loops_calling_no_loops(a, b):
    return distances_no_loops(a, b)


def distances_two_loops_that_loop_once(a, b):
    out = a.new_zeros(a.shape[0], b.shape[0])
    for i in range(a.shape[0]):
        for row in [b]:
            out[i] = ((row - a[i]) ** 2).sum(1).sqrt()
    return out


# --------------------------------------------------------------------------- gradients by hand


def square_gradient_by_hand(x):
    nn = x.shape[0]  # a variable that happens to be called nn is no shortcut
    grad = 2 * x / nn
    return grad


def square_gradient_by_autograd(x):
    with torch.enable_grad():
        leaf = x.detach().requires_grad_()
        (leaf**2 / x.shape[0]).sum().backward()
    return leaf.grad


def grey_by_unpacking(images):
    r, g, b = images.transpose(0, 1)  # iterates over the 3 channels, whatever the batch
    return 0.299 * r + 0.587 * g + 0.114 * b


def sample_rows(x, generator):
    index = torch.randperm(x.shape[0], generator=generator)[:3].to(x.device)  # drawn on the CPU, then moved
    return x[index]
