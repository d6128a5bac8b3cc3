"""Simulated students of a0 `logistic_regression`: a gradient without the 1/N average, a cost
that is not clamped, a library cost, a planar-net backward pass through autograd, a gradient
summed row by row through `itertools.starmap` (a loop no source scan sees), and a correct
solution written differently. Each hands in only logistic_regression.ipynb;
`dl4cv prove a0 --notebook logistic_regression` grades them and checks each scores as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "logistic_regression.py"
NOTEBOOK = ("logistic_regression",)
G = "a0_logistic_regression"

COST_BODY = (
    "    log_p = torch.log(probs).clamp_min(-100)  # (N,)\n"
    "    log_not_p = torch.log(1 - probs).clamp_min(-100)  # (N,)\n"
    "    return -(y * log_p + (1 - y) * log_not_p).mean()\n"
)
GRADIENTS_BODY = (
    "    probs = forward(params, x)  # (N,)\n"
    "    dscores = (probs - y) / x.shape[0]  # (N,)\n"
    '    return {"w": x.T @ dscores, "b": dscores.sum()}  # (D,), ()\n'
)
DESCENT_BODY = (
    "    for t in range(num_iterations):\n"
    "        costs.append(cost(forward(params, x), y).item())\n"
    "        grads = gradients(params, x, y)\n"
    "        params = {name: value - learning_rate * grads[name] for name, value in params.items()}\n"
    "        if print_every and t % print_every == 0:\n"
)
PREDICT_BODY = "    return (forward(params, x) > 0.5).long()\n"
NET_BACKWARD_BODY = (
    '    x, hidden, probs = cache["x"], cache["hidden"], cache["probs"]\n'
    "    dscores = (probs - y) / x.shape[0]  # (N,)\n"
    '    dhidden = dscores[:, None] * params["W2"]  # (N, H)\n'
    "    dpre = dhidden * (1 - hidden**2)  # (N, H) tanh'(z) = 1 - tanh(z)^2\n"
    "    return {\n"
    '        "W1": x.T @ dpre,  # (D, H)\n'
    '        "b1": dpre.sum(dim=0),  # (H,)\n'
    '        "W2": hidden.T @ dscores,  # (H,)\n'
    '        "b2": dscores.sum(),  # ()\n'
    "    }\n"
)
NET_PREDICT_BODY = "    probs, _ = net_forward(params, x)\n    return (probs > 0.5).long()\n"


def _edits(*pairs: tuple[str, str]) -> tuple[Edit, ...]:
    return tuple(Edit(MODULE, old, new) for old, new in pairs)


ALT_CORRECT = _edits(
    (COST_BODY,
     "    log_p = torch.clamp(torch.log(probs), min=-100.0)\n"
     "    log_q = torch.clamp(torch.log1p(-probs), min=-100.0)\n"
     "    return (y * log_p + (1 - y) * log_q).sum().neg() / probs.shape[0]\n"),
    (GRADIENTS_BODY,
     "    error = forward(params, x) - y\n"
     '    return {"w": (x * error[:, None]).mean(dim=0), "b": error.mean()}\n'),
    (DESCENT_BODY,
     '    w, b = params["w"].clone(), params["b"].clone()\n'
     "    for t in range(num_iterations):\n"
     '        costs.append(float(cost(forward({"w": w, "b": b}, x), y)))\n'
     '        grads = gradients({"w": w, "b": b}, x, y)\n'
     '        w -= learning_rate * grads["w"]\n'
     '        b -= learning_rate * grads["b"]\n'
     '        params = {"w": w, "b": b}\n'
     "        if print_every > 0 and t % print_every == 0:\n"),
    (PREDICT_BODY, "    return torch.where(forward(params, x) > 0.5, 1, 0)\n"),
    (NET_BACKWARD_BODY,
     '    x, hidden, probs = cache["x"], cache["hidden"], cache["probs"]\n'
     "    delta = (probs - y) / len(y)\n"
     '    back = torch.einsum("n,h->nh", delta, params["W2"]) * (1 - hidden * hidden)\n'
     '    return {"W1": torch.einsum("nd,nh->dh", x, back), "b1": back.sum(0),\n'
     '            "W2": torch.einsum("nh,n->h", hidden, delta), "b2": delta.sum()}\n'),
    (NET_PREDICT_BODY, "    return net_forward(params, x)[0].gt(0.5).to(torch.int64)\n"),
)

NET_BACKWARD_AUTOGRAD = (
    '    leaves = dict(params)  # fresh leaves that record the graph\n'
    '    leaves["W1"] = params["W1"].detach().clone().requires_grad_(True)\n'
    '    leaves["b1"] = params["b1"].detach().clone().requires_grad_(True)\n'
    '    leaves["W2"] = params["W2"].detach().clone().requires_grad_(True)\n'
    '    leaves["b2"] = params["b2"].detach().clone().requires_grad_(True)\n'
    "    with torch.enable_grad():\n"
    '        probs, _ = net_forward(leaves, cache["x"])\n'
    "        loss = cost(probs, y)\n"
    "    grads = torch.autograd.grad(loss, list(leaves.values()))\n"
    "    return dict(zip(leaves, grads))\n"
)

STUDENTS = [
    SimulatedStudent(
        "logreg_alt_correct",
        "a correct solution written differently (log1p, mean of rows, in-place steps, einsum)",
        notebooks=NOTEBOOK,
        edits=ALT_CORRECT,
    ),
    SimulatedStudent(
        "logreg_grad_no_average",
        "logistic-regression gradients summed over examples instead of averaged",
        notebooks=NOTEBOOK,
        edits=_edits(("    dscores = (probs - y) / x.shape[0]  # (N,)\n    return {\"w\"",
                      "    dscores = probs - y  # (N,)\n    return {\"w\"")),
        loses=(f"{G}_gradients", f"{G}_gradient_descent"),
    ),
    SimulatedStudent(
        "logreg_cost_no_clamp",
        "cross-entropy without the clamp: nan when a probability is exactly 0 or 1",
        notebooks=NOTEBOOK,
        edits=_edits(("    log_p = torch.log(probs).clamp_min(-100)  # (N,)\n"
                      "    log_not_p = torch.log(1 - probs).clamp_min(-100)  # (N,)\n",
                      "    log_p = torch.log(probs)  # (N,)\n"
                      "    log_not_p = torch.log(1 - probs)  # (N,)\n")),
        loses=(f"{G}_cost",),
    ),
    SimulatedStudent(
        "logreg_library_cost",
        "the cost from torch.nn.functional.binary_cross_entropy (used by both parts)",
        notebooks=NOTEBOOK,
        edits=_edits((COST_BODY, "    return torch.nn.functional.binary_cross_entropy(probs, y)\n")),
        loses=(f"{G}_no_shortcuts", f"{G}_net_no_shortcuts"),
    ),
    SimulatedStudent(
        "logreg_net_backward_autograd",
        "the planar net's backward pass computed by torch.autograd.grad",
        notebooks=NOTEBOOK,
        edits=_edits((NET_BACKWARD_BODY, NET_BACKWARD_AUTOGRAD)),
        loses=(f"{G}_net_no_shortcuts",),
    ),
    SimulatedStudent(
        "logistic_starmap_gradient",
        "dJ/dw summed row by row: sum(itertools.starmap(lambda row, d: row * d, zip(x, dscores))) (right values)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, '    return {"w": x.T @ dscores, "b": dscores.sum()}  # (D,), ()\n',
                    "    import itertools\n\n"
                    '    return {"w": sum(itertools.starmap(lambda row, d: row * d, zip(x, dscores))), "b": dscores.sum()}\n'),),
        loses=(f"{G}_no_shortcuts",),
    ),
    SimulatedStudent(
        "logistic_net_init_w2_first",
        "net_initialize draws W2 before W1 and W1 transposed: another start the spec allows, full marks",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE,
                    "    W1 = torch.randn(num_inputs, num_hidden, generator=generator, dtype=dtype) * weight_scale  # (D, H)\n"
                    "    W2 = torch.randn(num_hidden, generator=generator, dtype=dtype) * weight_scale  # (H,)\n",
                    "    W2 = weight_scale * torch.randn(num_hidden, generator=generator, dtype=dtype)\n"
                    "    W1 = weight_scale * torch.randn(num_hidden, num_inputs, generator=generator, dtype=dtype).T.contiguous()\n"),),
    ),
]
