"""Warm-up drills with PyTorch tensors (assignment a0, notebook pytorch_basics).

Every function here is a few lines of tensor code with no Python loop, except
`batched_matmul_loop`, the slow baseline. Functions that receive tensors return results on the
same device (and, for floating inputs, in the same dtype); functions that create tensors from
nothing take a `device` argument. None of them calls `.cuda()` or moves data between devices.
"""

from __future__ import annotations

import torch

# --------------------------------------------------------------------------- 1. creating tensors


def counting_grid(rows: int, cols: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The numbers 0, 1, 2, ... laid out row by row in a grid.

    Returns:
        (rows, cols) int64 tensor on `device` with `grid[i, j] = i * cols + j`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('counting_grid: write your code here')
    return grid


def checkerboard(rows: int, cols: int, device: torch.device | str | None = None) -> torch.Tensor:
    """A checkerboard of ones and zeros whose top-left square is one.

    Returns:
        (rows, cols) float32 tensor on `device`: 1.0 where `i + j` is even, 0.0 where it is odd.
    """
    # YOUR CODE HERE
    raise NotImplementedError('checkerboard: write your code here')
    return board


# --------------------------------------------------------------------------- 2. indexing and slicing


def pick_rows_columns(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """The sub-matrix of `x` at the given rows and columns.

    Args:
        x: (N, M) tensor.
        rows: (R,) int64 row indices, cols: (C,) int64 column indices (repeats allowed).
    Returns:
        (R, C) tensor with `out[a, b] = x[rows[a], cols[b]]`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('pick_rows_columns: write your code here')
    return out


def checkerboard_values(x: torch.Tensor) -> torch.Tensor:
    """The entries of `x` on the "white" squares of a checkerboard, read row by row.

    Args:
        x: (N, M) tensor.
    Returns:
        1-D tensor of the `x[i, j]` with `i + j` even, in row-major order (i, then j).
    """
    # YOUR CODE HERE
    raise NotImplementedError('checkerboard_values: write your code here')
    return values


def swap_halves(x: torch.Tensor) -> torch.Tensor:
    """Swap the first and the second half of the last dimension.

    Args:
        x: (..., 2K) tensor.
    Returns:
        (..., 2K) tensor equal to `x[..., K:]` followed by `x[..., :K]`; `x` is left unchanged.
    """
    # YOUR CODE HERE
    raise NotImplementedError('swap_halves: write your code here')
    return swapped


# --------------------------------------------------------------------------- 3. reshaping


def channels_last(images: torch.Tensor) -> torch.Tensor:
    """Reorder a batch of images from (N, C, H, W) to (N, H, W, C).

    Returns:
        (N, H, W, C) tensor with `out[n, h, w, c] = images[n, c, h, w]`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('channels_last: write your code here')
    return out


def tile_images(images: torch.Tensor, cols: int) -> torch.Tensor:
    """Lay N grey images out on a grid with `cols` images per row, filled row by row.

    Args:
        images: (N, H, W) tensor; N is a multiple of `cols`.
    Returns:
        (R * H, cols * W) tensor, R = N // cols, whose block at grid position (r, c) is
        image number `r * cols + c`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('tile_images: write your code here')
    return grid


def interleave(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Alternate the entries of two vectors: a[0], b[0], a[1], b[1], ...

    Args:
        a, b: (N,) tensors of the same dtype and device.
    Returns:
        (2N,) tensor.
    """
    # YOUR CODE HERE
    raise NotImplementedError('interleave: write your code here')
    return out


# --------------------------------------------------------------------------- 4. broadcasting


def outer_difference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Every difference between an entry of `a` and an entry of `b`.

    Args:
        a: (M,) tensor, b: (N,) tensor.
    Returns:
        (M, N) tensor with `out[i, j] = a[i] - b[j]`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('outer_difference: write your code here')
    return out


def center_columns(x: torch.Tensor) -> torch.Tensor:
    """Subtract from every column its mean, so each column of the result has mean zero.

    Args:
        x: (N, D) floating tensor.
    Returns:
        (N, D) tensor, `x[i, j] - mean over i of x[i, j]`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('center_columns: write your code here')
    return centred


# --------------------------------------------------------------------------- 5. elementwise maths


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x)), elementwise, for any shape.

    Must give finite values (0 or 1 in the limit) for inputs as large as +-1e4.
    Not allowed: torch.sigmoid, Tensor.sigmoid, torch.special, torch.nn.functional.
    """
    # YOUR CODE HERE
    raise NotImplementedError('sigmoid: write your code here')
    return s


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """The derivative of the sigmoid at `x`, elementwise, for any shape.

    Write it with your `sigmoid` (no autograd): d sigmoid(x) / dx = s (1 - s) with s = sigmoid(x).
    """
    # YOUR CODE HERE
    raise NotImplementedError('sigmoid_grad: write your code here')
    return grad


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along `dim`: exp(x) divided by its sum along `dim`, computed stably.

    Args:
        x: floating tensor of any shape; `dim` may be negative.
    Returns:
        Tensor shaped like `x`, non-negative, summing to one along `dim`, finite even when the
        scores are as large as +-1e4.
    Not allowed: torch.softmax, Tensor.softmax, log_softmax, logsumexp, torch.special,
    torch.nn.functional.
    """
    # YOUR CODE HERE
    raise NotImplementedError('softmax: write your code here')
    return probs


def normalize_rows(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale every row of `x` to Euclidean (L2) length one.

    Args:
        x: (N, D) floating tensor.
    Returns:
        (N, D) tensor `x[i] / max(|x[i]|, eps)`; a row of zeros stays zero.
    Not allowed: torch.norm, Tensor.norm, torch.linalg, torch.nn.functional.
    """
    # YOUR CODE HERE
    raise NotImplementedError('normalize_rows: write your code here')
    return out


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error: the mean over all entries of |pred - target|.

    Args:
        pred, target: floating tensors of the same shape.
    Returns:
        0-d tensor (autograd can differentiate it with respect to `pred`).
    Not allowed: torch.nn.functional, torch.dist, norms.
    """
    # YOUR CODE HERE
    raise NotImplementedError('l1_loss: write your code here')
    return loss


def l2_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error: the mean over all entries of (pred - target) ** 2.

    Shapes and rules as in `l1_loss`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('l2_loss: write your code here')
    return loss


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot encoding of integer class labels.

    Args:
        labels: int64 tensor of any shape (...), values in 0..num_classes-1.
    Returns:
        (..., num_classes) int64 tensor on the labels' device, 1 at the position of each label
        and 0 elsewhere. Not allowed: torch.nn.functional.
    """
    # YOUR CODE HERE
    raise NotImplementedError('one_hot: write your code here')
    return encoded


# --------------------------------------------------------------------------- 6. batched matrix multiply


def batched_matmul_loop(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Multiply B pairs of matrices, one pair per iteration of a Python loop.

    Args:
        a: (B, N, M) tensor, b: (B, M, P) tensor, same dtype and device.
    Returns:
        (B, N, P) tensor with `out[k] = a[k] @ b[k]`. Inside the loop, `@` on the 2-D
        matrices `a[k]` and `b[k]` is allowed.
    """
    out = a.new_zeros(a.shape[0], a.shape[1], b.shape[2])  # (B, N, P)
    # YOUR CODE HERE
    raise NotImplementedError('batched_matmul_loop: write your code here')
    return out


def batched_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The same product with no Python loop, from broadcasting and a sum.

    `out[k, i, j] = sum over m of a[k, i, m] * b[k, m, j]`: line the factors up in a
    (B, N, M, P) tensor of products, then sum over the M axis.
    Not allowed: `@`, torch.matmul, torch.bmm, torch.mm, torch.einsum, torch.tensordot and the
    other library matrix products (the notebook lists them). Shapes as in `batched_matmul_loop`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('batched_matmul: write your code here')
    return out
