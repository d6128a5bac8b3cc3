"""Simulated students of a3 `generative_adversarial_networks`: planted mistakes in the noise, the
networks, the losses and the training step, costing exactly the cells listed (a binary
cross-entropy that overflows also breaks the GAN losses built on it), and one correct solution
written differently. Each broken student carries two mistakes in functions that do not call
each other and cost disjoint cells, so one notebook run proves both."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("generative_adversarial_networks",)
GID = "a3_generative_adversarial_networks"
MODULE = "gan.py"

MLP_DISCRIMINATOR = (
    "    model = nn.Sequential(\n"
    "        nn.Flatten(), nn.Linear(784, 256), nn.LeakyReLU(0.01), nn.Linear(256, 256), nn.LeakyReLU(0.01), nn.Linear(256, 1),\n"
    "        nn.Flatten(0),\n"
    "    )  # fmt: skip\n"
)

STUDENTS = [
    SimulatedStudent(
        "generative_adversarial_networks_alt_correct",
        "correct, written differently: noise with uniform_ on an empty tensor; the MLP discriminator "
        "as its own nn.Module class; the cross-entropy through torch.logaddexp; the losses as sums "
        "over counts; the step clearing gradients by setting them to None",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, "    noise = 2 * torch.rand(batch_size, dim, generator=generator, device=device) - 1\n",
                 "    noise = torch.empty(batch_size, dim, device=device).uniform_(-1, 1, generator=generator)\n"),
            Edit(MODULE, MLP_DISCRIMINATOR,
                 "    class Discriminator(nn.Module):\n"
                 "        def __init__(self):\n"
                 "            super().__init__()\n"
                 "            self.hidden = nn.Linear(784, 256)\n"
                 "            self.middle = nn.Linear(256, 256)\n"
                 "            self.score = nn.Linear(256, 1)\n"
                 "\n"
                 "        def forward(self, images):\n"
                 "            x = nn.functional.leaky_relu(self.hidden(images.reshape(len(images), -1)), 0.01)\n"
                 "            x = nn.functional.leaky_relu(self.middle(x), 0.01)\n"
                 "            return self.score(x)[:, 0]\n"
                 "\n"
                 "    model = Discriminator()\n"),
            Edit(MODULE, "    loss = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))\n",
                 "    loss = (1 - targets) * logits + torch.logaddexp(torch.zeros_like(logits), -logits)\n"),
            Edit(MODULE, "    loss = -bce_from_logits(fake_logits, torch.zeros_like(fake_logits)).mean()\n",
                 "    loss = -bce_from_logits(fake_logits, 0 * fake_logits).sum() / fake_logits.numel()\n"),
            Edit(MODULE, "    loss = 0.5 * ((fake_scores - 1) ** 2).mean()\n",
                 "    loss = ((fake_scores - 1) * (fake_scores - 1)).sum() / (2 * len(fake_scores))\n"),
            Edit(MODULE, "    d_optimizer.zero_grad()\n    loss_d =",
                 "    for parameter in discriminator.parameters():\n"
                 "        parameter.grad = None\n"
                 "    loss_d ="),
        ),
    ),
    SimulatedStudent(
        "noise_gaussian_and_labels_swapped",
        "the noise is standard normal instead of uniform on [-1, 1); and the discriminator loss calls "
        "real images fake and generated ones real (so the DCGAN trained with it never learns)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    noise = 2 * torch.rand(batch_size, dim, generator=generator, device=device) - 1\n",
                    "    noise = torch.randn(batch_size, dim, generator=generator, device=device)\n"),
               Edit(MODULE, "    loss = bce_from_logits(real_logits, torch.ones_like(real_logits)).mean() + \\\n"
                            "        bce_from_logits(fake_logits, torch.zeros_like(fake_logits)).mean()\n",
                    "    loss = bce_from_logits(real_logits, torch.zeros_like(real_logits)).mean() + \\\n"
                    "        bce_from_logits(fake_logits, torch.ones_like(fake_logits)).mean()\n")),
        loses=(f"{GID}_noise", f"{GID}_gan_losses", f"{GID}_dcgan_training"),
    ),
    SimulatedStudent(
        "bce_through_sigmoid_and_ls_generator_to_zero",
        "the cross-entropy computed literally, log of the sigmoid: infinite for large logits; and the "
        "LSGAN generator pulls its fakes' scores to 0 (the discriminator's target for fakes)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    loss = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))\n",
                    "    p = 1 / (1 + torch.exp(-logits))\n"
                    "    loss = -targets * torch.log(p) - (1 - targets) * torch.log(1 - p)\n"),
               Edit(MODULE, "    loss = 0.5 * ((fake_scores - 1) ** 2).mean()\n", "    loss = 0.5 * (fake_scores**2).mean()\n")),
        loses=(f"{GID}_bce_from_logits", f"{GID}_gan_losses", f"{GID}_ls_losses"),
    ),
    SimulatedStudent(
        "relu_discriminator_and_generator_gradients_kept",
        "the MLP discriminator uses ReLU where the notebook says LeakyReLU(0.01); and the training step "
        "never zeroes the generator's gradients, so they pile up from step to step",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, MLP_DISCRIMINATOR, MLP_DISCRIMINATOR.replace("nn.LeakyReLU(0.01)", "nn.ReLU()")),
               Edit(MODULE, "    g_optimizer.zero_grad()\n    loss_g =", "    loss_g =")),
        loses=(f"{GID}_mlp_networks", f"{GID}_gan_step"),
    ),
]
