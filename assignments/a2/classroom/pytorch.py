"""Simulated students of a2 `pytorch`: two submissions with planted mistakes, each losing exactly
the graded cells listed, and one correct solution written differently. Each hands in only
pytorch.ipynb with its own pytorch_nets.py and training.py."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("pytorch",)

STUDENTS = [
    SimulatedStudent(
        "torch_forgets_modes",
        "evaluate stays in training mode (batch norm learns from the validation data); the "
        "one-cycle warm-up ends one step late",
        notebooks=NOTEBOOK,
        edits=(
            Edit("training.py", "    model.eval()\n", ""),
            Edit("training.py", "    warmup_end = pct_start * total_steps - 1\n", "    warmup_end = pct_start * total_steps\n"),
        ),
        loses=("a2_pytorch_training_loop", "a2_pytorch_schedules"),
    ),
    SimulatedStudent(
        "torch_three_slips",
        "sgd_step never clears the gradients; the bottleneck block strides in its first 1x1 "
        "convolution (same shapes and counts, different layers); early stopping counts a tie "
        "with min_delta as an improvement",
        notebooks=NOTEBOOK,
        edits=(
            Edit("pytorch_nets.py", "            p.grad = None\n", ""),
            Edit("pytorch_nets.py",
                 "            *conv_bn(in_channels, mid, 1),\n            nn.ReLU(),\n            *conv_bn(mid, mid, 3, stride),\n",
                 "            *conv_bn(in_channels, mid, 1, stride),\n            nn.ReLU(),\n            *conv_bn(mid, mid, 3),\n"),
            Edit("training.py", "improved = value > self.best_value + self.min_delta",
                 "improved = value >= self.best_value + self.min_delta"),
        ),
        loses=("a2_pytorch_bare_tensors", "a2_pytorch_blocks", "a2_pytorch_early_stopping"),
    ),
    SimulatedStudent(
        "torch_alt_correct",
        "a correct solution written differently (F.linear, sub_/zero_, a strides list for the "
        "ResNet, phase tables for one-cycle, sign-flipped early stopping written as a difference, inference_mode)",
        notebooks=NOTEBOOK,
        edits=(
            Edit("pytorch_nets.py",
                 '    scores = out.flatten(1) @ params["fc.weight"].T + params["fc.bias"]  # (N, num_classes)\n',
                 '    scores = F.linear(out.reshape(len(out), -1), params["fc.weight"], params["fc.bias"])\n'),
            Edit("pytorch_nets.py",
                 "            p -= learning_rate * p.grad\n            p.grad = None\n",
                 "            p.sub_(p.grad, alpha=learning_rate)\n            p.grad.zero_()\n"),
            Edit("pytorch_nets.py",
                 "    if stride == 1 and in_channels == out_channels:\n        return nn.Identity()\n"
                 "    return nn.Sequential(*conv_bn(in_channels, out_channels, 1, stride))\n",
                 "    keeps_shape = stride == 1 and in_channels == out_channels\n"
                 "    return nn.Identity() if keeps_shape else nn.Sequential(\n"
                 "        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))\n"),
            Edit("pytorch_nets.py",
                 "        layers, channels = [], widths[0]\n"
                 "        for stage, (width, count) in enumerate(zip(widths, blocks)):\n"
                 "            for j in range(count):\n"
                 "                layers.append(block(channels, width, stride=2 if stage > 0 and j == 0 else 1))\n"
                 "                channels = width\n",
                 "        plan = [(w, 2 if (i > 0 and j == 0) else 1) for i, w in enumerate(widths) for j in range(blocks[i])]\n"
                 "        ins = [widths[0]] + [w for w, _ in plan[:-1]]\n"
                 "        layers = [block(c, w, stride=s) for c, (w, s) in zip(ins, plan)]\n"
                 "        channels = widths[-1]\n"),
            Edit("training.py", "    return base_lr * gamma ** (step // step_size)\n",
                 "    return base_lr * math.pow(gamma, math.floor(step / step_size))\n"),
            Edit("training.py",
                 "    initial = max_lr / div_factor\n    final = initial / final_div_factor\n"
                 "    warmup_end = pct_start * total_steps - 1\n"
                 "    if step <= warmup_end:\n"
                 "        start, end, t = initial, max_lr, step / warmup_end\n"
                 "    else:\n"
                 "        start, end, t = max_lr, final, (step - warmup_end) / (total_steps - 1 - warmup_end)\n",
                 "    low = max_lr / div_factor\n"
                 "    phases = [(float(pct_start * total_steps) - 1, low, max_lr),\n"
                 "              (total_steps - 1, max_lr, low / final_div_factor)]\n"
                 "    s0 = 0\n"
                 "    for i, (s1, start, end) in enumerate(phases):\n"
                 "        if step <= s1 or i == len(phases) - 1:\n"
                 "            t = (step - s0) / (s1 - s0)\n"
                 "            break\n"
                 "        s0 = s1\n"),
            Edit("training.py",
                 "        if self.best_value is None:\n            improved = True\n"
                 "        elif self.mode == \"max\":\n            improved = value > self.best_value + self.min_delta\n"
                 "        else:\n            improved = value < self.best_value - self.min_delta\n",
                 "        sign = 1.0 if self.mode == \"max\" else -1.0\n"
                 "        improved = self.best_value is None or sign * (value - self.best_value) > self.min_delta\n"),
            Edit("training.py",
                 "    with torch.no_grad():\n        for x, y in loader:\n            x, y = x.to(device), y.to(device)\n"
                 "            scores = model(x)  # (B, C)\n"
                 "            total_loss += F.cross_entropy(scores, y, reduction=\"sum\").item()\n",
                 "    with torch.inference_mode():\n        for x, y in loader:\n            x, y = x.to(device), y.to(device)\n"
                 "            scores = model(x)  # (B, C)\n"
                 "            total_loss += F.cross_entropy(scores, y).item() * len(y)\n"),
        ),
    ),
]
