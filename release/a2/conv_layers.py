"""Convolution, max pooling and spatial normalisation layers, forward and backward (assignment a2,
notebook convolutional_networks).

Every layer is a pair like those of layers.py: `*_forward(...) -> (out, cache)` and
`*_backward(dout, cache) -> gradients`, where `dout` has the shape of `out` and each gradient the
shape of the input it belongs to. Images are batches `x` of shape (N, C, H, W); filters `w` have
shape (F, C, HH, WW) and biases `b` shape (F,).

    conv_param = {"stride": s, "pad": p}   zero padding of p pixels on every side, then filters
                                            placed every s pixels:
                                            H_out = 1 + (H + 2 p - HH) // s  (W_out alike)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": s}
                                            H_out = 1 + (H - ph) // s        (W_out alike)

Everything follows the input's device and dtype. No torch.nn (functional included) and no
autograd: the point is to write these yourself.
"""

from __future__ import annotations

import torch

import batchnorm
import layers


def zero_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H + 2 pad, W + 2 pad), with zeros around every image (given)."""
    N, C, H, W = x.shape
    padded = x.new_zeros(N, C, H + 2 * pad, W + 2 * pad)
    padded[:, :, pad : pad + H, pad : pad + W] = x
    return padded


# --------------------------------------------------------------------------- naive layers


def conv_forward_naive(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict):
    """Convolution with explicit loops over images, filters and output positions.

    Args:
        x: (N, C, H, W); w: (F, C, HH, WW); b: (F,); conv_param: {"stride", "pad"}.
    Returns:
        out: (N, F, H_out, W_out), out[n, f, i, j] = sum(window * w[f]) + b[f], where window is
        the (C, HH, WW) patch of the padded image n whose top-left corner is (i * s, j * s).
        cache: (x, w, b, conv_param).
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = x.new_zeros(N, F, H_out, W_out)
    # YOUR CODE HERE
    raise NotImplementedError('conv_forward_naive: write your code here')
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout: torch.Tensor, cache: tuple):
    """Gradients of the naive convolution, with the same loops as the forward pass.

    Args:
        dout: (N, F, H_out, W_out) upstream gradient; cache: from `conv_forward_naive`.
    Returns:
        dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,).
    """
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    # YOUR CODE HERE
    raise NotImplementedError('conv_backward_naive: write your code here')
    return dx, dw, db


def max_pool_forward_naive(x: torch.Tensor, pool_param: dict):
    """Max pooling with explicit loops: the largest value of every (ph, pw) window.

    Args:
        x: (N, C, H, W); pool_param: {"pool_height", "pool_width", "stride"}.
    Returns:
        out: (N, C, H_out, W_out); cache: (x, pool_param).
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    out = x.new_zeros(N, C, H_out, W_out)
    # YOUR CODE HERE
    raise NotImplementedError('max_pool_forward_naive: write your code here')
    return out, (x, pool_param)


def max_pool_backward_naive(dout: torch.Tensor, cache: tuple) -> torch.Tensor:
    """Gradient of max pooling: each window passes its upstream value to the position of its
    maximum (the first one, in row-major order, on a tie); overlapping windows add up.

    Args:
        dout: (N, C, H_out, W_out); cache: from `max_pool_forward_naive`.
    Returns:
        dx: (N, C, H, W).
    """
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    # YOUR CODE HERE
    raise NotImplementedError('max_pool_backward_naive: write your code here')
    return dx


# --------------------------------------------------------------------------- vectorised convolution


def im2col(x: torch.Tensor, filter_height: int, filter_width: int, stride: int, pad: int) -> torch.Tensor:
    """Every window a filter sees, laid out as columns, with no Python loop.

    Args:
        x: (N, C, H, W).
    Returns:
        cols: (N, C * HH * WW, H_out * W_out); cols[n, :, i * W_out + j] is the window of padded
        image n at output position (i, j), flattened in (C, HH, WW) order, like `w[f].flatten()`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('im2col: write your code here')
    return cols


def col2im(
    cols: torch.Tensor, x_shape: tuple, filter_height: int, filter_width: int, stride: int, pad: int
) -> torch.Tensor:
    """The reverse of `im2col` for gradients: add every column entry back onto the pixel it was
    copied from (a pixel inside several windows collects several entries), then drop the padding.

    Args:
        cols: (N, C * HH * WW, H_out * W_out), laid out as `im2col` returns.
        x_shape: (N, C, H, W) of the original input.
    Returns:
        dx: (N, C, H, W).
    """
    # YOUR CODE HERE
    raise NotImplementedError('col2im: write your code here')
    return dx


def conv_forward_fast(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict):
    """The convolution of `conv_forward_naive` as one matrix product over `im2col` columns.

    Same arguments and `out` as `conv_forward_naive`; no Python loops.
    Returns:
        out: (N, F, H_out, W_out); cache: (x, w, b, conv_param, cols).
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    # YOUR CODE HERE
    raise NotImplementedError('conv_forward_fast: write your code here')
    return out, (x, w, b, conv_param, cols)


def conv_backward_fast(dout: torch.Tensor, cache: tuple):
    """Gradients of `conv_forward_fast`: matrix products, then `col2im`. No Python loops.

    Returns:
        dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,).
    """
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    # YOUR CODE HERE
    raise NotImplementedError('conv_backward_fast: write your code here')
    return dx, dw, db


# --------------------------------------------------------------------------- vectorised max pooling


def max_pool_forward_fast(x: torch.Tensor, pool_param: dict):
    """Max pooling with no Python loop (windows from `Tensor.unfold` or `as_strided`).

    Same arguments and `out` as `max_pool_forward_naive`.
    Returns:
        out: (N, C, H_out, W_out); cache: (x, pool_param, argmax), where argmax
        (N, C, H_out, W_out) int64 is the flat position of each maximum inside its window.
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    # YOUR CODE HERE
    raise NotImplementedError('max_pool_forward_fast: write your code here')
    return out, (x, pool_param, argmax)


def max_pool_backward_fast(dout: torch.Tensor, cache: tuple) -> torch.Tensor:
    """Gradient of `max_pool_forward_fast`, with no Python loop. Returns dx: (N, C, H, W)."""
    x, pool_param, argmax = cache
    pw, stride = pool_param["pool_width"], pool_param["stride"]
    # YOUR CODE HERE
    raise NotImplementedError('max_pool_backward_fast: write your code here')
    return dx


# --------------------------------------------------------------------------- spatial normalisation


def spatial_batchnorm_forward(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, bn_param: dict):
    """Batch normalisation of every channel over the batch and all positions, reusing
    `batchnorm.batchnorm_forward` (each pixel of each image counts as one row of features).

    Args:
        x: (N, C, H, W); gamma, beta: (C,); bn_param: as for `batchnorm.batchnorm_forward`.
    Returns:
        out: (N, C, H, W); cache: what the backward pass needs.
    """
    # YOUR CODE HERE
    raise NotImplementedError('spatial_batchnorm_forward: write your code here')
    return out, cache


def spatial_batchnorm_backward(dout: torch.Tensor, cache):
    """Gradients of `spatial_batchnorm_forward`: dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    # YOUR CODE HERE
    raise NotImplementedError('spatial_batchnorm_backward: write your code here')
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, G: int, gn_param: dict):
    """Group normalisation: split the C channels of each image into G groups of C // G channels
    and normalise each group over its channels and positions (biased variance), then scale and
    shift every channel. The same in training and testing: no running statistics.

    Args:
        x: (N, C, H, W) with C divisible by G; gamma, beta: (C,); gn_param: {"eps": 1e-5}.
    Returns:
        out: (N, C, H, W); cache: what the backward pass needs.
    """
    eps = gn_param.get("eps", 1e-5)
    # YOUR CODE HERE
    raise NotImplementedError('spatial_groupnorm_forward: write your code here')
    return out, cache


def spatial_groupnorm_backward(dout: torch.Tensor, cache):
    """Gradients of `spatial_groupnorm_forward`: dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    # YOUR CODE HERE
    raise NotImplementedError('spatial_groupnorm_backward: write your code here')
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- sandwich layers


def conv_relu_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict):
    """`conv_forward_fast` then `layers.relu_forward`. Returns out (N, F, H_out, W_out), cache."""
    # YOUR CODE HERE
    raise NotImplementedError('conv_relu_forward: write your code here')
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout: torch.Tensor, cache: tuple):
    """Backward of `conv_relu_forward`: (dx, dw, db)."""
    # YOUR CODE HERE
    raise NotImplementedError('conv_relu_backward: write your code here')


def conv_relu_pool_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict, pool_param: dict):
    """conv - ReLU - max pool, with the fast layers. Returns out and cache."""
    # YOUR CODE HERE
    raise NotImplementedError('conv_relu_pool_forward: write your code here')
    return out, (conv_relu_cache, pool_cache)


def conv_relu_pool_backward(dout: torch.Tensor, cache: tuple):
    """Backward of `conv_relu_pool_forward`: (dx, dw, db)."""
    # YOUR CODE HERE
    raise NotImplementedError('conv_relu_pool_backward: write your code here')
