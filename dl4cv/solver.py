"""A minibatch training loop for the from-scratch models of a2 (and any model with the same
protocol).

The model protocol:

    model.params            dict name -> tensor (the learnable parameters)
    model.loss(X)           -> scores, (N, C), in test mode
    model.loss(X, y)        -> (loss, grads), in training mode; grads has the keys of params

The update rule is a callable `rule(w, dw, config) -> (next_w, config)` (the student's own
`optim.sgd`, `optim.adam`, ...); the Solver keeps one config dict per parameter, so each
parameter has its own optimiser state. This module holds no solution: it only drives the loop.

    solver = Solver(model, data, update_rule=optim.adam, optim_config={"learning_rate": 1e-3},
                    num_epochs=5, batch_size=100)
    solver.train()
    solver.plot()
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

__all__ = ["Solver"]

UpdateRule = Callable[[torch.Tensor, torch.Tensor, dict], tuple[torch.Tensor, dict]]


class Solver:
    """Train `model` on `data` with minibatch gradient steps.

    Args:
        model: follows the model protocol above.
        data: dict with 'X_train' (N_train, ...), 'y_train' (N_train,) int64, 'X_val', 'y_val';
            tensors on the model's device.
        update_rule: callable update rule (e.g. `optim.sgd_momentum`); never a string.
        optim_config: hyper-parameters passed to every parameter's first update (copied per
            parameter).
        lr_decay: after every epoch, each parameter's learning rate is multiplied by this.
        batch_size: examples per step.
        num_epochs: passes over the training set (each of N_train // batch_size steps).
        num_train_samples: training examples used to measure training accuracy after each
            epoch (None: all of them).
        num_val_samples: validation examples used for validation accuracy (None: all).
        print_every: print the loss every this many steps (None: never).
        progress: show a tqdm progress bar per epoch.
        seed: seed of the CPU generator that draws minibatches and accuracy subsets.

    Attributes after `train()`:
        loss_history: the loss of every step (floats).
        train_acc_history, val_acc_history: accuracies after every epoch (floats in [0, 1]).
        best_val_acc, best_params: the best validation accuracy and a copy of the parameters that
            reached it; the model holds `best_params` when training ends.
    """

    def __init__(
        self,
        model: Any,
        data: dict[str, torch.Tensor],
        *,
        update_rule: UpdateRule,
        optim_config: dict | None = None,
        lr_decay: float = 1.0,
        batch_size: int = 100,
        num_epochs: int = 10,
        num_train_samples: int | None = 1000,
        num_val_samples: int | None = None,
        print_every: int | None = None,
        progress: bool = True,
        seed: int = 0,
    ):
        if not callable(update_rule):
            raise TypeError("update_rule must be a function such as optim.sgd, not " + repr(update_rule))
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule = update_rule
        self.optim_config = dict(optim_config or {})
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.print_every = print_every
        self.progress = progress
        self.generator = torch.Generator().manual_seed(seed)
        self._reset()

    def _reset(self) -> None:
        """Fresh histories and one optimiser config per parameter."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params: dict[str, torch.Tensor] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.optim_configs = {name: copy.deepcopy(self.optim_config) for name in self.model.params}

    def step(self) -> float:
        """One gradient step on a random minibatch; returns (and records) its loss."""
        num_train = self.X_train.shape[0]
        index = torch.randint(num_train, (self.batch_size,), generator=self.generator)
        index = index.to(self.X_train.device)
        loss, grads = self.model.loss(self.X_train[index], self.y_train[index])
        for name, w in self.model.params.items():
            next_w, config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = config
        value = float(loss)
        self.loss_history.append(value)
        return value

    @torch.no_grad()
    def check_accuracy(
        self, X: torch.Tensor, y: torch.Tensor, num_samples: int | None = None, batch_size: int = 100
    ) -> float:
        """Fraction of `X` (or of a random subset of `num_samples` rows) the model labels as `y`."""
        if num_samples is not None and X.shape[0] > num_samples:
            index = torch.randperm(X.shape[0], generator=self.generator)[:num_samples].to(X.device)
            X, y = X[index], y[index]
        correct = 0
        for start in range(0, X.shape[0], batch_size):
            scores = self.model.loss(X[start : start + batch_size])  # (B, C)
            correct += int((scores.argmax(dim=1) == y[start : start + batch_size]).sum())
        return correct / max(X.shape[0], 1)

    def _end_epoch(self) -> tuple[float, float]:
        self.epoch += 1
        for config in self.optim_configs.values():
            if "learning_rate" in config:
                config["learning_rate"] *= self.lr_decay
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {name: w.detach().clone() for name, w in self.model.params.items()}
        return train_acc, val_acc

    def train(self) -> None:
        """Run `num_epochs` epochs, then load the best parameters into the model."""
        steps_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        for _ in range(self.num_epochs):
            bar = tqdm(
                range(steps_per_epoch),
                desc=f"epoch {self.epoch + 1}/{self.num_epochs}",
                disable=not self.progress,
                leave=True,
            )
            for _ in bar:
                loss = self.step()
                step = len(self.loss_history)
                if self.print_every and step % self.print_every == 0:
                    tqdm.write(f"step {step}: loss {loss:.4f}")
                if step % 10 == 0:
                    bar.set_postfix(loss=f"{loss:.3f}")
            train_acc, val_acc = self._end_epoch()
            bar.set_postfix(loss=f"{self.loss_history[-1]:.3f}", train=f"{train_acc:.3f}", val=f"{val_acc:.3f}")
            bar.close()
        self.model.params.update({name: w.clone() for name, w in self.best_params.items()})

    def plot(self, title: str = "") -> plt.Figure:
        """Training loss per step (left) and train/validation accuracy per epoch (right)."""
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.5))
        ax_loss.plot(self.loss_history, lw=0.7)
        ax_loss.set(xlabel="step", ylabel="training loss", title=title or "loss")
        epochs = range(1, len(self.train_acc_history) + 1)
        ax_acc.plot(epochs, self.train_acc_history, "o-", label="train")
        ax_acc.plot(epochs, self.val_acc_history, "o-", label="validation")
        ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        ax_acc.legend()
        fig.tight_layout()
        return fig
