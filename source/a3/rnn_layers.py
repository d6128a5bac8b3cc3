"""Layers of a recurrent captioner, forward and backward by hand (assignment a3, notebook
rnn_captioning).

Every layer is a pair: `*_forward(...) -> (out, cache)` and `*_backward(dout, cache) -> grads`.
Shapes use N for the batch, T for time steps, D for the input size, H for the hidden size, V for
the vocabulary and W for the word-vector size. Everything follows the inputs' device and dtype;
nothing from `torch.nn` or autograd. Loops over time steps are the point of a recurrent network
and are allowed in `rnn_forward` and `rnn_backward`; no loop over the batch or the units anywhere.
"""

from __future__ import annotations

import torch


def word_embedding_forward(x: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, tuple]:
    """Look up a vector for every word.

    Args:
        x: int64 (N, T) word indices in [0, V).
        W: (V, W) one vector per word.
    Returns:
        out: (N, T, W), out[n, t] = W[x[n, t]].
        cache: what the backward pass needs.
    """
    ### BEGIN SOLUTION
    out = W[x]  # (N, T, W)
    cache = (x, W.shape)
    ### END SOLUTION
    return out, cache


def word_embedding_backward(dout: torch.Tensor, cache: tuple) -> torch.Tensor:
    """Gradient of the embedding matrix.

    Args:
        dout: (N, T, W) upstream gradient.
        cache: from `word_embedding_forward`.
    Returns:
        dW: (V, W). A word used several times collects the sum of its gradients; rows of words
            never used are 0.
    """
    ### BEGIN SOLUTION
    x, shape = cache
    dW = torch.zeros(shape, dtype=dout.dtype, device=dout.device)
    dW.index_add_(0, x.reshape(-1), dout.reshape(-1, shape[1]))
    ### END SOLUTION
    return dW


def rnn_step_forward(x, prev_h, Wx, Wh, b) -> tuple[torch.Tensor, tuple]:
    """One time step of a vanilla RNN: next_h = tanh(x @ Wx + prev_h @ Wh + b).

    Args:
        x: (N, D) inputs; prev_h: (N, H) previous hidden state;
        Wx: (D, H); Wh: (H, H); b: (H,).
    Returns:
        next_h: (N, H); cache: what the backward pass needs.
    """
    ### BEGIN SOLUTION
    next_h = torch.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    cache = (x, prev_h, Wx, Wh, next_h)
    ### END SOLUTION
    return next_h, cache


def rnn_step_backward(dnext_h: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, ...]:
    """Backward pass of one RNN step.

    Args:
        dnext_h: (N, H) gradient of the loss with respect to next_h.
        cache: from `rnn_step_forward`.
    Returns:
        dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    ### BEGIN SOLUTION
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h**2)  # (N, H): through tanh
    dx, dprev_h = da @ Wx.T, da @ Wh.T
    dWx, dWh, db = x.T @ da, prev_h.T @ da, da.sum(0)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b) -> tuple[torch.Tensor, tuple]:
    """A vanilla RNN over a whole sequence, one `rnn_step_forward` per time step.

    Args:
        x: (N, T, D) inputs; h0: (N, H) initial hidden state; Wx: (D, H); Wh: (H, H); b: (H,).
    Returns:
        h: (N, T, H) the hidden state after every step; cache: what the backward pass needs.
    """
    ### BEGIN SOLUTION
    states, caches = [], []
    prev_h = h0
    for t in range(x.shape[1]):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        states.append(prev_h)
        caches.append(step_cache)
    h = torch.stack(states, dim=1)  # (N, T, H)
    cache = caches
    ### END SOLUTION
    return h, cache


def rnn_backward(dh: torch.Tensor, cache) -> tuple[torch.Tensor, ...]:
    """Backward pass of `rnn_forward`: back through time, one `rnn_step_backward` per step.

    Args:
        dh: (N, T, H) upstream gradient of every hidden state (from the layers above only: the
            gradient each state also gets through the next step is yours to add).
        cache: from `rnn_forward`.
    Returns:
        dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    ### BEGIN SOLUTION
    T = dh.shape[1]
    dx_steps = [None] * T
    dprev_h = torch.zeros_like(dh[:, 0])
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dx, dh0 = torch.stack(dx_steps, dim=1), dprev_h
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


def temporal_affine_forward(x, w, b) -> tuple[torch.Tensor, tuple]:
    """The same affine layer at every time step: out[:, t] = x[:, t] @ w + b.

    Args:
        x: (N, T, D); w: (D, M); b: (M,).
    Returns:
        out: (N, T, M); cache: what the backward pass needs.
    """
    ### BEGIN SOLUTION
    out = x @ w + b  # (N, T, M)
    cache = (x, w)
    ### END SOLUTION
    return out, cache


def temporal_affine_backward(dout: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, ...]:
    """Backward pass of `temporal_affine_forward`: dx (N, T, D), dw (D, M), db (M,)."""
    ### BEGIN SOLUTION
    x, w = cache
    dx = dout @ w.T
    dw = x.reshape(-1, x.shape[-1]).T @ dout.reshape(-1, dout.shape[-1])
    db = dout.sum((0, 1))
    ### END SOLUTION
    return dx, dw, db


def temporal_softmax_loss(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax cross-entropy at every time step where `mask` is True, summed over time and
    averaged over the batch: loss = -sum_{n,t: mask} log softmax(x[n, t])[y[n, t]] / N.

    Args:
        x: (N, T, V) scores; y: int64 (N, T) targets in [0, V); mask: bool (N, T), False where
            the target is padding (`<NULL>`), whose scores must not count.
    Returns:
        loss: 0-d tensor; dx: (N, T, V) gradient of the loss with respect to x.
    Stable for scores of any size.
    """
    ### BEGIN SOLUTION
    N = x.shape[0]
    shifted = x - x.amax(-1, keepdim=True)  # (N, T, V)
    log_probs = shifted - shifted.exp().sum(-1, keepdim=True).log()
    picked = log_probs.gather(-1, y.unsqueeze(-1)).squeeze(-1)  # (N, T)
    weight = mask.to(x.dtype)
    loss = -(picked * weight).sum() / N
    dx = log_probs.exp()
    dx.scatter_add_(-1, y.unsqueeze(-1), -torch.ones_like(dx[..., :1]))
    dx = dx * weight.unsqueeze(-1) / N
    ### END SOLUTION
    return loss, dx
