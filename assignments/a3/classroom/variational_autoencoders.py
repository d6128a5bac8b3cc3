"""Simulated students of a3 `variational_autoencoders`: planted mistakes in the reparameterisation,
the KL term, the likelihood, the forward pass and the conditional inputs, costing exactly the
cells listed (a wrong term also makes the negative ELBO built on it wrong, and a loss that does
not train fails the training bar), and one correct solution written differently. The KL's and
the likelihood's mistakes each share their notebook run with a mistake in a function they do not
call (the reparameterisation, the conditional inputs), costing disjoint cells."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("variational_autoencoders",)
GID = "a3_variational_autoencoders"
MODULE = "vae.py"

ONE_HOT = (
    "        one_hot = torch.zeros(len(labels), self.classes, dtype=flat_images.dtype, device=flat_images.device)\n"
    "        one_hot[torch.arange(len(labels), device=labels.device), labels] = 1\n"
    "        joined = torch.cat([flat_images, one_hot], dim=1)\n"
)

STUDENTS = [
    SimulatedStudent(
        "variational_autoencoders_alt_correct",
        "correct, written differently: noise from torch.randn with the shape, dtype and device of mu; "
        "the KL with torch.sum; the likelihood through torch.logaddexp; the ELBO as a sum over the "
        "batch divided by its size; one-hot rows picked from an identity matrix",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, "    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n",
                 "    eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device)\n"
                 "    z = eps * logvar.mul(0.5).exp() + mu\n"),
            Edit(MODULE, "    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)\n",
                 "    kl = 0.5 * torch.sum(mu * mu + torch.exp(logvar) - logvar - 1, dim=-1)\n"),
            Edit(MODULE, "    per_pixel = logits * images - logits.clamp(min=0) - torch.log1p(torch.exp(-logits.abs()))\n"
                         "    log_likelihood = per_pixel.flatten(1).sum(dim=1)\n",
                 "    flat_logits, flat_images = logits.reshape(len(logits), -1), images.reshape(len(images), -1)\n"
                 "    log_likelihood = (flat_images * flat_logits - torch.logaddexp(torch.zeros_like(flat_logits), flat_logits)).sum(-1)\n"),
            Edit(MODULE, "    loss = (kl_divergence(mu, logvar) - bernoulli_log_likelihood(logits, images)).mean()\n",
                 "    per_image = kl_divergence(mu, logvar) - bernoulli_log_likelihood(logits, images)\n"
                 "    loss = per_image.sum() / len(per_image)\n"),
            Edit(MODULE, ONE_HOT,
                 "        one_hot = torch.eye(self.classes, dtype=flat_images.dtype, device=flat_images.device)[labels]\n"
                 "        joined = torch.cat((flat_images, one_hot), 1)\n"),
            Edit(MODULE, "        joined = self.encoder_input(z, labels)\n",
                 "        joined = torch.cat((z, torch.eye(self.classes, dtype=z.dtype, device=z.device)[labels]), 1)\n"),
        ),
    ),
    SimulatedStudent(
        "reparameterize_with_the_variance_and_kl_wrong_sign",
        "the noise is scaled by the variance exp(logvar) instead of the standard deviation; and the KL "
        "term has the wrong sign, so training pushes the codes away from the prior",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n",
                    "    z = mu + torch.exp(logvar) * torch.randn_like(mu)\n"),
               Edit(MODULE, "    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)\n",
                    "    kl = 0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)\n")),
        loses=(f"{GID}_reparameterize", f"{GID}_kl_divergence", f"{GID}_negative_elbo", f"{GID}_training"),
    ),
    SimulatedStudent(
        "likelihood_ignores_dark_pixels_and_conditional_encoder_not_told",
        "the log-likelihood keeps only x log p and drops the (1 - x) log(1 - p) of dark pixels; and the "
        "conditional VAE's encoder is not given the label (only the decoder is)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "    per_pixel = logits * images - logits.clamp(min=0) - torch.log1p(torch.exp(-logits.abs()))\n",
                    "    per_pixel = images * (-logits.clamp(max=0) - torch.log1p(torch.exp(-logits.abs())))\n"),
               Edit(MODULE, ONE_HOT, "        joined = flat_images\n"),
               Edit(MODULE, "        joined = self.encoder_input(z, labels)\n",
                    "        one_hot = torch.zeros(len(labels), self.classes, dtype=z.dtype, device=z.device)\n"
                    "        one_hot[torch.arange(len(labels), device=labels.device), labels] = 1\n"
                    "        joined = torch.cat([z, one_hot], dim=1)\n")),
        loses=(f"{GID}_log_likelihood", f"{GID}_negative_elbo", f"{GID}_training", f"{GID}_conditional"),
    ),
    SimulatedStudent(
        "forward_decodes_the_mean",
        "the forward pass decodes mu itself and never samples, so the decoder never learns to read "
        "the noisy codes the ELBO is measured on and the trained VAE misses the training bar",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "        logits = self.decode(reparameterize(mu, logvar), labels)\n",
                    "        logits = self.decode(mu, labels)\n"),),
        loses=(f"{GID}_vae_forward", f"{GID}_training"),
    ),
]
