"""Training tools written with PyTorch (assignment a2, notebook pytorch).

Learning-rate schedules as plain functions of the optimiser step, early stopping on a validation
curve, one epoch of training and an evaluation pass. Provided (already written for you): data
loaders, random crop-and-flip augmentation, and `fit`, which strings your pieces together.

A "loader" is any iterable of `(x, y)` batches: a `torch.utils.data.DataLoader`, or a plain list
of pairs. Batches may live on another device than the model; move them with `.to(device)`.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]

# ---------------------------------------------------------------------------- learning-rate schedules


def step_decay_lr(step: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """Learning rate at `step` (0, 1, 2, ...) when it is multiplied by `gamma` every `step_size`
    steps: base_lr for steps 0..step_size-1, base_lr * gamma for the next step_size steps, ...
    (the values of `torch.optim.lr_scheduler.StepLR`)."""
    # YOUR CODE HERE
    raise NotImplementedError('step_decay_lr: write your code here')


def cosine_lr(step: int, base_lr: float, total_steps: int, min_lr: float = 0.0) -> float:
    """Cosine annealing from `base_lr` at step 0 down to `min_lr` at step `total_steps`:
    half a cosine wave (the values of `CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)` for
    0 <= step <= total_steps)."""
    # YOUR CODE HERE
    raise NotImplementedError('cosine_lr: write your code here')


def one_cycle_lr(
    step: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
) -> float:
    """The one-cycle schedule of `torch.optim.lr_scheduler.OneCycleLR` (two phases).

    Warm-up: from `initial = max_lr / div_factor` at step 0 up to `max_lr` at step
    `warmup_end = pct_start * total_steps - 1` (a float). Cool-down: from `max_lr` at
    `warmup_end` down to `initial / final_div_factor` at step `total_steps - 1`. Inside a phase
    running from `start` (at step s0) to `end` (at step s1), with `t = (step - s0) / (s1 - s0)`:
    anneal "cos" gives `end + (start - end) * (1 + cos(pi * t)) / 2`, "linear" gives
    `start + (end - start) * t`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('one_cycle_lr: write your code here')


def as_scheduler(optimizer: torch.optim.Optimizer, lr_at: Callable[[int], float]) -> torch.optim.lr_scheduler.LambdaLR:
    """A PyTorch scheduler that sets every parameter group's learning rate to `lr_at(step)`;
    call its `.step()` after every optimiser step. (Provided.)"""
    base = optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"])
    for group in optimizer.param_groups:
        group["lr"] = base  # LambdaLR scales the learning rate the groups hold now
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_at(step) / base)


# ---------------------------------------------------------------------------- early stopping


class EarlyStopping:
    """Decide, one epoch at a time, when a validation metric has stopped improving.

    Args:
        patience: stop once this many epochs in a row brought no improvement.
        min_delta: an improvement must beat the best value so far by MORE than this. Exactly:
            an epoch improves when `value > best_value + min_delta` (mode "max") or
            `value < best_value - min_delta` (mode "min"), so a value exactly `min_delta`
            better is not an improvement. (The checks use values such as 0.5 and 0.625 that
            floating point holds exactly, so `value - best_value > min_delta` passes them too.)
        mode: "max" for a metric to maximise (accuracy), "min" for one to minimise (loss).

    Call `step(value)` once per epoch, epochs numbered 0, 1, 2, ... in call order. The first
    value is always an improvement. Attributes: `best_value` (None before the first call),
    `best_epoch` (-1 before), `num_bad_epochs` (epochs in a row without improvement).
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "max"):
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best_value: float | None = None
        self.best_epoch = -1
        self.num_bad_epochs = 0
        self.epoch = -1

    def step(self, value: float) -> bool:
        """Record the metric of the next epoch; True when training should stop now."""
        self.epoch += 1
        # YOUR CODE HERE
        raise NotImplementedError('step: write your code here')


# ---------------------------------------------------------------------------- one epoch


def train_epoch(
    model: nn.Module,
    loader: Batches,
    optimizer: torch.optim.Optimizer,
    device: torch.device | str,
    *,
    scheduler=None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[float, float]:
    """One pass over `loader`, one optimiser step per batch.

    Put the model in training mode. For each batch (x, y): move both to `device`; apply
    `augment(x)` when given; compute the mean cross-entropy of `model(x)`; clear the old
    gradients, backpropagate, step the optimiser, then `scheduler.step()` when given.

    Returns:
        (mean loss, accuracy) over all training examples seen, as Python floats, both measured on
        the outputs of the forward passes made for the updates (a batch of 3 weighs 3 / N).
    """
    # YOUR CODE HERE
    raise NotImplementedError('train_epoch: write your code here')


def evaluate(model: nn.Module, loader: Batches, device: torch.device | str) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `model` over `loader`, as Python floats.

    Put the model in evaluation mode (batch norm uses its running statistics, dropout is off),
    and run without building an autograd graph (`torch.no_grad()`); the model must not change.
    """
    # YOUR CODE HERE
    raise NotImplementedError('evaluate: write your code here')


# ---------------------------------------------------------------------------- provided helpers


def make_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int, *, shuffle: bool = False, seed: int = 0) -> torch.utils.data.DataLoader:
    """A DataLoader of (x, y) batches from two tensors; `seed` fixes the shuffling order."""
    dataset = torch.utils.data.TensorDataset(x, y)
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def random_crop_flip(x: torch.Tensor, pad: int = 2, flip: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Augment a batch: shift every image by up to `pad` pixels in each direction (zero padding,
    then a random crop of the original size) and, when `flip`, mirror half of them left-right.

    x: (N, C, H, W) -> (N, C, H, W), same device and dtype. `generator` is a CPU generator.
    """
    n, c, h, w = x.shape
    shift = torch.randint(0, 2 * pad + 1, (2, n), generator=generator).to(x.device)  # (2, N)
    rows = shift[0, :, None] + torch.arange(h, device=x.device)  # (N, H)
    cols = shift[1, :, None] + torch.arange(w, device=x.device)  # (N, W)
    if flip:
        mirror = (torch.rand(n, generator=generator) < 0.5).to(x.device)  # (N,)
        cols = torch.where(mirror[:, None], cols.flip(1), cols)
    padded = F.pad(x, (pad, pad, pad, pad))  # (N, C, H + 2 pad, W + 2 pad)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]  # (N, C, H, W)


def fit(
    model: nn.Module,
    train_loader: Batches,
    val_loader: Batches,
    optimizer: torch.optim.Optimizer,
    device: torch.device | str,
    num_epochs: int,
    *,
    scheduler=None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    early_stopping: EarlyStopping | None = None,
    verbose: bool = True,
) -> dict[str, list[float]]:
    """Train for up to `num_epochs` epochs with `train_epoch`, measuring `evaluate` on
    `val_loader` after each. With `early_stopping` (on validation accuracy), stop when it says so
    and give the model back the weights of its best epoch. (Provided.)

    Returns a history dict of per-epoch lists: train_loss, train_acc, val_loss, val_acc, seconds.
    """
    history: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")}
    best_state = None
    for epoch in range(num_epochs):
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, train_loader, optimizer, device, scheduler=scheduler, augment=augment)
        val_loss, val_acc = evaluate(model, val_loader, device)
        for key, value in zip(history, (train_loss, train_acc, val_loss, val_acc, time.perf_counter() - start)):
            history[key].append(value)
        if verbose:
            print(f"epoch {epoch + 1:3d}: train loss {train_loss:.3f} acc {train_acc:.1%} | "
                  f"val loss {val_loss:.3f} acc {val_acc:.1%} | {history['seconds'][-1]:.1f} s")
        if early_stopping is not None:
            stop = early_stopping.step(val_acc)
            if early_stopping.best_epoch == epoch:
                best_state = copy.deepcopy(model.state_dict())
            if stop:
                if verbose:
                    print(f"early stop: best epoch {early_stopping.best_epoch + 1}")
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
