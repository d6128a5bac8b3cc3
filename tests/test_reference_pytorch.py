"""The a2 `pytorch` reference modules (pytorch_nets, training) against PyTorch's own layers and
schedulers on every available device, and the released modules raising NotImplementedError."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dl4cv.testing import assert_close

from dl4cv.course.modules import load_module

from .conftest import ROOT

nets = load_module(ROOT / "source" / "a2" / "pytorch_nets.py")
training = load_module(ROOT / "source" / "a2" / "training.py")


def _release(name: str):
    path = ROOT / "release" / "a2" / f"{name}.py"
    if not path.is_file():
        pytest.skip(f"release/a2/{name}.py does not exist yet (run the release)")
    return load_module(path)


# ---------------------------------------------------------------------------- three API levels


@pytest.mark.parametrize("config", [(1, (4, 6), 8, 3), (3, (5, 7), 12, 10)])
def test_three_levels_compute_the_same_scores(config, device):
    in_channels, channels, size, classes = config
    gen = torch.Generator().manual_seed(0)
    params = nets.init_bare_params(in_channels, channels, size, classes, device=device, dtype=torch.float64, generator=gen)
    assert all(p.is_leaf and p.requires_grad and p.device.type == device.type for p in params.values())
    module = nets.SmallConvNet(in_channels, channels, size, classes).double().to(device)
    module.load_state_dict({k: v.detach() for k, v in params.items()})
    sequential = nets.small_convnet_sequential(in_channels, channels, size, classes).double().to(device)
    with torch.no_grad():
        for target, source in zip(sequential.parameters(), params.values(), strict=True):
            target.copy_(source)
    x = torch.randn(5, in_channels, size, size, dtype=torch.float64, device=device)
    expected = F.conv2d(x, params["conv1.weight"], params["conv1.bias"], padding=1).relu()
    expected = F.max_pool2d(expected, 2)
    expected = F.max_pool2d(F.conv2d(expected, params["conv2.weight"], params["conv2.bias"], padding=1).relu(), 2)
    expected = F.linear(expected.flatten(1), params["fc.weight"], params["fc.bias"])
    for name, scores in [("bare", nets.bare_forward(x, params)), ("module", module(x)), ("sequential", sequential(x))]:
        assert_close(scores, expected, rtol=1e-10, atol=1e-12, name=name)


def test_kaiming_initialisation_statistics():
    params = nets.init_bare_params(1, (64, 128), 28, 10, generator=torch.Generator().manual_seed(1))
    for key, fan_in in [("conv2.weight", 64 * 9), ("fc.weight", 128 * 49)]:
        assert abs(params[key].std().item() / math.sqrt(2 / fan_in) - 1) < 0.05, key
    assert all(params[k].abs().sum() == 0 for k in ("conv1.bias", "conv2.bias", "fc.bias"))


def test_sgd_step_updates_in_place_and_clears_gradients(device):
    params = nets.init_bare_params(1, (3, 4), 8, 5, device=device, dtype=torch.float64)
    x = torch.randn(6, 1, 8, 8, dtype=torch.float64, device=device)
    y = torch.randint(0, 5, (6,), device=device)
    for _ in range(2):
        before = {k: v.detach().clone() for k, v in params.items()}
        ids = {k: id(v) for k, v in params.items()}
        F.cross_entropy(nets.bare_forward(x, params), y).backward()
        grads = {k: v.grad.clone() for k, v in params.items()}
        nets.sgd_step(params, 0.1)
        for k, p in params.items():
            assert id(p) == ids[k] and p.is_leaf and p.requires_grad
            assert p.grad is None or p.grad.abs().sum() == 0
            assert_close(p.detach(), before[k] - 0.1 * grads[k], rtol=1e-12, name=k)


# ---------------------------------------------------------------------------- blocks and the ResNet


def _bn(c: int) -> int:
    return 2 * c


def plain_count(cin: int, cout: int) -> int:
    return 9 * cin * cout + 9 * cout * cout + 2 * _bn(cout)


def projection_count(cin: int, cout: int, stride: int) -> int:
    return 0 if (stride == 1 and cin == cout) else cin * cout + _bn(cout)


def residual_count(cin: int, cout: int, stride: int) -> int:
    return plain_count(cin, cout) + projection_count(cin, cout, stride)


def bottleneck_count(cin: int, cout: int, stride: int, ratio: int = 4) -> int:
    mid = cout // ratio
    return cin * mid + 9 * mid * mid + mid * cout + 2 * _bn(mid) + _bn(cout) + projection_count(cin, cout, stride)


BLOCK_CASES = [(8, 8, 1), (8, 16, 1), (8, 16, 2), (16, 16, 2), (12, 8, 1)]


@pytest.mark.parametrize("cin,cout,stride", BLOCK_CASES)
def test_block_shapes_and_parameter_counts(cin, cout, stride, device):
    x = torch.randn(3, cin, 9, 10, device=device)
    expected_shape = (3, cout, math.ceil(9 / stride), math.ceil(10 / stride))
    for block, count in [
        (nets.PlainBlock(cin, cout, stride), plain_count(cin, cout)),
        (nets.ResidualBlock(cin, cout, stride), residual_count(cin, cout, stride)),
        (nets.BottleneckBlock(cin, cout, stride), bottleneck_count(cin, cout, stride)),
    ]:
        block = block.to(device)
        assert tuple(block(x).shape) == expected_shape, type(block).__name__
        assert nets.count_parameters(block) == count, type(block).__name__


CBR, CB = [nn.Conv2d, nn.BatchNorm2d, nn.ReLU], [nn.Conv2d, nn.BatchNorm2d]


@pytest.mark.parametrize(
    "block_type,chain,layers,convs",
    [("PlainBlock", "body", CBR + CBR, [(3, 2), (3, 1)]), ("ResidualBlock", "residual", CBR + CB, [(3, 2), (3, 1)]),
     ("BottleneckBlock", "residual", CBR + CBR + CB, [(1, 1), (3, 2), (1, 1)])],
)
def test_block_layers_in_the_documented_order(block_type, chain, layers, convs):
    modules = list(getattr(getattr(nets, block_type)(8, 16, 2), chain))
    assert [type(m) for m in modules] == layers
    assert [(m.kernel_size[0], m.stride[0]) for m in modules if isinstance(m, nn.Conv2d)] == convs
    assert all(m.bias is None for m in modules if isinstance(m, nn.Conv2d))


@pytest.mark.parametrize("block_type", ["ResidualBlock", "BottleneckBlock"])
@pytest.mark.parametrize("cin,cout,stride", BLOCK_CASES)
def test_zeroed_residual_branch_leaves_relu_of_the_shortcut(block_type, cin, cout, stride, device):
    block = getattr(nets, block_type)(cin, cout, stride).to(device).eval()
    with torch.no_grad():
        for p in block.residual.parameters():
            p.zero_()
    x = torch.randn(2, cin, 8, 8, device=device)
    if stride == 1 and cin == cout:
        assert isinstance(block.shortcut, nn.Identity)
        expected = F.relu(x)
    else:
        (weight,) = [p for p in block.shortcut.parameters() if p.dim() == 4]
        assert weight.shape == (cout, cin, 1, 1)
        # a fresh batch norm in eval mode divides by sqrt(1 + eps)
        expected = F.relu(F.conv2d(x, weight, stride=stride) / math.sqrt(1 + 1e-5))
    assert_close(block(x), expected, rtol=1e-5, atol=1e-6, name=block_type)


@pytest.mark.parametrize(
    "block_name,widths,blocks,in_channels,size",
    [("ResidualBlock", (8, 16, 32), (1, 2, 1), 1, 28), ("BottleneckBlock", (16, 32), (2, 1), 3, 32), ("PlainBlock", (4,), (3,), 2, 10)],
)
def test_small_resnet_shapes_and_counts(block_name, widths, blocks, in_channels, size, device):
    block = getattr(nets, block_name)
    count_block = {"ResidualBlock": residual_count, "BottleneckBlock": bottleneck_count,
                   "PlainBlock": lambda i, o, s: plain_count(i, o)}[block_name]
    model = nets.SmallResNet(block, widths, blocks, in_channels, num_classes=7).to(device)
    expected, channels = 9 * in_channels * widths[0] + _bn(widths[0]), widths[0]
    for stage, (width, count) in enumerate(zip(widths, blocks)):
        for j in range(count):
            expected += count_block(channels, width, 2 if stage > 0 and j == 0 else 1)
            channels = width
    expected += widths[-1] * 7 + 7
    assert nets.count_parameters(model) == expected
    assert tuple(model(torch.randn(2, in_channels, size, size, device=device)).shape) == (2, 7)


def test_challenge_model_outputs_scores():
    model = nets.build_challenge_model(1, 10)
    assert tuple(model(torch.randn(2, 1, 28, 28)).shape) == (2, 10)


# ---------------------------------------------------------------------------- schedules


def _torch_lrs(make, steps: int, lr: float) -> list[float]:
    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(optimizer)
        out = []
        for _ in range(steps):
            out.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return out


@pytest.mark.parametrize("base,size,gamma,steps", [(0.1, 3, 0.5, 20), (1.0, 10, 0.1, 35)])
def test_step_decay_matches_steplr(base, size, gamma, steps):
    expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, size, gamma), steps, base)
    got = [training.step_decay_lr(s, base, size, gamma) for s in range(steps)]
    assert_close(torch.tensor(got), torch.tensor(expected), rtol=1e-12)


@pytest.mark.parametrize("base,total,low", [(0.1, 20, 0.0), (0.5, 33, 0.01)])
def test_cosine_matches_cosine_annealing(base, total, low):
    expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, total, low), total + 1, base)
    got = [training.cosine_lr(s, base, total, low) for s in range(total + 1)]
    assert_close(torch.tensor(got), torch.tensor(expected), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("total,pct,anneal,div,final", [(100, 0.3, "cos", 25.0, 1e4), (37, 0.25, "linear", 10.0, 100.0), (10, 0.5, "cos", 5.0, 10.0)])
def test_one_cycle_matches_onecyclelr(total, pct, anneal, div, final):
    expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.4, total_steps=total, pct_start=pct, anneal_strategy=anneal, div_factor=div,
        final_div_factor=final, cycle_momentum=False), total, 0.4)
    got = [training.one_cycle_lr(s, 0.4, total, pct, div, final, anneal) for s in range(total)]
    assert_close(torch.tensor(got), torch.tensor(expected), rtol=1e-9, atol=1e-15)


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


# ---------------------------------------------------------------------------- early stopping


def _run(curve, **kwargs):
    stopper = training.EarlyStopping(**kwargs)
    for epoch, value in enumerate(curve):
        if stopper.step(value):
            return epoch, stopper.best_epoch
    return None, stopper.best_epoch


@pytest.mark.parametrize(
    "curve,kwargs,expected",
    [
        ([0.5, 0.6, 0.7, 0.69, 0.7, 0.68], {"patience": 3}, (5, 2)),
        ([0.5, 0.6, 0.7, 0.69, 0.7, 0.68], {"patience": 4}, (None, 2)),
        ([0.5, 0.5, 0.5625, 0.75, 0.75], {"patience": 2, "min_delta": 0.0625}, (2, 0)),
        ([0.5, 0.52, 0.53, 0.6], {"patience": 2, "min_delta": 0.01}, (None, 3)),
        ([2.0, 1.5, 1.6, 1.4, 1.45, 1.41, 1.39], {"patience": 3, "mode": "min"}, (None, 6)),
        ([2.0, 1.5, 1.6, 1.4, 1.45, 1.41, 1.39], {"patience": 3, "mode": "min", "min_delta": 0.05}, (6, 3)),
        ([1.0, 1.0, 1.0], {"patience": 1}, (1, 0)),
    ],
)
def test_early_stopping_on_hand_made_curves(curve, kwargs, expected):
    assert _run(curve, **kwargs) == expected


# ---------------------------------------------------------------------------- one epoch


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.bn, self.fc2 = nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def _tiny_problem(device):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(13, 4, generator=gen)
    y = torch.randint(0, 3, (13,), generator=gen)
    batches = [(x[:5], y[:5]), (x[5:10], y[5:10]), (x[10:], y[10:])]
    torch.manual_seed(0)
    return _Tiny().to(device), batches


def test_train_epoch_matches_a_hand_written_loop(device):
    model, batches = _tiny_problem(device)
    reference = _Tiny().to(device)
    reference.load_state_dict(model.state_dict())
    model.eval()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    calls = []

    class Counter:
        def step(self):
            calls.append(1)

    loss, acc = training.train_epoch(model, batches, opt, device, scheduler=Counter(), augment=lambda b: b * 2)
    total, correct = 0.0, 0
    for x, y in batches:
        x, y = x.to(device) * 2, y.to(device)
        scores = reference(x)
        batch_loss = F.cross_entropy(scores, y)
        ref_opt.zero_grad()
        batch_loss.backward()
        ref_opt.step()
        total += batch_loss.item() * len(y)
        correct += (scores.argmax(1) == y).sum().item()
    assert len(calls) == 3 and model.training
    assert abs(loss - total / 13) < 1e-6 and abs(acc - correct / 13) < 1e-12
    for key, value in reference.state_dict().items():
        assert_close(model.state_dict()[key], value, rtol=1e-6, atol=1e-7, name=key)


def test_evaluate_uses_eval_mode_and_no_grad(device):
    model, batches = _tiny_problem(device)
    model.train()
    grad_modes = []
    model.register_forward_hook(lambda *_: grad_modes.append(torch.is_grad_enabled()))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    loss, acc = training.evaluate(model, batches, device)
    assert grad_modes and not any(grad_modes)
    for key, value in state.items():
        assert torch.equal(model.state_dict()[key], value), f"{key} changed"
    x, y = torch.cat([b[0] for b in batches]).to(device), torch.cat([b[1] for b in batches]).to(device)
    with torch.no_grad():
        scores = model.eval()(x)
    assert abs(loss - F.cross_entropy(scores, y).item()) < 1e-6
    assert abs(acc - (scores.argmax(1) == y).double().mean().item()) < 1e-12


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


# ---------------------------------------------------------------------------- the release


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
