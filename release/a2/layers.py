"""Layers as forward/backward pairs, the softmax loss and a gradient checker (assignment a2,
notebook fully_connected_networks).

Every layer is a pair of functions:

    out, cache = <layer>_forward(inputs...)      # keep in `cache` what the backward pass needs
    grads = <layer>_backward(dout, cache)         # dout: d(loss)/d(out), shaped like `out`

and every backward returns the gradients of the loss with respect to the forward's inputs, each
shaped like that input. Everything follows the device and floating dtype of its inputs. Write it
with plain tensor operations: no autograd, no `torch.nn`, no `torch.nn.functional`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def linear_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor):
    """A fully connected (affine) layer: `out = x_flat @ w + b`.

    Args:
        x: (N, d_1, ..., d_k) inputs; each example is flattened to D = d_1 * ... * d_k numbers.
        w: (D, M) weights.
        b: (M,) biases.
    Returns:
        out: (N, M).
        cache: whatever `linear_backward` needs (here: x, w, b).
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError('linear_forward: write your code here')
    cache = (x, w, b)
    return out, cache


def linear_backward(dout: torch.Tensor, cache):
    """Backward pass of `linear_forward`.

    Args:
        dout: (N, M) upstream gradient.
        cache: from `linear_forward`.
    Returns:
        dx: shaped like x, (N, d_1, ..., d_k).
        dw: (D, M).
        db: (M,).
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError('linear_backward: write your code here')
    return dx, dw, db


def relu_forward(x: torch.Tensor):
    """Rectified linear unit, elementwise: `out = max(0, x)`.

    Args:
        x: tensor of any shape.
    Returns:
        out: shaped like x.
        cache: x.
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError('relu_forward: write your code here')
    cache = x
    return out, cache


def relu_backward(dout: torch.Tensor, cache) -> torch.Tensor:
    """Backward pass of `relu_forward`: the gradient passes where x > 0 and is 0 elsewhere.

    Args:
        dout: upstream gradient, shaped like x.
        cache: x, from `relu_forward`.
    Returns:
        dx: shaped like x.
    """
    x = cache
    dx = None
    # YOUR CODE HERE
    raise NotImplementedError('relu_backward: write your code here')
    return dx


def linear_relu_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor):
    """A linear layer followed by a ReLU (a "sandwich" layer).

    Shapes as in `linear_forward`; out is (N, M). Build it from the two layers above and keep
    both of their caches.
    """
    out, cache = None, None
    # YOUR CODE HERE
    raise NotImplementedError('linear_relu_forward: write your code here')
    return out, cache


def linear_relu_backward(dout: torch.Tensor, cache):
    """Backward pass of `linear_relu_forward`; returns (dx, dw, db) as `linear_backward` does."""
    dx, dw, db = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError('linear_relu_backward: write your code here')
    return dx, dw, db


def softmax_loss(scores: torch.Tensor, y: torch.Tensor):
    """Mean softmax (cross-entropy) loss over a batch, and its gradient.

    Args:
        scores: (N, C) class scores.
        y: (N,) int64 labels in 0..C-1.
    Returns:
        loss: 0-dim tensor, `mean_i -log softmax(scores[i])[y[i]]`.
        dscores: (N, C), d(loss)/d(scores).
    Stay finite for huge scores: subtract each row's largest score before exponentiating.
    """
    loss, dscores = None, None
    # YOUR CODE HERE
    raise NotImplementedError('softmax_loss: write your code here')
    return loss, dscores


def numerical_gradient(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    dout: torch.Tensor | None = None,
    h: float = 1e-6,
) -> torch.Tensor:
    """Your own gradient checker: the centred-difference gradient of `sum(f(x) * dout)`.

    For every element x[i], nudge it to x[i] + h and to x[i] - h, evaluate f at both points and
    take `sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2 h)`. With `dout=None`, f must return a
    scalar (0-dim tensor) and dout counts as 1.

    Change x IN PLACE while you probe: f may ignore its argument and read x some other way
    (for example `lambda _: net.loss(X, y)[0]` reads a parameter tensor x through the network).

    Args:
        f: function of x returning a tensor (any shape, the same for every x).
        x: contiguous floating tensor of any shape (use float64); leave it exactly as it was
            when you return (put back the saved value, do not add and subtract h).
        dout: upstream gradient shaped like f(x), or None.
        h: step size.
    Returns:
        grad: shaped like x, same dtype and device.
    A Python loop over the elements of x is expected here.
    """
    grad = torch.zeros_like(x)
    # YOUR CODE HERE
    raise NotImplementedError('numerical_gradient: write your code here')
    return grad
