"""What the hidden tests of a2 `pytorch` cannot check: the release raises a clear NotImplementedError
wherever students must write code. Every check of the reference solution itself is written once, as
a hidden test of the notebook, and proven by the notebook's simulated class. It also checks the
given, ungraded helpers: `as_scheduler`, `fit` with early stopping, `random_crop_flip`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dl4cv.testing import assert_close

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

training = load_module(ROOT / "source" / "a2" / "training.py")


def _release(name: str):
    path = ROOT / "release" / "a2" / f"{name}.py"
    if not path.is_file():
        pytest.skip(f"release/a2/{name}.py does not exist yet (run the release)")
    return load_module(path)


def test_as_scheduler_follows_the_function():
    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=0.3)
    scheduler = training.as_scheduler(optimizer, lambda s: 0.1 * (s + 1))
    seen = []
    for _ in range(4):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert_close(torch.tensor(seen), torch.tensor([0.1, 0.2, 0.3, 0.4]), rtol=1e-12)


def test_fit_with_early_stopping_restores_the_best_weights():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=gen)
    y = (x[:, 0] > 0).long()
    model = nn.Linear(4, 2)
    loader = training.make_loader(x, y, 16, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    stopper = training.EarlyStopping(patience=2)
    history = training.fit(model, loader, loader, opt, "cpu", 30, early_stopping=stopper, verbose=False)
    assert len(history["val_acc"]) <= 30 and len(history["val_acc"]) == stopper.epoch + 1
    assert abs(training.evaluate(model, loader, "cpu")[1] - max(history["val_acc"])) < 1e-12


def test_random_crop_flip(device):
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32, device=device).reshape(2, 3, 5, 5)
    assert torch.equal(training.random_crop_flip(x, pad=0, flip=False), x)
    out = training.random_crop_flip(x, pad=0, flip=True, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(o, i) or torch.equal(o, i.flip(-1)) for o, i in zip(out, x))
    out = training.random_crop_flip(x, pad=2, flip=False, generator=torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.device == x.device
    # every crop is a shifted copy: some window of the padded image
    padded = F.pad(x, (2, 2, 2, 2))
    for o, p in zip(out, padded):
        assert any(torch.equal(o, p[:, r : r + 5, c : c + 5]) for r in range(5) for c in range(5))


@pytest.mark.parametrize(
    "module,call",
    [
        ("pytorch_nets", lambda m: m.init_bare_params()),
        ("pytorch_nets", lambda m: m.SmallConvNet()),
        ("pytorch_nets", lambda m: m.ResidualBlock(2, 2)),
        ("pytorch_nets", lambda m: m.SmallResNet()),
        ("pytorch_nets", lambda m: m.build_challenge_model()),
        ("training", lambda m: m.one_cycle_lr(0, 0.1, 10)),
        ("training", lambda m: m.EarlyStopping().step(0.5)),
        ("training", lambda m: m.evaluate(nn.Linear(2, 2), [], "cpu")),
    ],
)
def test_released_modules_are_stubs(module, call):
    with pytest.raises(NotImplementedError, match="write your code here"):
        call(_release(module))
