"""Variational autoencoders over flat rows: MLP or convolutional, Bernoulli or Gaussian decoder.

``VariationalAutoencoder`` holds the encoder (a mean and a log-variance per
latent), the decoder, the Gaussian decoder's per-feature log-variance, an
optional density-ratio network ``T(z)`` for the implicit optimal prior, and
the fixed standard-normal draws that make an importance-sampled
log-likelihood a deterministic function of the row (the likelihoods
themselves are in ``pu_detect.losses.generative``).
"""

import math

import torch
from torch import nn

from .autoencoders import ConvAutoencoder
from .layers import mlp

#: The Gaussian decoder's log-variance is kept in [MIN_LOG_VARIANCE, MAX_LOG_VARIANCE]
#: (a standard deviation of 0.01 to 100): a constant feature would otherwise drive
#: its variance, and the likelihood, to infinity.
MIN_LOG_VARIANCE = -9.210340371976182  # log(1e-4)
MAX_LOG_VARIANCE = 9.210340371976182


class FeatureLogVariance(nn.Module):
    """One learned log-variance per feature (the Gaussian decoder's), starting at 0."""

    deterministic_init = True

    def __init__(self, n_features):
        super().__init__()
        self.value = nn.Parameter(torch.empty(n_features))

    def reset_parameters(self):
        with torch.no_grad():
            self.value.zero_()

    def forward(self):
        return self.value.clamp(MIN_LOG_VARIANCE, MAX_LOG_VARIANCE)


class DensityRatio(nn.Module):
    """``T(z)``: a tanh MLP from the latent space to one logit, with dropout before its last layer.

    tanh hidden units, as in Takahashi et al.'s code, keep ``T`` bounded by its
    output weights far from the samples it was trained on (ReLU units grow
    linearly there, and the VAE's encoder, which climbs ``T``, follows them).
    The dropout mask is drawn from the generator passed to ``forward`` (none
    passed: no dropout), never from torch's global RNG.
    """

    def __init__(self, latent_dim, hidden_dims, dropout=0.2):
        super().__init__()
        layers = []
        for d_in, d_out in zip((latent_dim, *hidden_dims[:-1]), hidden_dims):
            layers += [nn.Linear(d_in, d_out), nn.Tanh()]
        self.hidden = nn.Sequential(*layers)
        dims = (latent_dim, *hidden_dims)
        self.output = nn.Linear(dims[-1], 1)
        self.dropout = dropout

    def forward(self, z, generator=None):
        h = self.hidden(z)
        if generator is not None and self.dropout > 0:
            keep = torch.rand(h.shape, generator=generator, dtype=h.dtype).to(h.device) >= self.dropout
            h = h * keep / (1.0 - self.dropout)
        return self.output(h).squeeze(-1)


class VariationalAutoencoder(nn.Module):
    """A VAE over flat rows of ``n_features``.

    Parameters
    ----------
    n_features : int
    hidden_dims : tuple of int
        Hidden widths of the MLP encoder (channels of the conv stages when
        ``input_shape`` is given); the decoder mirrors them.
    latent_dim : int
    likelihood : {"bernoulli", "gaussian"}
        The decoder's output: logits of independent Bernoullis, or the mean
        of a Gaussian with a learned log-variance per feature.
    input_shape : tuple (C, H, W) or None
        View rows as images and use the conv encoder / decoder of
        ``ConvAutoencoder``.
    density_ratio_dims : tuple of int or None
        Hidden widths of ``T(z)`` (the implicit optimal prior); ``None``: the
        standard normal prior, no ``T``.
    n_importance_samples : int
        ``k``: the buffer ``importance_noise`` holds ``k`` fixed draws.

    Examples
    --------
    >>> import torch
    >>> vae = VariationalAutoencoder(6, (16,), 2, "gaussian")
    >>> vae(torch.zeros(3, 6)).shape
    torch.Size([3, 6])
    """

    def __init__(self, n_features, hidden_dims, latent_dim, likelihood, input_shape=None,
                 density_ratio_dims=None, n_importance_samples=10):
        super().__init__()
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        if input_shape is None:
            self.encoder = mlp((n_features, *hidden_dims, 2 * latent_dim))
            self.decoder = mlp((latent_dim, *hidden_dims[::-1], n_features))
        else:
            conv = ConvAutoencoder(input_shape, hidden_dims, latent_dim, encoder_outputs=2 * latent_dim)
            self.encoder, self.decoder = conv.encoder, conv.decoder
        self.log_variance = FeatureLogVariance(n_features) if likelihood == "gaussian" else None
        self.density_ratio = None if density_ratio_dims is None else DensityRatio(latent_dim, density_ratio_dims)
        self.register_buffer("importance_noise", torch.zeros(n_importance_samples, latent_dim))
        # log E_{N(0, I)}[exp T(z)]: the implicit prior N(z; 0, I) exp(T(z)) divided by it integrates to 1.
        self.register_buffer("log_prior_normaliser", torch.zeros(()))

    def draw_importance_noise(self, generator):
        """Draw the ``k`` fixed standard-normal vectors of ``importance_noise`` from ``generator``."""
        noise = torch.randn(self.importance_noise.shape, generator=generator)
        with torch.no_grad():
            self.importance_noise.copy_(noise.to(self.importance_noise))

    def encode(self, x):
        """The posterior's mean and log-variance, each of shape (n, latent_dim)."""
        mu, log_variance = self.encoder(x).chunk(2, dim=1)
        return mu, log_variance.clamp(MIN_LOG_VARIANCE, MAX_LOG_VARIANCE)

    def decode(self, z):
        """The decoder's output: logits (Bernoulli) or means (Gaussian)."""
        return self.decoder(z)

    def mean(self, z):
        """The likelihood's mean ``E[x | z]`` (a row in input space)."""
        output = self.decode(z)
        return torch.sigmoid(output) if self.likelihood == "bernoulli" else output

    def forward(self, x):
        """The reconstruction ``E[x | z = mu(x)]``."""
        return self.mean(self.encode(x)[0])

    def log_ratio(self, z, generator=None):
        """``T(z) - log E_{N(0, I)}[exp T]``: the log-density of the implicit prior against ``N(0, I)``
        (zero without a density-ratio network: the standard normal prior)."""
        if self.density_ratio is None:
            return torch.zeros(z.shape[:-1], dtype=z.dtype, device=z.device)
        return self.density_ratio(z, generator) - self.log_prior_normaliser

    def normalise_prior(self, generator, n_samples=2**15):
        """Estimate ``log E_{N(0, I)}[exp T(z)]`` from ``n_samples`` prior draws (Monte Carlo) and store it."""
        with torch.no_grad():
            z = torch.randn((n_samples, self.latent_dim), generator=generator).to(self.log_prior_normaliser.device)
            values = torch.cat([self.density_ratio(chunk) for chunk in z.split(4096)])
            self.log_prior_normaliser.copy_(torch.logsumexp(values, 0) - math.log(n_samples))

    def posterior_sample(self, x, generator):
        """``(z, mu, log_variance)``: one reparameterised sample ``z ~ q(z|x)`` per row, from ``generator``."""
        mu, log_variance = self.encode(x)
        noise = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
        return mu + torch.exp(0.5 * log_variance) * noise, mu, log_variance
