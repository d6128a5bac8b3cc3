"""First-order update rules (assignment a2, notebook fully_connected_networks).

Every rule has the same interface:

    next_w, config = rule(w, dw, config=None)

    w:      tensor of parameters (any shape).
    dw:     gradient of the loss with respect to w, shaped like w.
    config: dict of hyper-parameters (learning rate, ...) and of the rule's state (velocity,
            moving averages, step count). When it is None, the rule makes a new dict with the
            defaults listed in its docstring; a missing key gets its default too (`setdefault`).
            State tensors are created on first use, shaped like w, on w's device and dtype.

`next_w` may be a new tensor or `w` updated in place. Each rule matches the corresponding
`torch.optim` optimiser (without weight decay) step for step; use plain tensor operations only.
"""

from __future__ import annotations

import torch


def sgd(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None):
    """Vanilla stochastic gradient descent: `w -= learning_rate * dw`.

    config: learning_rate (default 1e-2).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None):
    """SGD with momentum, in PyTorch's form:

        velocity = momentum * velocity + dw
        w = w - learning_rate * velocity

    config: learning_rate (1e-2), momentum (0.9), state 'velocity' (zeros like w at first).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    next_w = None
    # YOUR CODE HERE
    raise NotImplementedError('sgd_momentum: write your code here')
    return next_w, config


def rmsprop(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None):
    """RMSProp: divide the step by a running root mean square of the gradient.

        cache = decay_rate * cache + (1 - decay_rate) * dw ** 2
        w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    config: learning_rate (1e-2), decay_rate (0.99), epsilon (1e-8), state 'cache' (zeros like w).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    next_w = None
    # YOUR CODE HERE
    raise NotImplementedError('rmsprop: write your code here')
    return next_w, config


def adam(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None):
    """Adam: momentum on the gradient and RMSProp-style scaling, both bias-corrected.

        t = t + 1
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw ** 2
        m_hat = m / (1 - beta1 ** t);  v_hat = v / (1 - beta2 ** t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), state 'm', 'v'
    (zeros like w) and 't' (0 before the first step).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("t", 0)
    next_w = None
    # YOUR CODE HERE
    raise NotImplementedError('adam: write your code here')
    return next_w, config
