"""Variational autoencoders (assignment a3, notebook variational_autoencoders): an encoder maps an
image to a Gaussian over latent codes, a decoder maps a code back to pixel probabilities, and
both are trained by maximising the evidence lower bound (ELBO) on the images' log-likelihood.

Images are Fashion-MNIST (N, 1, 28, 28) in [0, 1], read as the probabilities of Bernoulli
pixels; latent codes are (N, latent_dim); the decoder returns logits (N, 1, 28, 28). Everything
is in nats (natural logarithms).
"""

from __future__ import annotations

import torch
from torch import nn

PIXELS = 28 * 28

# ---------------------------------------------------------------------------------------------
# The pieces of the ELBO, from the formulas


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A sample z ~ N(mu, exp(logvar)) written as z = mu + sigma * eps with eps ~ N(0, I) drawn
    here (mu, logvar, z: (N, D)), so that gradients flow to mu and logvar."""
    # YOUR CODE HERE
    raise NotImplementedError('reparameterize: write your code here')
    return z


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, diag exp(logvar)) || N(0, I) ) of each row, in closed form: (N, D) -> (N,),
    -1/2 sum over d of (1 + logvar - mu^2 - exp(logvar))."""
    # YOUR CODE HERE
    raise NotImplementedError('kl_divergence: write your code here')
    return kl


def bernoulli_log_likelihood(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """log p(x | z) of each image under independent Bernoulli pixels with probabilities
    sigmoid(logits): the sum over its pixels of x log p + (1 - x) log(1 - p), for x in [0, 1].
    logits, images: (N, ...) -> (N,). Stable for any finite logit (no sigmoid then log)."""
    # YOUR CODE HERE
    raise NotImplementedError('bernoulli_log_likelihood: write your code here')
    return log_likelihood


def negative_elbo(logits: torch.Tensor, images: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The negative ELBO averaged over the batch, a scalar in nats per image:
    mean over images of ( -log p(x | z) + KL(q(z | x) || p(z)) )."""
    # YOUR CODE HERE
    raise NotImplementedError('negative_elbo: write your code here')
    return loss


# ---------------------------------------------------------------------------------------------
# The models


class VAE(nn.Module):
    """Encoder: flatten, Linear 784 -> hidden, ReLU, Linear hidden -> hidden, ReLU, then two heads
    Linear hidden -> latent_dim for mu and for logvar. Decoder: Linear latent_dim -> hidden, ReLU,
    Linear hidden -> hidden, ReLU, Linear hidden -> 784, reshaped to (1, 28, 28) logits.
    Subclasses feed extra inputs (a class) through `encoder_input` and `decoder_input`."""

    def __init__(self, latent_dim: int = 16, hidden: int = 400, extra: int = 0):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(PIXELS + extra, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim + extra, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, PIXELS), nn.Unflatten(1, (1, 28, 28)))  # fmt: skip

    def encode(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, 28, 28) -> mu, logvar, each (N, latent_dim)."""
        hidden = self.encoder(self.encoder_input(images.flatten(1), labels))
        return self.mu(hidden), self.logvar(hidden)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """(N, latent_dim) -> logits (N, 1, 28, 28)."""
        return self.decoder(self.decoder_input(z, labels))

    def encoder_input(self, flat_images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return flat_images

    def decoder_input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return z

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """images (N, 1, 28, 28) -> (logits (N, 1, 28, 28), mu, logvar): encode, draw z with
        `reparameterize`, decode z. Pass `labels` on to encode and decode."""
        # YOUR CODE HERE
        raise NotImplementedError('forward: write your code here')
        return logits, mu, logvar


class ConditionalVAE(VAE):
    """A VAE told the class: the one-hot label (10 values) is appended to the flattened image at
    the encoder's input and to z at the decoder's input."""

    def __init__(self, latent_dim: int = 16, hidden: int = 400, classes: int = 10):
        super().__init__(latent_dim, hidden, extra=classes)
        self.classes = classes

    def encoder_input(self, flat_images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """(N, 784), labels int64 (N,) -> (N, 784 + classes): the image, then the one-hot label."""
        # YOUR CODE HERE
        raise NotImplementedError('encoder_input: write your code here')
        return joined

    def decoder_input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """(N, latent_dim), labels int64 (N,) -> (N, latent_dim + classes): z, then the one-hot label."""
        # YOUR CODE HERE
        raise NotImplementedError('decoder_input: write your code here')
        return joined


# ---------------------------------------------------------------------------------------------
# Given: training, evaluation and sampling


def train_vae(model: VAE, images: torch.Tensor, labels: torch.Tensor | None = None, *, epochs: int, batch_size: int = 128,
              learning_rate: float = 1e-3, seed: int = 0) -> list[float]:  # fmt: skip
    """Given: Adam on `negative_elbo` over shuffled batches of images (N, 1, 28, 28) in [0, 1]
    (with their labels for a conditional VAE); returns the mean loss of each epoch."""
    generator = torch.Generator(device=images.device).manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    batches = len(images) // batch_size
    history = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator, device=images.device)
        total = 0.0
        for b in range(batches):
            picked = order[b * batch_size:(b + 1) * batch_size]
            batch_labels = None if labels is None else labels[picked]
            logits, mu, logvar = model(images[picked], batch_labels)
            loss = negative_elbo(logits, images[picked], mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        history.append(total / batches)
    model.eval()
    return history


@torch.no_grad()
def evaluate_negative_elbo(model: VAE, images: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 1000) -> float:
    """Given: the negative ELBO in nats per image over `images`, one z drawn per image (seeded)."""
    torch.manual_seed(0)
    model.eval()
    total = 0.0
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        batch_labels = None if labels is None else labels[start:start + batch_size]
        logits, mu, logvar = model(batch, batch_labels)
        total += negative_elbo(logits, batch, mu, logvar).item() * len(batch)
    return total / len(images)


@torch.no_grad()
def sample(model: VAE, count: int, labels: torch.Tensor | None = None, *, seed: int = 0) -> torch.Tensor:
    """Given: decode `count` codes z ~ N(0, I) (for the given labels (count,) in a conditional
    VAE) and return the pixel probabilities sigmoid(logits), (count, 1, 28, 28) on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    z = torch.randn(count, model.latent_dim, generator=torch.Generator(device=device).manual_seed(seed), device=device)
    return torch.sigmoid(model.decode(z, labels)).cpu()
