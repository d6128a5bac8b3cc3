"""Simulated students of a2 `fully_connected_networks`: two submissions with three independent
planted mistakes each (every one in a different graded cell), and one correct solution written
differently. Each hands in only fully_connected_networks.ipynb (with every a2 module);
`dl4cv prove a2 --notebook fully_connected_networks` grades them."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("fully_connected_networks",)
A = "a2_fully_connected_networks"

CENTRED = """        flat_x[i] = original + h
        plus = f(x)
        flat_x[i] = original - h
        minus = f(x)
        flat_x[i] = original
        diff = plus - minus if dout is None else (plus - minus) * dout
        flat_grad[i] = diff.sum() / (2 * h)
"""
ONE_SIDED = """        base = f(x)
        flat_x[i] = original + h
        plus = f(x)
        flat_x[i] = original
        diff = plus - base if dout is None else (plus - base) * dout
        flat_grad[i] = diff.sum() / h
"""

ALT_CHECKER_OLD = """    flat_x, flat_grad = x.view(-1), grad.view(-1)
    for i in range(flat_x.numel()):
        original = flat_x[i].item()
""" + CENTRED
ALT_CHECKER_NEW = """    import itertools

    for idx in itertools.product(*(range(n) for n in x.shape)):
        saved = x[idx].item()
        x[idx] = saved + h
        up = f(x)
        x[idx] = saved - h
        down = f(x)
        x[idx] = saved
        weight = 1.0 if dout is None else dout
        grad[idx] = ((up - down) * weight).sum() / (2 * h)
"""

ALT_SOFTMAX_OLD = """    num_rows = scores.shape[0]
    shifted = scores - scores.max(dim=1, keepdim=True).values  # (N, C)
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # (N, C)
    rows = torch.arange(num_rows, device=scores.device)
    loss = -log_probs[rows, y].mean()
    dscores = log_probs.exp()  # (N, C), the softmax probabilities
    dscores[rows, y] -= 1
    dscores /= num_rows
"""
ALT_SOFTMAX_NEW = """    lse = torch.logsumexp(scores, dim=1, keepdim=True)  # (N, 1), stable by construction
    one_hot = torch.zeros_like(scores).scatter_(1, y[:, None], 1.0)  # (N, C)
    loss = (lse.squeeze(1) - (scores * one_hot).sum(dim=1)).mean()
    dscores = ((scores - lse).exp() - one_hot) / scores.shape[0]
"""

ALT_MOMENTUM_OLD = """    v = config.get("velocity")
    v = torch.zeros_like(w) if v is None else v
    v = config["momentum"] * v + dw
    next_w = w - config["learning_rate"] * v
    config["velocity"] = v
"""
ALT_MOMENTUM_NEW = """    velocity = config.setdefault("velocity", torch.zeros_like(w))
    velocity = config["momentum"] * velocity - config["learning_rate"] * dw  # the velocity holds -lr * v
    next_w = w + velocity
    config["velocity"] = velocity
"""

ALT_ADAM_OLD = """    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (v_hat.sqrt() + config["epsilon"])
"""
ALT_ADAM_NEW = """    step_size = config["learning_rate"] / (1 - beta1**t)
    denom = v.sqrt() / (1 - beta2**t) ** 0.5 + config["epsilon"]
    next_w = w - step_size * m / denom
"""

ALT_INIT_OLD = """            std = math.sqrt(2.0 / fan_in) if weight_scale == "he" else float(weight_scale)
            draw = torch.randn(fan_in, fan_out, generator=generator, dtype=dtype)  # (fan_in, fan_out)
            self.params[f"W{i}"] = (std * draw).to(device)
"""
ALT_INIT_NEW = """            std = (2 / fan_in) ** 0.5 if isinstance(weight_scale, str) else weight_scale
            weights = torch.normal(0.0, std, (fan_in, fan_out), generator=generator, dtype=dtype)
            self.params[f"W{i}"] = weights.to(device)
"""

ALT_BACKWARD_OLD = """        loss, dscores = layers.softmax_loss(scores, y)
        dh, grads[f"W{L}"], grads[f"b{L}"] = layers.linear_backward(dscores, caches[L - 1])
        for i in range(L - 1, 0, -1):
            dh, layer_grads = self._hidden_backward(dh, caches[i - 1], i)
            grads.update(layer_grads)
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss = loss + self.reg * (W * W).sum()
            grads[f"W{i}"] = grads[f"W{i}"] + 2 * self.reg * W
"""
ALT_BACKWARD_NEW = """        data_loss, dout = layers.softmax_loss(scores, y)
        loss = data_loss + self.reg * sum(self.params[f"W{i}"].pow(2).sum() for i in range(1, L + 1))
        for i in reversed(range(1, L + 1)):
            if i == L:
                dout, dW, db = layers.linear_backward(dout, caches[-1])
                grads.update({f"W{i}": dW, f"b{i}": db})
            else:
                dout, layer_grads = self._hidden_backward(dout, caches[i - 1], i)
                grads.update(layer_grads)
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * 2 * self.params[f"W{i}"]
"""

STUDENTS = [
    SimulatedStudent(
        "fc_broken_optim",
        "a one-sided difference in the gradient checker; momentum damped by (1 - momentum); "
        "RMSProp's epsilon inside the square root",
        notebooks=NOTEBOOK,
        edits=(
            Edit("layers.py", CENTRED, ONE_SIDED),
            Edit("optim.py", "    v = config[\"momentum\"] * v + dw\n",
                 "    v = config[\"momentum\"] * v + (1 - config[\"momentum\"]) * dw\n"),
            Edit("optim.py", "dw / (cache.sqrt() + config[\"epsilon\"])", "dw / (cache + config[\"epsilon\"]).sqrt()"),
        ),
        loses=(f"{A}_gradient_checker", f"{A}_sgd_momentum", f"{A}_rmsprop"),
    ),
    SimulatedStudent(
        "fc_broken_layers",
        "a softmax loss that does not subtract the row maximum (overflows); He init scaled by fan_out instead of fan_in; "
        "ReLU through torch.nn.functional",
        notebooks=NOTEBOOK,
        edits=(
            Edit("layers.py", "    shifted = scores - scores.max(dim=1, keepdim=True).values  # (N, C)\n",
                 "    shifted = scores  # (N, C)\n"),
            Edit("fc_net.py", "math.sqrt(2.0 / fan_in)", "math.sqrt(2.0 / fan_out)"),
            Edit("layers.py", "    out = x.clamp_min(0)\n", "    out = torch.nn.functional.relu(x)\n"),
        ),
        loses=(f"{A}_softmax_loss", f"{A}_init", f"{A}_no_shortcuts"),
    ),
    SimulatedStudent(
        "fc_alt_correct",
        "correct, written differently: addmm/flatten linear layer, torch.where ReLU backward, "
        "logsumexp softmax, itertools gradient checker, CS231n-style momentum, PyTorch-style Adam "
        "denominator, torch.normal init, one backward loop for all layers",
        notebooks=NOTEBOOK,
        edits=(
            Edit("layers.py", "    out = x.reshape(x.shape[0], -1) @ w + b  # (N, M)\n",
                 "    out = torch.addmm(b, x.flatten(1), w)  # (N, M)\n"),
            Edit("layers.py",
                 "    dx = (dout @ w.T).reshape(x.shape)  # (N, d_1, ..., d_k)\n"
                 "    dw = x.reshape(x.shape[0], -1).T @ dout  # (D, M)\n",
                 "    dx = torch.mm(dout, w.t()).view_as(x)  # (N, d_1, ..., d_k)\n"
                 "    dw = torch.mm(x.flatten(1).t(), dout)  # (D, M)\n"),
            Edit("layers.py", "    dx = dout * (x > 0)\n", "    dx = torch.where(x > 0, dout, torch.zeros_like(dout))\n"),
            Edit("layers.py", ALT_SOFTMAX_OLD, ALT_SOFTMAX_NEW),
            Edit("layers.py", ALT_CHECKER_OLD, ALT_CHECKER_NEW),
            Edit("optim.py", ALT_MOMENTUM_OLD, ALT_MOMENTUM_NEW),
            Edit("optim.py", ALT_ADAM_OLD, ALT_ADAM_NEW),
            Edit("fc_net.py", ALT_INIT_OLD, ALT_INIT_NEW),
            Edit("fc_net.py", ALT_BACKWARD_OLD, ALT_BACKWARD_NEW),
        ),
    ),
]
