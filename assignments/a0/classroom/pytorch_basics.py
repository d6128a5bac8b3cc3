"""Simulated students of a0 `pytorch_basics`: two unstable softmaxes, loops a source scan cannot
see (the builtin `sum` over rows), a looped "loop-free" batched matmul, a loop version that
calls the vectorised one, a library one-hot and one made on the wrong device, and a correct
solution written differently throughout. Each
hands in only pytorch_basics.ipynb; `dl4cv prove a0 --notebook pytorch_basics` grades them and
checks each scores exactly as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "pytorch_basics.py"
NOTEBOOK = ("pytorch_basics",)
SOFTMAX_SHIFT = "    shifted = x - x.max(dim=dim, keepdim=True).values  # same shape as x\n"
BATCHED_BODY = (
    "    products = a[:, :, :, None] * b[:, None, :, :]  # (B, N, M, 1) * (B, 1, M, P) -> (B, N, M, P)\n"
    "    out = products.sum(dim=2)  # (B, N, P)\n"
)
ONE_HOT_BODY = (
    "    classes = torch.arange(num_classes, device=labels.device)  # (num_classes,)\n"
    "    encoded = (labels[..., None] == classes).long()  # (..., num_classes)\n"
)


def _edits(*pairs: tuple[str, str]) -> tuple[Edit, ...]:
    return tuple(Edit(MODULE, old, new) for old, new in pairs)


ALT_CORRECT = _edits(
    ("torch.arange(rows * cols, device=device).view(rows, cols)",
     "torch.arange(rows, device=device)[:, None] * cols + torch.arange(cols, device=device)"),
    ("    i = torch.arange(rows, device=device)[:, None]  # (rows, 1)\n"
     "    j = torch.arange(cols, device=device)  # (cols,)\n"
     "    board = ((i + j) % 2 == 0).float()  # (rows, cols)\n",
     "    board = torch.ones(rows, cols, device=device)\n"
     "    board[0::2, 1::2] = 0\n"
     "    board[1::2, 0::2] = 0\n"),
    ("    out = x[rows[:, None], cols]  # (R, C)\n", "    out = x.index_select(0, rows).index_select(1, cols)\n"),
    ("    swapped = torch.cat([x[..., half:], x[..., :half]], dim=-1)  # (..., 2K)\n",
     "    swapped = x.roll(half, dims=-1)\n"),
    ("    out = images.permute(0, 2, 3, 1)  # (N, H, W, C)\n", "    out = images.movedim(1, -1)\n"),
    ("    grid = images.reshape(n // cols, cols, h, w)  # (R, cols, H, W)\n"
     "    grid = grid.permute(0, 2, 1, 3)  # (R, H, cols, W)\n"
     "    grid = grid.reshape(n // cols * h, cols * w)  # (R * H, cols * W)\n",
     "    grid = images.unflatten(0, (n // cols, cols)).transpose(1, 2).flatten(2).flatten(0, 1)\n"),
    ("    out = torch.stack([a, b], dim=1).reshape(-1)  # (N, 2) -> (2N,)\n",
     "    out = torch.cat([a[:, None], b[:, None]], dim=1).flatten()\n"),
    ("    out = a[:, None] - b[None, :]  # (M, 1) - (1, N) -> (M, N)\n", "    out = a.unsqueeze(1) - b.unsqueeze(0)\n"),
    ("    centred = x - x.mean(dim=0, keepdim=True)  # (N, D) - (1, D)\n", "    centred = x - x.sum(dim=0) / x.shape[0]\n"),
    ("    s = 1 / (1 + torch.exp(-x))\n", "    s = 0.5 * (1 + torch.tanh(x / 2))\n"),
    ("    s = sigmoid(x)\n    grad = s * (1 - s)\n",
     "    e = torch.exp(-x.abs())  # the slope is symmetric; this exponent never overflows\n"
     "    grad = e / (1 + e) ** 2\n"),
    (SOFTMAX_SHIFT, "    shifted = x - x.amax(dim=dim, keepdim=True)\n"),
    ("    probs = e / e.sum(dim=dim, keepdim=True)\n", "    probs = e * e.sum(dim=dim, keepdim=True).reciprocal()\n"),
    ("    lengths = (x * x).sum(dim=1, keepdim=True).sqrt()  # (N, 1)\n"
     "    out = x / lengths.clamp_min(eps)  # (N, D)\n",
     "    lengths = x.pow(2).sum(1, keepdim=True).sqrt()\n"
     "    out = x * lengths.clamp(min=eps).reciprocal()\n"),
    ("    loss = (pred - target).abs().mean()\n", "    loss = (pred - target).abs().sum() / pred.numel()\n"),
    ("    loss = ((pred - target) ** 2).mean()\n", "    diff = pred - target\n    loss = (diff * diff).sum() / diff.numel()\n"),
    (ONE_HOT_BODY, "    encoded = torch.eye(num_classes, dtype=torch.long, device=labels.device)[labels]\n"),
    ("    for k in range(a.shape[0]):\n        out[k] = a[k] @ b[k]  # (N, M) @ (M, P) -> (N, P)\n",
     "    for k, (x, y) in enumerate(zip(a, b)):\n        out[k] = x @ y\n"),
    (BATCHED_BODY, "    out = (a[:, :, None, :] * b.transpose(1, 2)[:, None, :, :]).sum(-1)  # (B, N, P, M) -> (B, N, P)\n"),
)  # fmt: skip

STUDENTS = [
    SimulatedStudent(
        "basics_alt_correct",
        "every function written differently but correctly (roll, movedim, tanh, eye, transposed products)",
        notebooks=NOTEBOOK,
        edits=ALT_CORRECT,
    ),
    SimulatedStudent(
        "basics_naive_softmax",
        "softmax written literally, exp(x) / sum(exp(x)): right for small scores, nan at 1e4",
        notebooks=NOTEBOOK,
        edits=_edits((SOFTMAX_SHIFT + "    e = torch.exp(shifted)\n", "    e = torch.exp(x)\n")),
        loses=("a0_pytorch_basics_softmax_stable",),
    ),
    SimulatedStudent(
        "basics_global_max_softmax",
        "softmax shifted by the largest score of the whole tensor instead of each slice's own",
        notebooks=NOTEBOOK,
        edits=_edits((SOFTMAX_SHIFT, "    shifted = x - x.max()  # one constant for everything\n")),
        loses=("a0_pytorch_basics_softmax_stable",),
    ),
    SimulatedStudent(
        "basics_looped_batched_matmul",
        "the loop-free batched matmul written as a comprehension over the batch (right values)",
        notebooks=NOTEBOOK,
        edits=_edits((BATCHED_BODY, "    out = torch.stack([(x[:, :, None] * y[None]).sum(dim=1) for x, y in zip(a, b)])\n")),
        loses=("a0_pytorch_basics_batched_matmul_vectorised",),
    ),
    SimulatedStudent(
        "basics_one_hot_shortcut",
        "one_hot through torch.nn.functional.one_hot (right values, forbidden call)",
        notebooks=NOTEBOOK,
        edits=_edits((ONE_HOT_BODY, "    encoded = torch.nn.functional.one_hot(labels, num_classes)\n")),
        loses=("a0_pytorch_basics_no_shortcuts",),
    ),
    SimulatedStudent(
        "basics_builtin_sum_center",
        "center_columns as x - sum(x) / len(x): Python's sum walks the rows one by one (right values)",
        notebooks=NOTEBOOK,
        edits=_edits(("    centred = x - x.mean(dim=0, keepdim=True)  # (N, D) - (1, D)\n",
                      "    centred = x - sum(x) / len(x)\n")),
        loses=("a0_pytorch_basics_broadcasting",),
    ),
    SimulatedStudent(
        "basics_one_hot_on_the_cpu",
        "one_hot as torch.eye(C)[labels] without device=: right on the CPU, an error with labels on a GPU",
        notebooks=NOTEBOOK,
        edits=_edits((ONE_HOT_BODY, "    encoded = torch.eye(num_classes, dtype=torch.long)[labels]\n")),
        loses=("a0_pytorch_basics_one_hot",),
    ),
    SimulatedStudent(
        "basics_loop_calls_vectorised",
        "batched_matmul_loop without its loop: it returns batched_matmul(a, b) (right values)",
        notebooks=NOTEBOOK,
        edits=_edits(("    for k in range(a.shape[0]):\n        out[k] = a[k] @ b[k]  # (N, M) @ (M, P) -> (N, P)\n",
                      "    out = batched_matmul(a, b)\n")),
        loses=("a0_pytorch_basics_batched_matmul",),
    ),
]
