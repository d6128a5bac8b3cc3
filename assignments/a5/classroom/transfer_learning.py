"""Simulated students of a5 `transfer_learning`: one correct solution written differently and
broken ones, each handing in only transfer_learning.ipynb; `dl4cv prove a5 --notebook
transfer_learning` grades them and checks each scores exactly as listed. The first broken student's
mistakes sit where the notebook's training never goes (a frozen backbone, frozen modules in the
rate groups, shrinking images), so they cost only their own cells; the second's change the
training itself (batch norm in training mode, one shift for a whole batch, a schedule that ends
early), and batch norm in training mode drops fine-tuning below training from scratch."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "transfer_learning.py"
NOTEBOOK = ("transfer_learning",)
P = "a5_transfer_learning_"

RESIZE = """    resized = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return resized.expand(-1, 3, -1, -1) if resized.shape[1] == 1 else resized
"""
CROP = """    n, c, h, w = images.shape
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(images.device)
    mirror = (torch.rand(n, generator=generator) < 0.5).to(images.device)
    padded = F.pad(images, (padding,) * 4)
    rows = offsets[:, :1] + torch.arange(h, device=images.device)  # (N, H)
    cols = offsets[:, 1:] + torch.arange(w, device=images.device)  # (N, W)
    cols = torch.where(mirror[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
"""
EXTRACT = """    was_training = network.training
    network.eval()
    trunk = network.features[:blocks] if blocks is not None else network.features
    chunks = [trunk(imagenet_normalise(chunk)).mean((2, 3)) for chunk in images.split(batch_size)]
    network.train(was_training)
    return torch.cat(chunks)
"""
INIT = """        blocks = len(backbone.features) if blocks is None else blocks
        self.features = nn.Sequential(*list(backbone.features)[:blocks])
"""
TRAIN = """        super().train(mode)
        if self.freeze_backbone:
            self.features.eval()
        elif self.freeze_batchnorm:
            for module in self.features.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self
"""
FORWARD = """        pooled = self.features(imagenet_normalise(images)).mean((2, 3))
        return self.head(self.dropout(pooled))
"""
GROUPS = """    blocks = list(model.features)
    named = [(model.head, base_lr)] + [(blocks[i], base_lr * decay ** (len(blocks) - i)) for i in reversed(range(len(blocks)))]
    groups = []
    for module, lr in named:
        params = [p for p in module.parameters() if p.requires_grad]
        if params:
            groups.append({"params": params, "lr": lr})
    return groups
"""
SCHEDULE = """    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return 0.5 * (1.0 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps)))
"""

ALT_CORRECT = (
    Edit(MODULE, RESIZE, """    if images.shape[1] == 1:
        images = torch.cat([images, images, images], dim=1)
    return F.interpolate(images, size=[size, size], mode="bilinear", antialias=True)
"""),
    # mirrors first (flipping the padded image, then cropping), then the two offsets: other draws
    Edit(MODULE, CROP, """    n, c, h, w = images.shape
    device = images.device
    flip = torch.rand(n, generator=generator).lt(0.5).to(device)
    dy = torch.randint(2 * padding + 1, (n,), generator=generator).to(device)
    dx = torch.randint(2 * padding + 1, (n,), generator=generator).to(device)
    padded = F.pad(images, [padding, padding, padding, padding])
    padded = torch.where(flip.view(n, 1, 1, 1), padded.flip(3), padded)
    rows = (dy.view(n, 1) + torch.arange(h, device=device)).view(n, 1, h, 1).expand(n, c, h, padded.shape[3])
    cols = (dx.view(n, 1) + torch.arange(w, device=device)).view(n, 1, 1, w).expand(n, c, h, w)
    return padded.gather(2, rows).gather(3, cols)
"""),
    Edit(MODULE, EXTRACT, """    modes = {module: module.training for module in network.modules()}
    network.train(False)
    layers = list(network.features)[: len(network.features) if blocks is None else blocks]
    out = []
    for start in range(0, len(images), batch_size):
        x = imagenet_normalise(images[start:start + batch_size])
        for layer in layers:
            x = layer(x)
        out.append(F.adaptive_avg_pool2d(x, 1).flatten(1))
    for module, mode in modes.items():
        module.training = mode
    return torch.cat(out, dim=0)
"""),
    Edit(MODULE, INIT, """        blocks = blocks or len(backbone.features)
        self.features = backbone.features[:blocks]
"""),
    Edit(MODULE, TRAIN, """        for module in self.modules():
            module.training = mode
        for module in self.features.modules():
            if self.freeze_backbone or (self.freeze_batchnorm and isinstance(module, nn.modules.batchnorm._BatchNorm)):
                module.training = False
        return self
"""),
    Edit(MODULE, FORWARD, """        x = self.features((images - EfficientNetLite0.MEAN) / EfficientNetLite0.STD)
        return self.head(self.dropout(F.adaptive_avg_pool2d(x, 1).flatten(1)))
"""),
    Edit(MODULE, GROUPS, """    depth = len(model.features)
    rates = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.startswith("head."):
            rates.setdefault(base_lr, []).append(param)
        else:
            index = int(name.split(".")[1])
            rates.setdefault(base_lr * decay ** (depth - index), []).append(param)
    return [{"params": params, "lr": lr} for lr, params in sorted(rates.items(), reverse=True)]
"""),
    Edit(MODULE, SCHEDULE, """    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return math.cos(math.pi * progress / 2) ** 2
"""),
)

STUDENTS = [
    SimulatedStudent("transfer_alt_correct", "everything right, written differently (cat and gather, hooks-free loops, "
                     "parameter names, cos²)", notebooks=NOTEBOOK, edits=ALT_CORRECT),
    SimulatedStudent(
        "transfer_frozen_but_training", "a frozen backbone left in training mode, rate groups holding frozen modules, "
        "resizing without antialiasing", notebooks=NOTEBOOK,
        edits=(Edit(MODULE, TRAIN, """        super().train(mode)
        if self.freeze_batchnorm:
            for module in self.features.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self
"""), Edit(MODULE, "        params = [p for p in module.parameters() if p.requires_grad]\n",
               "        params = list(module.parameters())\n"),
               Edit(MODULE, RESIZE, """    resized = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return resized.expand(-1, 3, -1, -1) if resized.shape[1] == 1 else resized
""")),
        loses=(P + "frozen_stays_frozen", P + "layerwise_param_groups", P + "to_network_input")),
    SimulatedStudent(
        "transfer_batchnorm_trains", "fine-tuning forgets eval() for batch norm, one shift and mirror for the whole "
        "batch, features that leave the network in evaluation mode, a cosine that reaches zero a step early",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "        elif self.freeze_batchnorm:\n", "        elif False:\n"),
               Edit(MODULE, "    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(images.device)\n"
                            "    mirror = (torch.rand(n, generator=generator) < 0.5).to(images.device)\n",
                    "    offsets = torch.randint(0, 2 * padding + 1, (1, 2), generator=generator).to(images.device).expand(n, 2)\n"
                    "    mirror = (torch.rand(1, generator=generator) < 0.5).to(images.device).expand(n)\n"),
               Edit(MODULE, "    network.train(was_training)\n    return torch.cat(chunks)\n", "    return torch.cat(chunks)\n"),
               Edit(MODULE, "(step - warmup_steps) / (total_steps - warmup_steps)))\n",
                    "(step - warmup_steps) / (total_steps - warmup_steps - 1)))\n")),
        # Batch norm in training mode is what sinks the fine-tuned accuracy, about 67% against 78% (the
        # other three mistakes alone leave it above the bar): the comparison costs its points too.
        loses=(P + "frozen_batchnorm", P + "random_crop_flip", P + "extract_features", P + "warmup_cosine",
               P + "three_ways")),
]
