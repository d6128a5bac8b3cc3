"""dl4cv.solver.Solver with a tiny fake model (a linear softmax classifier written here) and a
plain SGD rule written here: the Solver must never depend on a student module."""

from __future__ import annotations

import matplotlib
import pytest
import torch

from dl4cv.solver import Solver

matplotlib.use("Agg")


class LinearSoftmax:
    """scores = X @ W + b, mean cross-entropy; gradients by hand (autograd-free)."""

    def __init__(self, dim: int, classes: int, device="cpu"):
        self.params = {
            "W": torch.zeros(dim, classes, dtype=torch.float64, device=device),
            "b": torch.zeros(classes, dtype=torch.float64, device=device),
        }
        self.calls = 0

    def loss(self, X, y=None):
        scores = X @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        self.calls += 1
        probs = scores.softmax(dim=1)
        rows = torch.arange(len(y), device=X.device)
        loss = -probs[rows, y].log().mean()
        dscores = probs.clone()
        dscores[rows, y] -= 1
        dscores /= len(y)
        return loss, {"W": X.T @ dscores, "b": dscores.sum(dim=0)}


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config["steps"] = config.get("steps", 0) + 1
    return w - config["learning_rate"] * dw, config


def blobs(n: int, device="cpu", seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    y = torch.randint(3, (n,), generator=gen)
    X = centres[y] + 0.5 * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    return X.to(device), y.to(device)


def make_data(device="cpu"):
    X, y = blobs(300, device)
    X_val, y_val = blobs(100, device, seed=1)
    return {"X_train": X, "y_train": y, "X_val": X_val, "y_val": y_val}


def test_trains_and_records_histories(device):
    model = LinearSoftmax(2, 3, device)
    solver = Solver(model, make_data(device), update_rule=sgd, optim_config={"learning_rate": 0.5},
                    batch_size=50, num_epochs=4, progress=False)
    solver.train()
    assert len(solver.loss_history) == 4 * (300 // 50) == model.calls
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 4
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert solver.best_val_acc == max(solver.val_acc_history) > 0.95
    assert all(v.device.type == device.type for v in model.params.values())


def test_one_config_per_parameter_with_lr_decay():
    model = LinearSoftmax(2, 3)
    solver = Solver(model, make_data(), update_rule=sgd, optim_config={"learning_rate": 0.1},
                    lr_decay=0.5, batch_size=100, num_epochs=3, progress=False)
    solver.train()
    assert set(solver.optim_configs) == {"W", "b"}
    assert solver.optim_configs["W"] is not solver.optim_configs["b"]
    assert solver.optim_configs["W"]["steps"] == 9
    assert solver.optim_configs["b"]["learning_rate"] == pytest.approx(0.1 * 0.5**3)
    assert solver.optim_config == {"learning_rate": 0.1}  # the template is not changed


def test_step_updates_params_with_the_rule():
    model = LinearSoftmax(2, 3)
    data = make_data()
    solver = Solver(model, data, update_rule=sgd, optim_config={"learning_rate": 1.0}, batch_size=300, progress=False)
    before = {k: v.clone() for k, v in model.params.items()}
    loss = solver.step()
    assert loss == pytest.approx(torch.log(torch.tensor(3.0)).item())  # all-zero model
    assert any(not torch.equal(before[k], model.params[k]) for k in before)


def test_check_accuracy_and_subsampling():
    model = LinearSoftmax(2, 3)
    model.params["W"] = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    data = make_data()
    solver = Solver(model, data, update_rule=sgd, progress=False)
    full = solver.check_accuracy(data["X_train"], data["y_train"], batch_size=7)
    expected = (model.loss(data["X_train"]).argmax(1) == data["y_train"]).double().mean().item()
    assert full == pytest.approx(expected)
    assert 0 <= solver.check_accuracy(data["X_train"], data["y_train"], num_samples=10) <= 1


def test_best_params_are_restored():
    model = LinearSoftmax(2, 3)
    solver = Solver(model, make_data(), update_rule=sgd, optim_config={"learning_rate": 0.5},
                    batch_size=50, num_epochs=3, progress=False)
    solver.train()
    for k, v in solver.best_params.items():
        assert torch.equal(model.params[k], v)


def test_update_rule_must_be_callable():
    with pytest.raises(TypeError, match="update_rule"):
        Solver(LinearSoftmax(2, 3), make_data(), update_rule="sgd")


def test_plot_and_progress(capsys):
    model = LinearSoftmax(2, 3)
    solver = Solver(model, make_data(), update_rule=sgd, batch_size=100, num_epochs=2, print_every=2)
    solver.train()
    assert "step 2: loss" in capsys.readouterr().out
    fig = solver.plot(title="blobs")
    assert len(fig.axes) == 2
