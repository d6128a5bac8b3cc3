"""Small functions the no-loop and forbidden-call tests inspect (they need real source files)."""

import torch
from torch import cdist as _dist


def with_for(x):
    total = 0
    for row in x:
        total = total + row
    return total


def with_while(x):
    i = 0
    while i < 3:
        i += 1
    return x


def with_list_comprehension(x):
    return torch.stack([row * 2 for row in x])


def with_generator(x):
    return sum(row.sum() for row in x)


def with_map(x):
    return list(map(torch.sum, x))


def _looping_helper(x):
    for _ in range(2):
        x = x + 1
    return x


def calls_looping_helper(x):
    return _looping_helper(x) * 2


def recursive(x, depth=3):
    return x if depth == 0 else recursive(x, depth - 1)


def with_exec(x):
    exec("y = 1")
    return x


def vectorised(a, b):
    return (a**2).sum(1, keepdim=True) + (b**2).sum(1) - 2 * a @ b.T


def aliased_cdist(a, b):
    return _dist(a, b)


def slow_row_sums(x):
    out = torch.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = sum(float(v) for v in x[i])
    return out


class Classifier:
    def fast(self, x):
        return x.sum()

    def slow(self, x):
        for row in x:  # the one loop the class check must find
            pass
        return x

