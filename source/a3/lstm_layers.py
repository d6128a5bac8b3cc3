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
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = torch.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = torch.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    ### END SOLUTION
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache) -> tuple[torch.Tensor, ...]:
    """Backward pass of one LSTM step.

    Args:
        dnext_h, dnext_c: (N, H) gradients of the loss with respect to next_h and next_c.
        cache: from `lstm_step_forward`.
    Returns:
        dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    ### BEGIN SOLUTION
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)  # next_c reaches the loss directly and through next_h
    di, df, do, dg = dc * g, dc * prev_c, dnext_h * tanh_c, dc * i
    da = torch.cat([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2)], dim=1)  # (N, 4H)
    dx, dprev_h, dprev_c = da @ Wx.T, da @ Wh.T, dc * f
    dWx, dWh, db = x.T @ da, prev_h.T @ da, da.sum(0)
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b) -> tuple[torch.Tensor, list]:
    """An LSTM over a sequence, starting from hidden state h0 and a zero cell state.

    Args:
        x: (N, T, D); h0: (N, H); Wx: (D, 4H); Wh: (H, 4H); b: (4H,).
    Returns:
        h: (N, T, H) the hidden state after every step; cache.
    """
    ### BEGIN SOLUTION
    prev_h, prev_c = h0, torch.zeros_like(h0)
    states, cache = [], []
    for t in range(x.shape[1]):
        prev_h, prev_c, step = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        states.append(prev_h)
        cache.append(step)
    h = torch.stack(states, dim=1)
    ### END SOLUTION
    return h, cache


def lstm_backward(dh, cache) -> tuple[torch.Tensor, ...]:
    """Backward pass of `lstm_forward` through time.

    Args:
        dh: (N, T, H) upstream gradients of the hidden states (from the layers above only).
        cache: from `lstm_forward`.
    Returns:
        dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    ### BEGIN SOLUTION
    T = dh.shape[1]
    dprev_h, dprev_c = torch.zeros_like(dh[:, 0]), torch.zeros_like(dh[:, 0])
    dxs = [None] * T
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dxs[t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dx, dh0 = torch.stack(dxs, dim=1), dprev_h
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    N, H, S, _ = grid.shape
    cells = grid.flatten(2)  # (N, H, S*S)
    scores = (query.unsqueeze(1) @ cells).squeeze(1) / H**0.5  # (N, S*S)
    scores = scores - scores.amax(1, keepdim=True)
    weights = scores.exp() / scores.exp().sum(1, keepdim=True)
    context = (cells @ weights.unsqueeze(2)).squeeze(2)  # (N, H)
    weights = weights.view(N, S, S)
    ### END SOLUTION
    return context, weights
