"""Denoising diffusion (assignment a3, notebook diffusion): a fixed forward process turns an
image into noise in T small Gaussian steps; a network learns to predict the noise that was
added, and running the process backwards from pure noise, one denoising step at a time, draws
new images (DDPM); DDIM takes far fewer, deterministic steps with the same network, and
classifier-free guidance steers samples towards a class.

Images are Fashion-MNIST scaled to [-1, 1]: x0 is (N, 1, 28, 28). Time steps t are integers in
0..T-1 (T = 1000 by default); t = 0 is the least noisy step. Schedules are float64 tensors (T,).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

TRAIN_STEPS = 1000

# ---------------------------------------------------------------------------------------------
# 1. The noise schedule


def linear_betas(steps: int = TRAIN_STEPS, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """The variances beta_t of the forward steps, evenly spaced from beta_start (t = 0) to
    beta_end (t = steps - 1): float64 (steps,)."""
    ### BEGIN SOLUTION
    betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)
    ### END SOLUTION
    return betas


def cosine_betas(steps: int = TRAIN_STEPS, offset: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """The cosine schedule: alpha_bar(s) = cos((s + offset) / (1 + offset) * pi / 2)^2 for s in
    [0, 1], and beta_t = min(1 - alpha_bar((t + 1) / steps) / alpha_bar(t / steps), max_beta):
    float64 (steps,), without a Python loop over the steps."""
    ### BEGIN SOLUTION
    s = torch.arange(steps + 1, dtype=torch.float64) / steps
    alpha_bar = torch.cos((s + offset) / (1 + offset) * math.pi / 2) ** 2
    betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)
    ### END SOLUTION
    return betas


class NoiseSchedule:
    """Given: a schedule's betas (T,) and what follows from them, all float64 on the CPU:
    alphas = 1 - betas, alpha_bars, their running product (alpha_bar_t = prod_{s<=t} alpha_s), and
    alpha_bars_prev, the same shifted by one step (alpha_bar_{t-1}, with alpha_bar_{-1} = 1)."""

    def __init__(self, betas: torch.Tensor):
        self.betas = betas.to(torch.float64).cpu()
        self.alphas = 1 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)
        self.alpha_bars_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])

    def __len__(self) -> int:
        return len(self.betas)


def gather(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Given: values[t] for a schedule's values (T,) and time steps t int64 (N,), as (N, 1, ..., 1)
    with the dtype and device of `like` (N, ...), ready to multiply images."""
    picked = values.to(like.device)[t.to(like.device)].to(like.dtype)
    return picked.reshape(len(t), *([1] * (like.dim() - 1)))


# ---------------------------------------------------------------------------------------------
# 2. The forward process and the training loss


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, schedule: NoiseSchedule) -> torch.Tensor:
    """A draw of x_t ~ q(x_t | x_0) in closed form: sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise,
    for images x0 and noise (N, ...) and a time step per image, t int64 (N,)."""
    ### BEGIN SOLUTION
    alpha_bar = gather(schedule.alpha_bars, t, x0)
    xt = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
    ### END SOLUTION
    return xt


def noise_prediction_loss(model: nn.Module, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: NoiseSchedule,
                          labels: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
    """The epsilon-prediction loss: noise x0 to x_t with `add_noise`, ask model(x_t, t, labels)
    for the noise, and return the mean over every value of (prediction - noise)^2 (a scalar)."""
    ### BEGIN SOLUTION
    predicted = model(add_noise(x0, noise, t, schedule), t, labels)
    loss = ((predicted - noise) ** 2).mean()
    ### END SOLUTION
    return loss


# ---------------------------------------------------------------------------------------------
# 3. The reverse process


def predicted_x0(xt: torch.Tensor, eps: torch.Tensor, t: torch.Tensor, schedule: NoiseSchedule) -> torch.Tensor:
    """The clean image implied by a noise prediction: (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t);
    xt, eps (N, ...), t int64 (N,)."""
    ### BEGIN SOLUTION
    alpha_bar = gather(schedule.alpha_bars, t, xt)
    x0 = (xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
    ### END SOLUTION
    return x0


def posterior(x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor, schedule: NoiseSchedule) -> tuple[torch.Tensor, torch.Tensor]:
    """The Gaussian q(x_{t-1} | x_t, x_0): its mean (N, ...) and its variance (N, 1, ..., 1),
        mean = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x0 + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t,
        variance = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t,
    with alpha_bar_{-1} = 1 (so at t = 0 the mean is x0 and the variance 0; `schedule.alpha_bars_prev`
    holds alpha_bar_{t-1}); t int64 (N,)."""
    ### BEGIN SOLUTION
    alpha_bar = gather(schedule.alpha_bars, t, xt)
    alpha_bar_prev = gather(schedule.alpha_bars_prev, t, xt)
    beta, alpha = gather(schedule.betas, t, xt), gather(schedule.alphas, t, xt)
    mean = (alpha_bar_prev.sqrt() * beta * x0 + alpha.sqrt() * (1 - alpha_bar_prev) * xt) / (1 - alpha_bar)
    variance = (1 - alpha_bar_prev) / (1 - alpha_bar) * beta
    ### END SOLUTION
    return mean, variance


def ddpm_step(eps: torch.Tensor, xt: torch.Tensor, t: int, schedule: NoiseSchedule, noise: torch.Tensor | None,
              clip: bool = True) -> torch.Tensor:  # fmt: skip
    """One ancestral step from x_t to x_{t-1}, every image at the same step t (a Python int):
    predict x0 from eps (clamped to [-1, 1] when `clip`), take the posterior's mean and variance
    for that x0, and return mean + sqrt(variance) * noise; at t = 0 return the mean (noise may then be None)."""
    ### BEGIN SOLUTION
    steps = torch.full((len(xt),), t, dtype=torch.int64, device=xt.device)
    x0 = predicted_x0(xt, eps, steps, schedule)
    if clip:
        x0 = x0.clamp(-1, 1)
    mean, variance = posterior(x0, xt, steps, schedule)
    previous = mean if t == 0 else mean + variance.sqrt() * noise
    ### END SOLUTION
    return previous


def ddpm_sample(model_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], shape: tuple[int, ...], schedule: NoiseSchedule,
                generator: torch.Generator, clip: bool = True) -> torch.Tensor:  # fmt: skip
    """Ancestral sampling: x_T = randn(shape) drawn from `generator` (on the generator's device),
    then for t = T-1 down to 0: eps = model_fn(x, t as int64 (N,)), and x = ddpm_step(...) with
    noise = randn(shape) drawn from `generator` just before each step with t > 0 (none at t = 0).
    Returns x_0 (shape) in the dtype float32."""
    ### BEGIN SOLUTION
    device = generator.device
    x = torch.randn(shape, generator=generator, device=device)
    for t in range(len(schedule) - 1, -1, -1):
        eps = model_fn(x, torch.full((shape[0],), t, dtype=torch.int64, device=device))
        noise = torch.randn(shape, generator=generator, device=device) if t > 0 else None
        x = ddpm_step(eps, x, t, schedule, noise, clip)
    ### END SOLUTION
    return x


def ddim_timesteps(train_steps: int, sample_steps: int) -> list[int]:
    """Given: the time steps DDIM visits, evenly spaced and largest first:
    [(sample_steps - 1) k, ..., k, 0] with k = train_steps // sample_steps."""
    stride = train_steps // sample_steps
    return [i * stride for i in range(sample_steps - 1, -1, -1)]


def ddim_step(eps: torch.Tensor, xt: torch.Tensor, alpha_bar_t: float, alpha_bar_prev: float, eta: float = 0.0,
              noise: torch.Tensor | None = None, clip: bool = True) -> torch.Tensor:  # fmt: skip
    """One DDIM step from x_t to an earlier step whose alpha_bar is alpha_bar_prev (1 after the last step):
        x0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t), clamped to [-1, 1] when `clip`;
        sigma = eta sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_prev);
        x_prev = sqrt(alpha_bar_prev) x0 + sqrt(1 - alpha_bar_prev - sigma^2) eps + sigma noise
    (the unclamped eps in the middle term; no noise term when eta = 0, and noise may then be None)."""
    ### BEGIN SOLUTION
    x0 = (xt - math.sqrt(1 - alpha_bar_t) * eps) / math.sqrt(alpha_bar_t)
    if clip:
        x0 = x0.clamp(-1, 1)
    sigma = eta * math.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t) * (1 - alpha_bar_t / alpha_bar_prev))
    previous = math.sqrt(alpha_bar_prev) * x0 + math.sqrt(1 - alpha_bar_prev - sigma**2) * eps
    if eta > 0:
        previous = previous + sigma * noise
    ### END SOLUTION
    return previous


def ddim_sample(model_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], shape: tuple[int, ...], schedule: NoiseSchedule,
                steps: int, generator: torch.Generator, clip: bool = True) -> torch.Tensor:  # fmt: skip
    """Deterministic DDIM sampling (eta = 0) in `steps` steps: x = randn(shape) drawn from
    `generator` (on its device); for each t of ddim_timesteps(T, steps), eps = model_fn(x, t as
    int64 (N,)) and a ddim_step to the next visited step (alpha_bar = 1 after t = 0). Returns x_0."""
    ### BEGIN SOLUTION
    device = generator.device
    x = torch.randn(shape, generator=generator, device=device)
    visited = ddim_timesteps(len(schedule), steps)
    for t, t_prev in zip(visited, visited[1:] + [-1]):
        eps = model_fn(x, torch.full((shape[0],), t, dtype=torch.int64, device=device))
        alpha_bar_prev = schedule.alpha_bars[t_prev].item() if t_prev >= 0 else 1.0
        x = ddim_step(eps, x, schedule.alpha_bars[t].item(), alpha_bar_prev, clip=clip)
    ### END SOLUTION
    return x


# ---------------------------------------------------------------------------------------------
# 4. The network: a small U-Net told the time step (and the class)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal features of the time steps t (N,) (ints or floats): (N, dim) float32, the sines
    then the cosines of t * w_i for the dim / 2 frequencies w_i = max_period^(-i / (dim / 2 - 1)),
    i = 0 .. dim / 2 - 1 (from 1 down to 1 / max_period). dim is even and at least 4."""
    ### BEGIN SOLUTION
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / (half - 1))
    angles = t.float()[:, None] * frequencies[None, :]
    embedding = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    ### END SOLUTION
    return embedding


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions, each after a GroupNorm and a SiLU, with the time (and class)
    embedding added per channel in between, and a shortcut around them:
        h = conv1(silu(norm1(x))) + time(emb)[:, :, None, None]
        out = conv2(silu(norm2(h))) + shortcut(x)
    x (N, in_channels, H, W), emb (N, embedding_dim) -> (N, out_channels, H, W)."""

    def __init__(self, in_channels: int, out_channels: int, embedding_dim: int, groups: int = 8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time = nn.Linear(embedding_dim, out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        h = self.conv1(nn.functional.silu(self.norm1(x))) + self.time(emb)[:, :, None, None]
        out = self.conv2(nn.functional.silu(self.norm2(h))) + self.shortcut(x)
        ### END SOLUTION
        return out


class UNet(nn.Module):
    """A two-level U-Net for (N, 1, 28, 28) images at widths c1, c2, c3 = `channels`:
        emb = embed(timestep_embedding(t, c1)) [+ label_embedding(labels)]
        h0 = down0(stem(x), emb)                      (N, c1, 28, 28), kept as a skip
        h1 = down1(downsample0(h0), emb)              (N, c2, 14, 14), kept as a skip
        m = middle1(downsample1(h1), emb); m = middle2(m, emb)    (N, c3, 7, 7)
        u1 = up1(cat([upsample1(m), h1]), emb)         (N, c2, 14, 14)
        u0 = up0(cat([upsample0(u1), h0]), emb)        (N, c1, 28, 28)
        out = head(u0)                                 (N, 1, 28, 28): the predicted noise
    cat joins channels, the upsampled map first. With `classes`, labels int64 (N,) select a learned
    embedding; the label `classes` (or labels=None) means "no class", for classifier-free guidance."""

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 64), classes: int | None = 10):
        super().__init__()
        c1, c2, c3 = channels
        width = 4 * c1
        self.channels, self.classes = channels, classes
        self.embed = nn.Sequential(nn.Linear(c1, width), nn.SiLU(), nn.Linear(width, width))
        self.label_embedding = nn.Embedding(classes + 1, width) if classes else None
        self.stem = nn.Conv2d(1, c1, 3, padding=1)
        self.down0 = ResidualBlock(c1, c1, width)
        self.downsample0 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down1 = ResidualBlock(c1, c2, width)
        self.downsample1 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.middle1 = ResidualBlock(c2, c3, width)
        self.middle2 = ResidualBlock(c3, c3, width)
        self.upsample1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c3, c3, 3, padding=1))
        self.up1 = ResidualBlock(c3 + c2, c2, width)
        self.upsample0 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c2, c2, 3, padding=1))
        self.up0 = ResidualBlock(c2 + c1, c1, width)
        self.head = nn.Sequential(nn.GroupNorm(8, c1), nn.SiLU(), nn.Conv2d(c1, 1, 3, padding=1))

    def embedding(self, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Given: the time (and class) embedding (N, 4 c1) of time steps t (N,) and labels (N,) or None."""
        features = timestep_embedding(t, self.channels[0])
        emb = self.embed(features.to(self.embed[0].weight.dtype))
        if self.label_embedding is not None:
            if labels is None:
                labels = torch.full_like(t, self.classes, dtype=torch.int64)
            emb = emb + self.label_embedding(labels)
        return emb

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        ### BEGIN SOLUTION
        emb = self.embedding(t, labels)
        h0 = self.down0(self.stem(x), emb)
        h1 = self.down1(self.downsample0(h0), emb)
        m = self.middle2(self.middle1(self.downsample1(h1), emb), emb)
        u1 = self.up1(torch.cat([self.upsample1(m), h1], dim=1), emb)
        u0 = self.up0(torch.cat([self.upsample0(u1), h0], dim=1), emb)
        out = self.head(u0)
        ### END SOLUTION
        return out


# ---------------------------------------------------------------------------------------------
# 5. Classifier-free guidance


def guided_noise(model: UNet, xt: torch.Tensor, t: torch.Tensor, labels: torch.Tensor, scale: float) -> torch.Tensor:
    """The guided noise prediction eps_free + scale (eps_class - eps_free), where eps_class =
    model(xt, t, labels) and eps_free = model(xt, t, "no class" = model.classes for every image):
    scale 0 is unconditional, 1 plain conditional, above 1 pushes further towards the class.
    xt (N, 1, 28, 28), t and labels int64 (N,) -> (N, 1, 28, 28)."""
    ### BEGIN SOLUTION
    no_class = torch.full_like(labels, model.classes)
    both = model(torch.cat([xt, xt]), torch.cat([t, t]), torch.cat([labels, no_class]))
    eps_class, eps_free = both.chunk(2)
    guided = eps_free + scale * (eps_class - eps_free)
    ### END SOLUTION
    return guided


# ---------------------------------------------------------------------------------------------
# Given: data scaling, training and sampling helpers


def to_model_range(images: torch.Tensor) -> torch.Tensor:
    """Given: images in [0, 1] -> [-1, 1]."""
    return images * 2 - 1


def to_images(x: torch.Tensor) -> torch.Tensor:
    """Given: samples in [-1, 1] -> images in [0, 1] (clamped), on the CPU."""
    return ((x + 1) / 2).clamp(0, 1).float().cpu()


def train_diffusion(model: UNet, images: torch.Tensor, labels: torch.Tensor | None, schedule: NoiseSchedule, *, steps: int,
                    batch_size: int = 128, learning_rate: float = 2e-3, label_dropout: float = 0.1, seed: int = 0,
                    ema_decay: float | None = 0.999) -> tuple[list[float], UNet]:  # fmt: skip
    """Given: AdamW with a short warm-up and a cosine decay on `noise_prediction_loss`, batches of
    images (N, 1, 28, 28) in [0, 1] drawn at random with a uniform time step per image; a label is
    replaced by "no class" with probability `label_dropout`. Returns the loss of each step and an
    exponential moving average of the weights (the model itself when ema_decay is None)."""
    import copy

    device = images.device
    generator = torch.Generator(device=device).manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    warmup = max(1, steps // 20)
    schedule_lr = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: min(1.0, (k + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps)))
    average = copy.deepcopy(model).eval().requires_grad_(False) if ema_decay else model
    history = []
    model.train()
    for _ in range(steps):
        picked = torch.randint(len(images), (batch_size,), generator=generator, device=device)
        x0 = to_model_range(images[picked])
        t = torch.randint(len(schedule), (batch_size,), generator=generator, device=device)
        noise = torch.randn(x0.shape, generator=generator, device=device)
        batch_labels = None
        if labels is not None and model.classes:
            batch_labels = labels[picked].clone()
            dropped = torch.rand(batch_size, generator=generator, device=device) < label_dropout
            batch_labels[dropped] = model.classes
        loss = noise_prediction_loss(model, x0, t, noise, schedule, batch_labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule_lr.step()
        if ema_decay:
            with torch.no_grad():
                for kept, current in zip(average.parameters(), model.parameters()):
                    kept.lerp_(current, 1 - ema_decay)
        history.append(loss.item())
    model.eval()
    return history, average
