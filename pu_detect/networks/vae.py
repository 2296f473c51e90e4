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

from ..utils.validation import _fail, check_float, check_int, check_option, check_tensor
from .autoencoders import ConvAutoencoder
from .layers import check_sizes, mlp

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

    Examples
    --------
    >>> import torch
    >>> T = DensityRatio(latent_dim=2, hidden_dims=(8,))
    >>> T(torch.zeros(3, 2)).shape, T(torch.zeros(3, 2), torch.Generator().manual_seed(0)).shape
    (torch.Size([3]), torch.Size([3]))
    """

    def __init__(self, latent_dim, hidden_dims, dropout=0.2):
        super().__init__()
        latent_dim, hidden_dims = check_sizes(latent_dim=latent_dim, hidden_dims=hidden_dims)
        check_float(dropout, "dropout", 0.0, 1.0, low_inclusive=True)
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
        n_features, hidden_dims, latent_dim, input_shape, n_importance_samples = check_sizes(
            n_features=n_features, hidden_dims=hidden_dims, latent_dim=latent_dim, input_shape=input_shape,
            n_importance_samples=n_importance_samples)
        self.latent_dim = latent_dim
        self.likelihood = check_option(likelihood, "likelihood", ("bernoulli", "gaussian"))
        if input_shape is None:
            self.encoder = mlp((n_features, *hidden_dims, 2 * latent_dim))
            self.decoder = mlp((latent_dim, *hidden_dims[::-1], n_features))
        else:
            conv = ConvAutoencoder(input_shape, hidden_dims, latent_dim, encoder_outputs=2 * latent_dim)
            self.encoder, self.decoder = conv.encoder, conv.decoder
        self.log_variance = FeatureLogVariance(n_features) if likelihood == "gaussian" else None
        self.density_ratio = None if density_ratio_dims is None else DensityRatio(latent_dim, density_ratio_dims)
        self.register_buffer("importance_noise", torch.zeros(n_importance_samples, latent_dim))
        # A Monte Carlo estimate of log E_{N(0, I)}[exp T(z)], 0 where T is the exact log-ratio (a diagnostic).
        self.register_buffer("log_prior_normaliser", torch.zeros(()))

    def reset_buffers(self):
        """Zero the fixed draws and the normaliser (``build`` leaves buffers uninitialised)."""
        with torch.no_grad():
            self.importance_noise.zero_()
            self.log_prior_normaliser.zero_()

    def draw_importance_noise(self, generator, n_samples=None):
        """Draw the ``k`` fixed standard-normal vectors of ``importance_noise`` from ``generator``
        (``n_samples``: that many instead, resizing the buffer, for example a tighter bound to evaluate)."""
        k = self.importance_noise.shape[0] if n_samples is None else check_int(n_samples, "n_samples")
        noise = torch.randn((k, self.latent_dim), generator=generator)
        self.importance_noise = noise.to(self.importance_noise)  # nn.Module keeps it a buffer

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
        """``T(z)``, the implicit prior's log-density against ``N(0, I)`` (zero without a density-ratio
        network: the standard normal prior)."""
        if self.density_ratio is None:
            return torch.zeros(z.shape[:-1], dtype=z.dtype, device=z.device)
        return self.density_ratio(z, generator)

    def estimate_prior_normaliser(self, generator, n_samples=2**15):
        """Estimate ``log E_{N(0, I)}[exp T(z)]`` from ``n_samples`` prior draws (Monte Carlo) and store it
        in ``log_prior_normaliser``: 0 where ``T`` is the exact log-ratio, so far from 0 flags a poor ``T``."""
        with torch.no_grad():
            z = torch.randn((n_samples, self.latent_dim), generator=generator).to(self.log_prior_normaliser.device)
            values = torch.cat([self.density_ratio(chunk) for chunk in z.split(4096)])
            self.log_prior_normaliser.copy_(torch.logsumexp(values, 0) - math.log(n_samples))

    def mixture_prior_normaliser(self, mu, log_variance, generator, n_samples=2**15, chunk_size=512):
        """``log E_{N(0, I)}[exp T(z)]`` by defensive importance sampling (Hesterberg, 1995), returned.

        Half the ``n_samples`` draws come from ``N(0, I)``, half from the
        mixture ``q`` of the posteriors ``N(mu_i, diag(exp(log_variance_i)))``
        (component chosen uniformly), each weighted by
        ``N(z) exp T(z) / r(z)`` with ``r = (N + q) / 2``: an unbiased estimate
        of ``Z``. Every weight is at most ``2 exp T(z)``, and where ``T`` is the
        log-ratio ``log q / N`` it learns, every weight is at most 2, so the
        estimate reaches the regions where ``exp T`` is large, which draws
        from ``N(0, I)`` alone miss. Without a density-ratio network: 0.
        """
        if self.density_ratio is None:
            return torch.zeros((), dtype=torch.float64)
        n_samples = check_int(n_samples, "n_samples", min_value=2)
        for name, value in (("mu", mu), ("log_variance", log_variance)):
            if check_tensor(value, name, dim=2).shape[1] != self.latent_dim or len(value) == 0:
                _fail(name, f"posterior rows of latent_dim={self.latent_dim} values", f"shape {tuple(value.shape)}")
        if mu.shape != log_variance.shape:
            _fail("log_variance", f"the shape of mu {tuple(mu.shape)}", f"shape {tuple(log_variance.shape)}")
        with torch.no_grad():
            mu, log_variance = mu.double().cpu(), log_variance.double().cpu()
            half = n_samples // 2
            component = torch.randint(len(mu), (n_samples - half,), generator=generator)
            noise = torch.randn((n_samples, self.latent_dim), generator=generator, dtype=torch.float64)
            z = torch.cat([noise[:half], mu[component] + torch.exp(0.5 * log_variance[component]) * noise[half:]])
            precision = torch.exp(-log_variance)  # (m, d)
            constant = -0.5 * ((mu.pow(2) * precision).sum(1) + log_variance.sum(1) + self.latent_dim * math.log(
                2 * math.pi))
            log_weights = []
            for chunk in z.split(chunk_size):
                log_components = constant - 0.5 * (chunk.pow(2) @ precision.T - 2 * chunk @ (mu * precision).T)
                log_q = torch.logsumexp(log_components, 1) - math.log(len(mu))
                log_n = -0.5 * (chunk.pow(2).sum(1) + self.latent_dim * math.log(2 * math.pi))
                ratio = self.log_ratio(chunk.to(self.log_prior_normaliser)).double().cpu()
                log_weights.append(log_n + ratio - (torch.logaddexp(log_n, log_q) - math.log(2)))
            return torch.logsumexp(torch.cat(log_weights), 0) - math.log(n_samples)

    def posterior_sample(self, x, generator):
        """``(z, mu, log_variance)``: one reparameterised sample ``z ~ q(z|x)`` per row, from ``generator``."""
        mu, log_variance = self.encode(x)
        noise = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
        return mu + torch.exp(0.5 * log_variance) * noise, mu, log_variance


class ClassVAEs(nn.Module):
    """One ``VariationalAutoencoder`` per class and analysis-by-synthesis inference (Schott et al., 2019).

    ``latent_objective(x, z)`` is each class's ``(||x - G_c(z_c)||^2 + beta ||z_c||^2 / 2) / n_features``
    (``||z||^2 / 2`` is ``KL(N(z, I) || N(0, I))``); ``infer(x)`` minimises it over ``z_c`` for every
    class: the best of the fixed prior draws ``prior_samples`` (decoded once per set of weights), then
    ``inference_steps`` Adam steps of size ``inference_lr``, each followed by a projection onto the
    ball of radius ``radius``. ``forward(x)`` returns ``-latent_objective(x, infer(x))``: the class
    logits, differentiable in ``x`` with the optimal codes held fixed (Danskin's theorem gives this
    gradient of a minimum at its minimiser). ``output_range=(low, high)`` puts the decoders' images in
    that box (a scaled sigmoid; the paper's decoders end in a sigmoid); ``None`` leaves them linear.

    Examples
    --------
    >>> import torch
    >>> vaes = ClassVAEs(6, 3, (8,), 2, n_prior_samples=16, inference_steps=2)
    >>> vaes(torch.rand(4, 6)).shape  # one logit per class: minus each class's best latent objective
    torch.Size([4, 3])
    """

    def __init__(self, n_features, n_classes, hidden_dims, latent_dim, input_shape=None, n_prior_samples=1000,
                 inference_steps=50, inference_lr=0.05, radius=5.0, beta=1.0, output_range=(0.0, 1.0)):
        super().__init__()
        n_classes, n_prior_samples, inference_steps = check_sizes(
            n_classes=n_classes, n_prior_samples=n_prior_samples, inference_steps=inference_steps)
        self.output_range = None if output_range is None else tuple(float(b) for b in output_range)
        self.class_vaes = nn.ModuleList([VariationalAutoencoder(n_features, hidden_dims, latent_dim, "bernoulli",
                                                                input_shape) for _ in range(n_classes)])
        self.latent_dim, self.n_features = latent_dim, n_features
        self.inference_steps, self.inference_lr, self.radius, self.beta = inference_steps, inference_lr, radius, beta
        self.register_buffer("prior_samples", torch.zeros(n_prior_samples, latent_dim))
        self._decoded_prior = None

    def __getstate__(self):  # the decoded prior draws are a cache: never pickled or deep-copied
        state = super().__getstate__().copy()
        state["_decoded_prior"] = None
        return state

    def reset_buffers(self):
        with torch.no_grad():
            self.prior_samples.zero_()

    def draw_prior_samples(self, generator, fraction_to_dismiss=0.1):
        """Draw ``n / (1 - fraction)`` codes from ``N(0, I)`` and keep the ``n`` of smallest norm (the paper's)."""
        n = self.prior_samples.shape[0]
        draws = torch.randn((int(math.ceil(n / (1.0 - fraction_to_dismiss))), self.latent_dim), generator=generator)
        keep = draws.norm(dim=1).argsort()[:n]
        with torch.no_grad():
            self.prior_samples.copy_(draws[keep].to(self.prior_samples))

    def class_image(self, c, z):
        """``G_c(z)``: class ``c``'s decoder, in ``output_range``."""
        raw = self.class_vaes[c].decode(z)
        if self.output_range is None:
            return raw
        low, high = self.output_range
        return low + (high - low) * torch.sigmoid(raw)

    def decode(self, z):
        """``G_c(z_c)`` for codes of shape (n, n_classes, latent_dim): images of shape (n, n_classes, n_features)."""
        return torch.stack([self.class_image(c, z[:, c]) for c in range(len(self.class_vaes))], dim=1)

    def latent_objective(self, x, z):
        reconstruction = (x[:, None, :] - self.decode(z)).pow(2).sum(-1)
        return (reconstruction + self.beta * 0.5 * z.pow(2).sum(-1)) / self.n_features

    def _prior_images(self):
        """The decoded prior draws of each class, recomputed only when a weight or the draws change."""
        tensors = [self.prior_samples, *self.class_vaes.parameters()]
        key = tuple((t.data_ptr(), t._version, t.dtype, t.device) for t in tensors)
        if self._decoded_prior is None or self._decoded_prior[0] != key:
            with torch.no_grad():
                images = torch.stack([self.class_image(c, self.prior_samples)
                                      for c in range(len(self.class_vaes))])  # (C, m, d)
            self._decoded_prior = (key, images, images.pow(2).sum(-1))
        return self._decoded_prior[1:]

    def infer(self, x):
        """The optimal codes, shape (n, n_classes, latent_dim), without a graph."""
        with torch.inference_mode(False), torch.enable_grad():
            x = x.detach().clone()
            images, norms = self._prior_images()
            # ||x - G||^2 + beta ||z||^2 / 2 for every row, class and prior draw, as matrix products.
            distances = (x.pow(2).sum(1)[None, :, None] - 2 * torch.einsum("nd,cmd->cnm", x, images)
                         + norms[:, None, :] + self.beta * 0.5 * self.prior_samples.pow(2).sum(1)[None, None])
            z = self.prior_samples[distances.argmin(-1)].transpose(0, 1).contiguous()  # (n, C, L)
            z.requires_grad_(True)
            first, second = torch.zeros_like(z), torch.zeros_like(z)
            for step in range(1, self.inference_steps + 1):
                (gradient,) = torch.autograd.grad(self.latent_objective(x, z).sum(), z)
                with torch.no_grad():  # Adam (betas 0.9, 0.999), then the projection onto the ball
                    first.mul_(0.9).add_(gradient, alpha=0.1)
                    second.mul_(0.999).addcmul_(gradient, gradient, value=0.001)
                    update = (first / (1 - 0.9**step)) / ((second / (1 - 0.999**step)).sqrt() + 1e-8)
                    z -= self.inference_lr * update
                    z *= torch.clamp(self.radius / z.norm(dim=-1, keepdim=True).clamp_min(1e-12), max=1.0)
        return z.detach()

    def forward(self, x):
        return -self.latent_objective(x, self.infer(x).to(x.dtype))
