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
    ### BEGIN SOLUTION
    xp = zero_pad(x, pad)  # (N, C, H + 2 pad, W + 2 pad)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    window = xp[n, :, top : top + HH, left : left + WW]  # (C, HH, WW)
                    out[n, f, i, j] = (window * w[f]).sum() + b[f]
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    xp = zero_pad(x, pad)
    dxp = torch.zeros_like(xp)
    dw = torch.zeros_like(w)
    db = dout.sum(dim=(0, 2, 3))  # (F,)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    g = dout[n, f, i, j]
                    # each output used one window once: both sides of the product get g times the other
                    dw[f] += g * xp[n, :, top : top + HH, left : left + WW]
                    dxp[n, :, top : top + HH, left : left + WW] += g * w[f]
    dx = dxp[:, :, pad : pad + H, pad : pad + W]
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw]  # (N, C, ph, pw)
            out[:, :, i, j] = window.amax(dim=(2, 3))
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    N, C, _, _ = x.shape
    _, _, H_out, W_out = dout.shape
    dx = torch.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    k = int(x[n, c, top : top + ph, left : left + pw].argmax())  # flat index in the window
                    dx[n, c, top + k // pw, left + k % pw] += dout[n, c, i, j]
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    xp = zero_pad(x, pad)  # (N, C, Hp, Wp)
    N, C, Hp, Wp = xp.shape
    H_out, W_out = 1 + (Hp - filter_height) // stride, 1 + (Wp - filter_width) // stride
    sN, sC, sH, sW = xp.stride()
    # a view, no copy: moving one step in i or j moves the window by `stride` pixels
    windows = xp.as_strided(
        (N, C, filter_height, filter_width, H_out, W_out), (sN, sC, sH, sW, stride * sH, stride * sW)
    )
    cols = windows.reshape(N, C * filter_height * filter_width, H_out * W_out)  # the copy happens here
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    N, C, H, W = x_shape
    Hp, Wp = H + 2 * pad, W + 2 * pad
    # the flat position in the padded input of every column entry: im2col of the positions
    positions = torch.arange(N * C * Hp * Wp, device=cols.device).reshape(N, C, Hp, Wp)
    sources = im2col(positions, filter_height, filter_width, stride, 0)  # same layout as cols
    dxp = cols.new_zeros(N * C * Hp * Wp)
    dxp.index_add_(0, sources.reshape(-1), cols.reshape(-1))
    dx = dxp.reshape(N, C, Hp, Wp)[:, :, pad : pad + H, pad : pad + W]
    ### END SOLUTION
    return dx


def conv_forward_fast(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict):
    """The convolution of `conv_forward_naive` as one matrix product over `im2col` columns.

    Same arguments and `out` as `conv_forward_naive`; no Python loops.
    Returns:
        out: (N, F, H_out, W_out); cache: (x, w, b, conv_param, cols).
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    cols = im2col(x, HH, WW, stride, pad)  # (N, C*HH*WW, H_out*W_out)
    out = torch.matmul(w.reshape(F, -1), cols) + b.reshape(F, 1)  # (N, F, H_out*W_out)
    out = out.reshape(N, F, H_out, W_out)
    ### END SOLUTION
    return out, (x, w, b, conv_param, cols)


def conv_backward_fast(dout: torch.Tensor, cache: tuple):
    """Gradients of `conv_forward_fast`: matrix products, then `col2im`. No Python loops.

    Returns:
        dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,).
    """
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    ### BEGIN SOLUTION
    F, _, HH, WW = w.shape
    N = x.shape[0]
    dout_flat = dout.reshape(N, F, -1)  # (N, F, H_out*W_out)
    db = dout_flat.sum(dim=(0, 2))  # (F,)
    dw = torch.matmul(dout_flat, cols.transpose(1, 2)).sum(dim=0).reshape(w.shape)  # (F, C, HH, WW)
    dcols = torch.matmul(w.reshape(F, -1).T, dout_flat)  # (N, C*HH*WW, H_out*W_out)
    dx = col2im(dcols, x.shape, HH, WW, stride, pad)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    windows = x.unfold(2, ph, stride).unfold(3, pw, stride)  # (N, C, H_out, W_out, ph, pw), a view
    out, argmax = windows.flatten(start_dim=4).max(dim=4)  # (N, C, H_out, W_out) each
    ### END SOLUTION
    return out, (x, pool_param, argmax)


def max_pool_backward_fast(dout: torch.Tensor, cache: tuple) -> torch.Tensor:
    """Gradient of `max_pool_forward_fast`, with no Python loop. Returns dx: (N, C, H, W)."""
    x, pool_param, argmax = cache
    pw, stride = pool_param["pool_width"], pool_param["stride"]
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    device = x.device
    rows = torch.arange(H_out, device=device).reshape(H_out, 1) * stride + argmax // pw  # (N, C, H_out, W_out)
    cols = torch.arange(W_out, device=device) * stride + argmax % pw  # (N, C, H_out, W_out)
    images = torch.arange(N * C, device=device).reshape(N, C, 1, 1)
    flat = (images * H + rows) * W + cols  # flat index of every maximum in x
    dx = x.new_zeros(N * C * H * W).index_add_(0, flat.reshape(-1), dout.reshape(-1))
    dx = dx.reshape(N, C, H, W)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    rows = x.permute(0, 2, 3, 1).reshape(-1, C)  # (N*H*W, C)
    out, cache = batchnorm.batchnorm_forward(rows, gamma, beta, bn_param)
    out = out.reshape(N, H, W, C).permute(0, 3, 1, 2)  # (N, C, H, W)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout: torch.Tensor, cache):
    """Gradients of `spatial_batchnorm_forward`: dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    ### BEGIN SOLUTION
    N, C, H, W = dout.shape
    rows = dout.permute(0, 2, 3, 1).reshape(-1, C)  # (N*H*W, C)
    dx, dgamma, dbeta = batchnorm.batchnorm_backward(rows, cache)
    dx = dx.reshape(N, H, W, C).permute(0, 3, 1, 2)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    groups = x.reshape(N, G, -1)  # (N, G, C//G * H * W)
    mean = groups.mean(dim=2, keepdim=True)  # (N, G, 1)
    inv_std = (groups.var(dim=2, unbiased=False, keepdim=True) + eps).rsqrt()  # (N, G, 1)
    x_hat = ((groups - mean) * inv_std).reshape(N, C, H, W)
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)
    cache = (x_hat, gamma, inv_std, G)
    ### END SOLUTION
    return out, cache


def spatial_groupnorm_backward(dout: torch.Tensor, cache):
    """Gradients of `spatial_groupnorm_forward`: dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    ### BEGIN SOLUTION
    x_hat, gamma, inv_std, G = cache
    N, C, H, W = dout.shape
    dbeta = dout.sum(dim=(0, 2, 3))
    dgamma = (dout * x_hat).sum(dim=(0, 2, 3))
    dx_hat = (dout * gamma.reshape(1, C, 1, 1)).reshape(N, G, -1)  # (N, G, M)
    x_hat = x_hat.reshape(N, G, -1)
    # the same closed form as batch norm's, with the mean taken over each group
    dx = inv_std * (dx_hat - dx_hat.mean(dim=2, keepdim=True) - x_hat * (dx_hat * x_hat).mean(dim=2, keepdim=True))
    dx = dx.reshape(N, C, H, W)
    ### END SOLUTION
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- sandwich layers


def conv_relu_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict):
    """`conv_forward_fast` then `layers.relu_forward`. Returns out (N, F, H_out, W_out), cache."""
    ### BEGIN SOLUTION
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = layers.relu_forward(a)
    ### END SOLUTION
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout: torch.Tensor, cache: tuple):
    """Backward of `conv_relu_forward`: (dx, dw, db)."""
    ### BEGIN SOLUTION
    conv_cache, relu_cache = cache
    return conv_backward_fast(layers.relu_backward(dout, relu_cache), conv_cache)
    ### END SOLUTION


def conv_relu_pool_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, conv_param: dict, pool_param: dict):
    """conv - ReLU - max pool, with the fast layers. Returns out and cache."""
    ### BEGIN SOLUTION
    a, conv_relu_cache = conv_relu_forward(x, w, b, conv_param)
    out, pool_cache = max_pool_forward_fast(a, pool_param)
    ### END SOLUTION
    return out, (conv_relu_cache, pool_cache)


def conv_relu_pool_backward(dout: torch.Tensor, cache: tuple):
    """Backward of `conv_relu_pool_forward`: (dx, dw, db)."""
    ### BEGIN SOLUTION
    conv_relu_cache, pool_cache = cache
    return conv_relu_backward(max_pool_backward_fast(dout, pool_cache), conv_relu_cache)
    ### END SOLUTION
