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
    # YOUR CODE HERE
    raise NotImplementedError('word_embedding_forward: write your code here')
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
    # YOUR CODE HERE
    raise NotImplementedError('word_embedding_backward: write your code here')
    return dW


def rnn_step_forward(x, prev_h, Wx, Wh, b) -> tuple[torch.Tensor, tuple]:
    """One time step of a vanilla RNN: next_h = tanh(x @ Wx + prev_h @ Wh + b).

    Args:
        x: (N, D) inputs; prev_h: (N, H) previous hidden state;
        Wx: (D, H); Wh: (H, H); b: (H,).
    Returns:
        next_h: (N, H); cache: what the backward pass needs.
    """
    # YOUR CODE HERE
    raise NotImplementedError('rnn_step_forward: write your code here')
    return next_h, cache


def rnn_step_backward(dnext_h: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, ...]:
    """Backward pass of one RNN step.

    Args:
        dnext_h: (N, H) gradient of the loss with respect to next_h.
        cache: from `rnn_step_forward`.
    Returns:
        dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    # YOUR CODE HERE
    raise NotImplementedError('rnn_step_backward: write your code here')
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b) -> tuple[torch.Tensor, tuple]:
    """A vanilla RNN over a whole sequence, one `rnn_step_forward` per time step.

    Args:
        x: (N, T, D) inputs; h0: (N, H) initial hidden state; Wx: (D, H); Wh: (H, H); b: (H,).
    Returns:
        h: (N, T, H) the hidden state after every step; cache: what the backward pass needs.
    """
    # YOUR CODE HERE
    raise NotImplementedError('rnn_forward: write your code here')
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
    # YOUR CODE HERE
    raise NotImplementedError('rnn_backward: write your code here')
    return dx, dh0, dWx, dWh, db


def temporal_affine_forward(x, w, b) -> tuple[torch.Tensor, tuple]:
    """The same affine layer at every time step: out[:, t] = x[:, t] @ w + b.

    Args:
        x: (N, T, D); w: (D, M); b: (M,).
    Returns:
        out: (N, T, M); cache: what the backward pass needs.
    """
    # YOUR CODE HERE
    raise NotImplementedError('temporal_affine_forward: write your code here')
    return out, cache


def temporal_affine_backward(dout: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, ...]:
    """Backward pass of `temporal_affine_forward`: dx (N, T, D), dw (D, M), db (M,)."""
    # YOUR CODE HERE
    raise NotImplementedError('temporal_affine_backward: write your code here')
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
    # YOUR CODE HERE
    raise NotImplementedError('temporal_softmax_loss: write your code here')
    return loss, dx
