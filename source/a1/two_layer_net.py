"""A two-layer fully connected network with a hand-written backward pass (assignment a1,
notebook two_layer_net).

The network maps a flattened image `x` of D numbers to C class scores:

    hidden = max(0, x @ W1 + b1)        # (N, H), the ReLU of the first affine layer
    scores = hidden @ W2 + b2           # (N, C)

and is trained with the softmax (cross-entropy) loss averaged over the batch plus the L2 penalty
`reg * (sum(W1 ** 2) + sum(W2 ** 2))` (biases are not penalised). Every method works on whatever
device and floating dtype the parameters and inputs have; none moves data between devices.
"""

from __future__ import annotations

import torch


class TwoLayerNet:
    """affine - ReLU - affine, with a softmax loss.

    Args:
        input_dim: D, the length of one input row.
        hidden_dim: H, the number of hidden units.
        num_classes: C.
        weight_scale: standard deviation of the normal draws for W1 and W2; biases start at zero.
        device, dtype: where and in which floating type the parameters live.
        generator: a CPU `torch.Generator` for the initial weights (reproducible runs).

    Attributes:
        params: dict with 'W1' (D, H), 'b1' (H,), 'W2' (H, C), 'b2' (C,).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        num_classes: int,
        weight_scale: float = 1e-2,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        generator: torch.Generator | None = None,
    ):
        def normal(*shape: int) -> torch.Tensor:
            draw = torch.randn(*shape, generator=generator, dtype=dtype)  # on the CPU, like `generator`
            return (weight_scale * draw).to(device)

        self.params: dict[str, torch.Tensor] = {
            "W1": normal(input_dim, hidden_dim),  # (D, H)
            "b1": torch.zeros(hidden_dim, dtype=dtype, device=device),  # (H,)
            "W2": normal(hidden_dim, num_classes),  # (H, C)
            "b2": torch.zeros(num_classes, dtype=dtype, device=device),  # (C,)
        }

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, reg: float = 0.0):
        """Class scores, or the loss and its gradients.

        Args:
            x: (N, D) inputs, same dtype and device as the parameters.
            y: (N,) int64 labels in 0..C-1, or None.
            reg: L2 strength; the penalty is `reg * (sum(W1 ** 2) + sum(W2 ** 2))`.
        Returns:
            If `y` is None: scores, (N, C).
            Otherwise `(loss, grads)`: `loss` a 0-dim tensor, the mean softmax loss over the N
            rows plus the penalty; `grads` a dict with the same keys and shapes as `self.params`,
            `grads[k]` the derivative of `loss` with respect to `self.params[k]`.
        Write the backward pass by hand: no autograd, no `torch.nn`.
        """
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        num_rows = x.shape[0]

        # Forward pass: fill in `scores`, keeping what the backward pass needs.
        scores = None
        ### BEGIN SOLUTION
        pre = x @ W1 + b1  # (N, H)
        hidden = pre.clamp_min(0)  # (N, H)
        scores = hidden @ W2 + b2  # (N, C)
        ### END SOLUTION
        if y is None:
            return scores

        # Loss: the mean softmax loss plus the L2 penalty. Subtract each row's largest score
        # before exponentiating, so huge scores cannot overflow.
        loss = None
        ### BEGIN SOLUTION
        shifted = scores - scores.max(dim=1, keepdim=True).values  # (N, C)
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # (N, C)
        rows = torch.arange(num_rows, device=x.device)
        loss = -log_probs[rows, y].mean() + reg * ((W1 * W1).sum() + (W2 * W2).sum())
        ### END SOLUTION

        # Backward pass: the gradient of `loss` with respect to every parameter, by hand.
        grads: dict[str, torch.Tensor] = {}
        ### BEGIN SOLUTION
        dscores = log_probs.exp()  # (N, C), the softmax probabilities
        dscores[rows, y] -= 1
        dscores /= num_rows
        grads["W2"] = hidden.T @ dscores + 2 * reg * W2  # (H, C)
        grads["b2"] = dscores.sum(dim=0)  # (C,)
        dhidden = dscores @ W2.T  # (N, H)
        dpre = dhidden * (pre > 0)  # (N, H), the ReLU passes gradient only where it was open
        grads["W1"] = x.T @ dpre + 2 * reg * W1  # (D, H)
        grads["b1"] = dpre.sum(dim=0)  # (H,)
        ### END SOLUTION
        return loss, grads

    def train(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        x_val: torch.Tensor,
        y_val: torch.Tensor,
        *,
        learning_rate: float = 1e-3,
        learning_rate_decay: float = 0.95,
        reg: float = 1e-5,
        num_iters: int = 1000,
        batch_size: int = 200,
        verbose: bool = False,
        generator: torch.Generator | None = None,
    ) -> dict[str, list[float]]:
        """Minibatch stochastic gradient descent.

        Args:
            x, y: (N, D) training inputs and (N,) int64 labels.
            x_val, y_val: (M, D) validation inputs and (M,) labels.
            learning_rate: the step size of the first epoch.
            learning_rate_decay: the step size is multiplied by this at the end of every epoch.
            reg: L2 strength passed to `loss`.
            num_iters: number of SGD steps.
            batch_size: rows per step, drawn at random with replacement.
            verbose: print the loss every 100 steps.
            generator: a CPU `torch.Generator` for drawing the minibatches.
        Returns:
            A dict of Python-float lists: 'loss_history' (one per step), 'train_acc_history'
            and 'val_acc_history' (one per epoch: accuracy on that step's minibatch and on the
            whole validation set).
        An epoch is `iterations_per_epoch = max(N // batch_size, 1)` steps. Epochs end after
        steps iterations_per_epoch, 2 * iterations_per_epoch, ... (counting steps from 1); that
        is when the accuracies are recorded and the learning rate decays.
        """
        iterations_per_epoch = max(x.shape[0] // batch_size, 1)
        history: dict[str, list[float]] = {"loss_history": [], "train_acc_history": [], "val_acc_history": []}
        for it in range(num_iters):
            # Draw a minibatch, take one SGD step on every parameter, record the loss; at the end
            # of an epoch record both accuracies and decay the learning rate.
            ### BEGIN SOLUTION
            idx = torch.randint(x.shape[0], (batch_size,), generator=generator).to(x.device)  # (B,)
            x_batch, y_batch = x[idx], y[idx]  # (B, D), (B,)
            loss, grads = self.loss(x_batch, y=y_batch, reg=reg)
            for name, grad in grads.items():
                self.params[name] -= learning_rate * grad
            history["loss_history"].append(float(loss))
            if (it + 1) % iterations_per_epoch == 0:
                history["train_acc_history"].append((self.predict(x_batch) == y_batch).double().mean().item())
                history["val_acc_history"].append((self.predict(x_val) == y_val).double().mean().item())
                learning_rate *= learning_rate_decay
            ### END SOLUTION
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {history['loss_history'][-1]:.4f}")
        return history

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted labels, (N,) int64: the class with the highest score for each row of x (N, D)."""
        ### BEGIN SOLUTION
        return self.loss(x).argmax(dim=1)
        ### END SOLUTION
