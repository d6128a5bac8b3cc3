"""Simulated students of a3 `diffusion`: planted mistakes in the schedule, the forward process,
the reverse step, DDIM, the time embedding, the U-Net and guidance, costing exactly the cells
listed (a wrong closed form also makes the loss built on it wrong, and a wrong step makes the
sampler built on it wrong), and one correct solution written differently. Each broken student
carries two or three mistakes in functions that do not call each other and cost disjoint cells,
so one notebook run proves them all."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("diffusion",)
GID = "a3_diffusion"
MODULE = "diffusion.py"

STUDENTS = [
    SimulatedStudent(
        "diffusion_alt_correct",
        "correct, written differently: the linear schedule from arange, the cosine schedule from "
        "linspace; alpha_bar_{t-1} as alpha_bar_t / alpha_t; torch.sqrt on gathered tensors; the loss "
        "as a sum divided by the count; x0 clamped with torch.where; the frequencies as powers; "
        "nn.SiLU modules in the forwards; guidance from two network calls",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, "    betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)\n",
                 "    ramp = torch.arange(steps, dtype=torch.float64) / max(steps - 1, 1)\n"
                 "    betas = beta_start + (beta_end - beta_start) * ramp\n"),
            Edit(MODULE, "    s = torch.arange(steps + 1, dtype=torch.float64) / steps\n",
                 "    s = torch.linspace(0, 1, steps + 1, dtype=torch.float64)\n"),
            Edit(MODULE, "    xt = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise\n",
                 "    xt = torch.sqrt(alpha_bar) * x0 + torch.sqrt(1.0 - alpha_bar) * noise\n"),
            Edit(MODULE, "    loss = ((predicted - noise) ** 2).mean()\n",
                 "    difference = predicted - noise\n"
                 "    loss = (difference * difference).sum() / difference.numel()\n"),
            Edit(MODULE, "    alpha_bar_prev = gather(schedule.alpha_bars_prev, t, xt)\n",
                 "    alpha_bar_prev = gather(schedule.alpha_bars / schedule.alphas, t, xt)\n"),
            Edit(MODULE, "        x0 = x0.clamp(-1, 1)\n    mean, variance",
                 "        x0 = torch.where(x0 > 1, torch.ones_like(x0), torch.where(x0 < -1, -torch.ones_like(x0), x0))\n    mean, variance"),
            Edit(MODULE, "    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / (half - 1))\n",
                 "    frequencies = max_period ** (-torch.arange(half, device=t.device).float() / (half - 1))\n"),
            Edit(MODULE, "        h = self.conv1(nn.functional.silu(self.norm1(x))) + self.time(emb)[:, :, None, None]\n"
                         "        out = self.conv2(nn.functional.silu(self.norm2(h))) + self.shortcut(x)\n",
                 "        act = nn.SiLU()\n"
                 "        shift = self.time(emb).unsqueeze(-1).unsqueeze(-1)\n"
                 "        out = self.shortcut(x) + self.conv2(act(self.norm2(self.conv1(act(self.norm1(x))) + shift)))\n"),
            Edit(MODULE, "    no_class = torch.full_like(labels, model.classes)\n"
                         "    both = model(torch.cat([xt, xt]), torch.cat([t, t]), torch.cat([labels, no_class]))\n"
                         "    eps_class, eps_free = both.chunk(2)\n"
                         "    guided = eps_free + scale * (eps_class - eps_free)\n",
                 "    eps_class = model(xt, t, labels)\n"
                 "    eps_free = model(xt, t, torch.full_like(labels, model.classes))\n"
                 "    guided = (1 - scale) * eps_free + scale * eps_class\n"),
        ),
    ),
    SimulatedStudent(
        "noise_by_alpha_bar_and_guidance_pushes_away",
        "the closed form scales the image by alpha_bar and the noise by 1 - alpha_bar, not by their "
        "square roots; and classifier-free guidance extrapolates away from the class (the difference "
        "reversed)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    xt = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise\n",
                    "    xt = alpha_bar * x0 + (1 - alpha_bar) * noise\n"),
               Edit(MODULE, "    guided = eps_free + scale * (eps_class - eps_free)\n",
                    "    guided = eps_class + scale * (eps_free - eps_class)\n")),
        loses=(f"{GID}_add_noise", f"{GID}_loss", f"{GID}_guidance"),
    ),
    SimulatedStudent(
        "cosine_no_offset_unet_skips_swapped_ddim_ends_noisy",
        "the cosine schedule leaves out the 0.008 offset; and the U-Net's decoder puts the skip "
        "connection before the upsampled map; and DDIM's last step goes to alpha_bar_0 instead of the "
        "clean image (alpha_bar = 1), so samples keep a little noise",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    alpha_bar = torch.cos((s + offset) / (1 + offset) * math.pi / 2) ** 2\n",
                    "    alpha_bar = torch.cos(s * math.pi / 2) ** 2\n"),
               Edit(MODULE, "        u0 = self.up0(torch.cat([self.upsample0(u1), h0], dim=1), emb)\n",
                    "        u0 = self.up0(torch.cat([h0, self.upsample0(u1)], dim=1), emb)\n"),
               Edit(MODULE, "        alpha_bar_prev = schedule.alpha_bars[t_prev].item() if t_prev >= 0 else 1.0\n",
                    "        alpha_bar_prev = schedule.alpha_bars[max(t_prev, 0)].item()\n")),
        loses=(f"{GID}_schedules", f"{GID}_unet", f"{GID}_ddim"),
    ),
    SimulatedStudent(
        "ddpm_beta_variance_and_embedding_cosines_first",
        "the reverse step adds noise with variance beta_t instead of the posterior's, and also at "
        "t = 0, so samples stay noisy; and the time embedding puts the cosines before the sines",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    previous = mean if t == 0 else mean + variance.sqrt() * noise\n",
                    "    previous = mean + schedule.betas[t].sqrt().item() * noise\n"),
               Edit(MODULE, "    embedding = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)\n",
                    "    embedding = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)\n")),
        loses=(f"{GID}_ddpm_step", f"{GID}_ddpm_sample", f"{GID}_timestep_embedding"),
    ),
]
