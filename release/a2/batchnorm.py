"""Batch normalisation and layer normalisation, forward and backward by hand (assignment a2,
notebook batch_normalization).

Every layer is a pair: `*_forward(...) -> (out, cache)` and `*_backward(dout, cache) -> grads`.
Inputs are (N, D) tensors: N examples in a minibatch, D features. `gamma` and `beta` are the
learned scale and shift, both (D,). Everything follows the input's device and dtype; no
autograd and nothing from `torch.nn` (you write every gradient yourself).
"""

from __future__ import annotations

import torch


def batchnorm_forward(
    x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, bn_param: dict
) -> tuple[torch.Tensor, tuple | None]:
    """Batch normalisation of each feature over the minibatch.

    Train mode: normalise every column of `x` with the mean and the (biased) variance of this
    batch, then scale by `gamma` and shift by `beta`; update the running statistics
        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * unbiased_batch_var
    (PyTorch's convention: the running variance uses the unbiased N - 1 estimate).
    Test mode: normalise with the running statistics instead; nothing is updated.

    Args:
        x: (N, D) input, N >= 2 in train mode.
        gamma, beta: (D,) scale and shift.
        bn_param: dict with "mode" ("train" or "test", required) and optional "eps" (1e-5),
            "momentum" (0.1), "running_mean" and "running_var" ((D,) tensors, created as zeros
            and ones on x's device and dtype the first time). Updated in place (the dict).
    Returns:
        out: (N, D), same dtype and device as x.
        cache: what `batchnorm_backward` needs (train mode); None in test mode.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.1)
    num_rows, dim = x.shape
    running_mean = bn_param.get("running_mean")
    running_var = bn_param.get("running_var")
    if running_mean is None:
        running_mean = torch.zeros(dim, dtype=x.dtype, device=x.device)
    if running_var is None:
        running_var = torch.ones(dim, dtype=x.dtype, device=x.device)

    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError('batchnorm_forward: write your code here')
    elif mode == "test":
        # YOUR CODE HERE
        raise NotImplementedError('batchnorm_forward: write your code here')
    else:
        raise ValueError(f'batchnorm mode must be "train" or "test", got {mode!r}')

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backward pass of train-mode batch normalisation, one node of the graph at a time.

    Walk the forward computation backwards (out <- x_hat <- centred, inv_std <- std <- var <-
    centred <- mean <- x), applying the chain rule at each node and adding up the gradients of
    a value used twice. Do not use the simplified formula here.

    Args:
        dout: (N, D) upstream gradient.
        cache: from `batchnorm_forward` in train mode.
    Returns:
        dx: (N, D); dgamma: (D,); dbeta: (D,).
    """
    # YOUR CODE HERE
    raise NotImplementedError('batchnorm_backward: write your code here')
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same gradients as `batchnorm_backward`, from the simplified closed form for dx.

    Work out on paper how dx depends on dx_hat = dout * gamma, x_hat and 1 / std, and compute it
    in a few whole-tensor operations (no per-node intermediate gradients).
    Shapes as in `batchnorm_backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('batchnorm_backward_alt: write your code here')
    return dx, dgamma, dbeta


def layernorm_forward(
    x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, ln_param: dict
) -> tuple[torch.Tensor, tuple]:
    """Layer normalisation: normalise each ROW of `x` over its D features, then scale and shift.

    No running statistics and no train/test difference: every example is normalised on its own.

    Args:
        x: (N, D) input.
        gamma, beta: (D,) scale and shift (per feature, as in batch norm).
        ln_param: dict with optional "eps" (1e-5).
    Returns:
        out: (N, D); cache: what `layernorm_backward` needs.
    """
    eps = ln_param.get("eps", 1e-5)
    # YOUR CODE HERE
    raise NotImplementedError('layernorm_forward: write your code here')
    return out, cache


def layernorm_backward(dout: torch.Tensor, cache: tuple) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backward pass of layer normalisation.

    Args:
        dout: (N, D) upstream gradient; cache: from `layernorm_forward`.
    Returns:
        dx: (N, D); dgamma: (D,); dbeta: (D,).
    """
    # YOUR CODE HERE
    raise NotImplementedError('layernorm_backward: write your code here')
    return dx, dgamma, dbeta
