"""Long short-term memory (LSTM), forward and backward by hand, and attention over a grid of
image features (assignment a3, notebook lstm_captioning).

Shapes: N batch, T time steps, D input size, H hidden size. The four gates are stacked in the
order input, forget, output, candidate: `Wx` is (D, 4H), `Wh` is (H, 4H), `b` is (4H,), and
`a[:, :H]` is the input gate's pre-activation, `a[:, H:2H]` the forget gate's, `a[:, 2H:3H]`
the output gate's and `a[:, 3H:]` the candidate's. (PyTorch's `nn.LSTM` stacks them as input,
forget, candidate, output.) Everything follows the inputs' device and dtype; nothing from
`torch.nn` and no autograd in the backward passes. Loops over time steps are allowed in
`lstm_forward` and `lstm_backward`; no loop over the batch or the units anywhere.
"""

from __future__ import annotations

import torch


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Given: a logistic sigmoid that never overflows, for any shape."""
    positive = x >= 0
    z = torch.exp(torch.where(positive, -x, x))  # exp of minus |x|: in (0, 1]
    return torch.where(positive, 1 / (1 + z), z / (1 + z))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """One LSTM step.

    a = x @ Wx + prev_h @ Wh + b, split into four (N, H) blocks; i, f, o = sigmoid of the first
    three, g = tanh of the fourth; next_c = f * prev_c + i * g; next_h = o * tanh(next_c).

    Args:
        x: (N, D); prev_h, prev_c: (N, H); Wx: (D, 4H); Wh: (H, 4H); b: (4H,).
    Returns:
        next_h (N, H), next_c (N, H), cache.
    """
    # YOUR CODE HERE
    raise NotImplementedError('lstm_step_forward: write your code here')
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache) -> tuple[torch.Tensor, ...]:
    """Backward pass of one LSTM step.

    Args:
        dnext_h, dnext_c: (N, H) gradients of the loss with respect to next_h and next_c.
        cache: from `lstm_step_forward`.
    Returns:
        dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    # YOUR CODE HERE
    raise NotImplementedError('lstm_step_backward: write your code here')
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b) -> tuple[torch.Tensor, list]:
    """An LSTM over a sequence, starting from hidden state h0 and a zero cell state.

    Args:
        x: (N, T, D); h0: (N, H); Wx: (D, 4H); Wh: (H, 4H); b: (4H,).
    Returns:
        h: (N, T, H) the hidden state after every step; cache.
    """
    # YOUR CODE HERE
    raise NotImplementedError('lstm_forward: write your code here')
    return h, cache


def lstm_backward(dh, cache) -> tuple[torch.Tensor, ...]:
    """Backward pass of `lstm_forward` through time.

    Args:
        dh: (N, T, H) upstream gradients of the hidden states (from the layers above only).
        cache: from `lstm_forward`.
    Returns:
        dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    # YOUR CODE HERE
    raise NotImplementedError('lstm_backward: write your code here')
    return dx, dh0, dWx, dWh, db


def grid_attention(query: torch.Tensor, grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention of one query per image over its grid of feature vectors.

    Args:
        query: (N, H) e.g. the LSTM's previous hidden state.
        grid: (N, H, S, S) projected image features, one H-vector per cell.
    Returns:
        context: (N, H) the cells' vectors averaged with the attention weights;
        weights: (N, S, S) softmax over the S*S cells of (cell vector . query) / sqrt(H).
    Differentiable with autograd (plain tensor operations); no loops; no `torch.nn`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('grid_attention: write your code here')
    return context, weights
