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
    ### BEGIN SOLUTION
    grid = torch.arange(rows * cols, device=device).view(rows, cols)  # (rows, cols)
    ### END SOLUTION
    return grid


def checkerboard(rows: int, cols: int, device: torch.device | str | None = None) -> torch.Tensor:
    """A checkerboard of ones and zeros whose top-left square is one.

    Returns:
        (rows, cols) float32 tensor on `device`: 1.0 where `i + j` is even, 0.0 where it is odd.
    """
    ### BEGIN SOLUTION
    i = torch.arange(rows, device=device)[:, None]  # (rows, 1)
    j = torch.arange(cols, device=device)  # (cols,)
    board = ((i + j) % 2 == 0).float()  # (rows, cols)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    out = x[rows[:, None], cols]  # (R, C)
    ### END SOLUTION
    return out


def checkerboard_values(x: torch.Tensor) -> torch.Tensor:
    """The entries of `x` on the "white" squares of a checkerboard, read row by row.

    Args:
        x: (N, M) tensor.
    Returns:
        1-D tensor of the `x[i, j]` with `i + j` even, in row-major order (i, then j).
    """
    ### BEGIN SOLUTION
    mask = checkerboard(x.shape[0], x.shape[1], device=x.device).bool()  # (N, M)
    values = x[mask]  # (number of white squares,)
    ### END SOLUTION
    return values


def swap_halves(x: torch.Tensor) -> torch.Tensor:
    """Swap the first and the second half of the last dimension.

    Args:
        x: (..., 2K) tensor.
    Returns:
        (..., 2K) tensor equal to `x[..., K:]` followed by `x[..., :K]`; `x` is left unchanged.
    """
    ### BEGIN SOLUTION
    half = x.shape[-1] // 2
    swapped = torch.cat([x[..., half:], x[..., :half]], dim=-1)  # (..., 2K)
    ### END SOLUTION
    return swapped


# --------------------------------------------------------------------------- 3. reshaping


def channels_last(images: torch.Tensor) -> torch.Tensor:
    """Reorder a batch of images from (N, C, H, W) to (N, H, W, C).

    Returns:
        (N, H, W, C) tensor with `out[n, h, w, c] = images[n, c, h, w]`.
    """
    ### BEGIN SOLUTION
    out = images.permute(0, 2, 3, 1)  # (N, H, W, C)
    ### END SOLUTION
    return out


def tile_images(images: torch.Tensor, cols: int) -> torch.Tensor:
    """Lay N grey images out on a grid with `cols` images per row, filled row by row.

    Args:
        images: (N, H, W) tensor; N is a multiple of `cols`.
    Returns:
        (R * H, cols * W) tensor, R = N // cols, whose block at grid position (r, c) is
        image number `r * cols + c`.
    """
    ### BEGIN SOLUTION
    n, h, w = images.shape
    grid = images.reshape(n // cols, cols, h, w)  # (R, cols, H, W)
    grid = grid.permute(0, 2, 1, 3)  # (R, H, cols, W)
    grid = grid.reshape(n // cols * h, cols * w)  # (R * H, cols * W)
    ### END SOLUTION
    return grid


def interleave(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Alternate the entries of two vectors: a[0], b[0], a[1], b[1], ...

    Args:
        a, b: (N,) tensors of the same dtype and device.
    Returns:
        (2N,) tensor.
    """
    ### BEGIN SOLUTION
    out = torch.stack([a, b], dim=1).reshape(-1)  # (N, 2) -> (2N,)
    ### END SOLUTION
    return out


# --------------------------------------------------------------------------- 4. broadcasting


def outer_difference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Every difference between an entry of `a` and an entry of `b`.

    Args:
        a: (M,) tensor, b: (N,) tensor.
    Returns:
        (M, N) tensor with `out[i, j] = a[i] - b[j]`.
    """
    ### BEGIN SOLUTION
    out = a[:, None] - b[None, :]  # (M, 1) - (1, N) -> (M, N)
    ### END SOLUTION
    return out


def center_columns(x: torch.Tensor) -> torch.Tensor:
    """Subtract from every column its mean, so each column of the result has mean zero.

    Args:
        x: (N, D) floating tensor.
    Returns:
        (N, D) tensor, `x[i, j] - mean over i of x[i, j]`.
    """
    ### BEGIN SOLUTION
    centred = x - x.mean(dim=0, keepdim=True)  # (N, D) - (1, D)
    ### END SOLUTION
    return centred


# --------------------------------------------------------------------------- 5. elementwise maths


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x)), elementwise, for any shape.

    Must give finite values (0 or 1 in the limit) for inputs as large as +-1e4.
    Not allowed: torch.sigmoid, Tensor.sigmoid, torch.special, torch.nn.functional.
    """
    ### BEGIN SOLUTION
    # exp(-x) overflows to inf for very negative x, and 1 / (1 + inf) = 0 is the right limit.
    s = 1 / (1 + torch.exp(-x))
    ### END SOLUTION
    return s


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """The derivative of the sigmoid at `x`, elementwise, for any shape.

    Write it with your `sigmoid` (no autograd): d sigmoid(x) / dx = s (1 - s) with s = sigmoid(x).
    """
    ### BEGIN SOLUTION
    s = sigmoid(x)
    grad = s * (1 - s)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    # Softmax does not change when a constant is subtracted along `dim`; after subtracting the
    # largest score every exponent is <= 0, so nothing overflows and the largest term is 1.
    shifted = x - x.max(dim=dim, keepdim=True).values  # same shape as x
    e = torch.exp(shifted)
    probs = e / e.sum(dim=dim, keepdim=True)
    ### END SOLUTION
    return probs


def normalize_rows(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale every row of `x` to Euclidean (L2) length one.

    Args:
        x: (N, D) floating tensor.
    Returns:
        (N, D) tensor `x[i] / max(|x[i]|, eps)`; a row of zeros stays zero.
    Not allowed: torch.norm, Tensor.norm, torch.linalg, torch.nn.functional.
    """
    ### BEGIN SOLUTION
    lengths = (x * x).sum(dim=1, keepdim=True).sqrt()  # (N, 1)
    out = x / lengths.clamp_min(eps)  # (N, D)
    ### END SOLUTION
    return out


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error: the mean over all entries of |pred - target|.

    Args:
        pred, target: floating tensors of the same shape.
    Returns:
        0-d tensor (autograd can differentiate it with respect to `pred`).
    Not allowed: torch.nn.functional, torch.dist, norms.
    """
    ### BEGIN SOLUTION
    loss = (pred - target).abs().mean()
    ### END SOLUTION
    return loss


def l2_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error: the mean over all entries of (pred - target) ** 2.

    Shapes and rules as in `l1_loss`.
    """
    ### BEGIN SOLUTION
    loss = ((pred - target) ** 2).mean()
    ### END SOLUTION
    return loss


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot encoding of integer class labels.

    Args:
        labels: int64 tensor of any shape (...), values in 0..num_classes-1.
    Returns:
        (..., num_classes) int64 tensor on the labels' device, 1 at the position of each label
        and 0 elsewhere. Not allowed: torch.nn.functional.
    """
    ### BEGIN SOLUTION
    classes = torch.arange(num_classes, device=labels.device)  # (num_classes,)
    encoded = (labels[..., None] == classes).long()  # (..., num_classes)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    for k in range(a.shape[0]):
        out[k] = a[k] @ b[k]  # (N, M) @ (M, P) -> (N, P)
    ### END SOLUTION
    return out


def batched_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The same product with no Python loop, from broadcasting and a sum.

    `out[k, i, j] = sum over m of a[k, i, m] * b[k, m, j]`: line the factors up in a
    (B, N, M, P) tensor of products, then sum over the M axis.
    Not allowed: `@`, torch.matmul, torch.bmm, torch.mm, torch.einsum, torch.tensordot and the
    other library matrix products (the notebook lists them). Shapes as in `batched_matmul_loop`.
    """
    ### BEGIN SOLUTION
    products = a[:, :, :, None] * b[:, None, :, :]  # (B, N, M, 1) * (B, 1, M, P) -> (B, N, M, P)
    out = products.sum(dim=2)  # (B, N, P)
    ### END SOLUTION
    return out
