"""Inverted dropout, forward and backward by hand (assignment a2, notebook dropout).

`p` is the probability of ZEROING a unit (PyTorch's convention). In training, every unit is
kept with probability 1 - p and kept units are divided by 1 - p, so the expected output equals
the input; at test time the layer does nothing. Everything follows the input's device and
dtype; nothing from `torch.nn`.
"""

from __future__ import annotations

import torch


def dropout_forward(x: torch.Tensor, dropout_param: dict) -> tuple[torch.Tensor, tuple]:
    """Inverted dropout.

    Args:
        x: input of any shape, floating point.
        dropout_param: dict with
            "p": probability of zeroing each unit, 0 <= p < 1;
            "mode": "train" or "test";
            "seed" (optional): when given, draw the random numbers from a fresh
                `torch.Generator(device=x.device)` seeded with it, so the same seed gives the
                same mask; otherwise use PyTorch's global random state.
    Returns:
        out: like x. Train mode: each element zeroed with probability p, the others divided by
            1 - p. Test mode: x itself (unchanged values).
        cache: (dropout_param, mask), where mask (like x, x's dtype) is what `out` is x
            multiplied by in train mode (0 or 1 / (1 - p)); None in test mode.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
    mask = None
    if mode == "train":
        generator = None
        if dropout_param.get("seed") is not None:
            generator = torch.Generator(device=x.device).manual_seed(dropout_param["seed"])
        # YOUR CODE HERE
        raise NotImplementedError('dropout_forward: write your code here')
    elif mode == "test":
        # YOUR CODE HERE
        raise NotImplementedError('dropout_forward: write your code here')
    else:
        raise ValueError(f'dropout mode must be "train" or "test", got {mode!r}')
    return out, (dropout_param, mask)


def dropout_backward(dout: torch.Tensor, cache: tuple) -> torch.Tensor:
    """Backward pass of inverted dropout: reuse the forward pass's mask.

    Args:
        dout: upstream gradient, shaped like the forward input.
        cache: (dropout_param, mask) from `dropout_forward`.
    Returns:
        dx: like dout. Train mode: dout times the same mask; test mode: dout.
    """
    dropout_param, mask = cache
    # YOUR CODE HERE
    raise NotImplementedError('dropout_backward: write your code here')
