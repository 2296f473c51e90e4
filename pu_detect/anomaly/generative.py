"""The generative family: VAEDetector (standard or implicit optimal prior) and PUVAE.

Both score a row by its negative log-likelihood ``-log p(x)`` under the
fitted VAE, estimated by importance sampling, so the score is a density (in
nats) and comparable across rows, models and datasets of the same features.
"""

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ..engine import predict_float64
from ..engine.training import train
from ..losses import (abc_anomaly_loss, density_ratio_loss, diagonal_normal_log_density, gaussian_kl,
                      importance_log_likelihood, log_likelihood, standard_normal_log_density)
from ..losses.generative import LIKELIHOODS, LOG_2PI
from ..networks.vae import MIN_LOG_VARIANCE, VariationalAutoencoder
from ..utils import validation as v
from .base import BaseDeepDetector, PURiskMixin


def _log_likelihood(module, x, output):
    log_variance = None if module.log_variance is None else module.log_variance()
    return log_likelihood(x, output, module.likelihood, log_variance)


def vae_negative_elbo(module, x, generator):
    """Per-row negative ELBO of a ``VariationalAutoencoder`` at one posterior sample from ``generator``.

    With a density-ratio network the prior is the implicit optimal one:
    ``-(log p(x|z) - KL(q(z|x) || N(0, I)) + T(z))``.
    """
    z, mu, log_variance = module.posterior_sample(x, generator)
    return gaussian_kl(mu, log_variance) - _log_likelihood(module, x, module.decode(z)) - module.log_ratio(z)


def vae_importance_nll(module, x):
    """``-log p(x)`` per row under a ``VariationalAutoencoder``, importance-sampled.

    ``k`` samples ``z_j = mu(x) + sigma(x) * e_j`` over the module's fixed
    draws ``e_j`` (``importance_noise``), log-weights
    ``log p(x|z_j) + log p(z_j) - log q(z_j|x)``, with
    ``log p(z) = log N(z; 0, I) + T(z)`` under the implicit prior. The same
    row always gets the same value, whatever is scored with it.
    """
    mu, log_variance = module.encode(x)
    noise = module.importance_noise
    k, n = noise.shape[0], len(x)
    z = mu[:, None, :] + torch.exp(0.5 * log_variance)[:, None, :] * noise[None]
    flat_z = z.reshape(n * k, noise.shape[1])
    log_px_z = _log_likelihood(module, x.repeat_interleave(k, dim=0), module.decode(flat_z)).reshape(n, k)
    log_pz = standard_normal_log_density(z) + module.log_ratio(flat_z).reshape(n, k)
    log_qz = diagonal_normal_log_density(z, mu[:, None, :], log_variance[:, None, :])
    return -importance_log_likelihood(log_px_z + log_pz - log_qz)


class VAEDetector(BaseDeepDetector):
    """Variational autoencoder anomaly detector, with a standard or implicit optimal prior.

    Trains a VAE on the unlabeled rows by maximising the ELBO and scores a
    row by its negative log-likelihood ``-log p(x)``, importance-sampled with
    ``n_importance_samples`` posterior draws (Burda et al., ICLR 2016).

    ``latent_prior="implicit"`` is Takahashi et al.'s VAE with implicit
    optimal priors (AAAI 2019): the prior that maximises the ELBO is the
    aggregated posterior ``q(z)``, and the intractable
    ``log q(z) / N(z; 0, I)`` in its KL term is estimated by a discriminator
    ``T(z)`` trained by logistic regression on posterior samples (class 1)
    against standard-normal samples (class 0), the density-ratio trick. Each
    epoch of the VAE (``T`` frozen) is followed by ``density_ratio_epochs``
    epochs of ``T`` (the authors' code: 10), and the per-row ELBO becomes
    ``E_q[log p(x|z)] - KL(q(z|x) || N(0, I)) + E_q[T(z)]``; the importance
    sampled likelihood uses ``log N(z; 0, I) + T(z)`` as the log-prior, as
    the authors' code does. That prior integrates to 1 only where ``T`` is
    the exact log-ratio: ``log_prior_normaliser(X)`` estimates its
    ``log Z``, to add to the scores for the normalised prior (ours);
    ``history_`` records a cruder estimate after every round of ``T``
    (32,768 draws from ``N(0, I)`` alone, which miss the narrow regions
    where ``exp T`` is high: biased low and noisy).
    (With ReLU hidden units in ``T`` the encoder followed ``T``'s linear
    growth off the data and binarised MNIST got "log-likelihoods" above
    zero; tanh units, the paper's, keep ``T`` bounded.)

    What is the paper's and what is ours: the objective, the alternation and
    the ``+ T(z)`` in importance sampling follow the paper and its code. Its
    networks (three tanh layers of 500 units, latent 40, Adam 1e-4 for up to
    1,000 epochs with a 100-epoch KL warm-up) are replaced by the library's
    ReLU MLP / conv networks and shorter training, without the warm-up (``T``
    keeps the paper's tanh units); the dropout rate before ``T``'s last layer
    (ours: 0.2) and the Gaussian decoder's learned per-feature variance (kept
    in [1e-4, 1e4]) are not stated in what we could read.

    Parameters
    ----------
    hidden_dims : tuple of int, default=(64,)
        Widths of the encoder's hidden layers (channels of the conv stages
        when ``input_shape`` is given); the decoder mirrors them, and ``T``
        uses them too.
    latent_dim : int, default=8
        Dimension of the latent space.
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        The decoder: a Gaussian with a learned variance per feature, or
        independent Bernoullis (features must lie in [0, 1]; binary or
        grey-level images).
    latent_prior : {"standard", "implicit"}, default="standard"
        ``N(0, I)``, or the implicit optimal prior above. (Named
        ``latent_prior`` because ``prior`` is the anomaly fraction of the PU
        estimators.)
    n_importance_samples : int, default=10
        Posterior samples per row of the scored log-likelihood (the authors'
        code uses 10). The draws are fixed when the model is fitted, so a
        row's score is deterministic and does not depend on what it is
        scored with.
    density_ratio_epochs : int, default=10
        Epochs of ``T`` after each epoch of the VAE (implicit prior only),
        over the posterior samples of all unlabeled rows (with
        ``validation_fraction``, the held-out rows too: ``T`` learns the
        aggregated posterior, not the fit).
    density_ratio_lr : float, default=1e-3
        Adam's step size for ``T`` (the authors' value).
    epochs : int, default=100
    batch_size : int, default=128
    lr : float, default=1e-3
    weight_decay : float, default=0.0
    lr_milestones, validation_fraction, n_iter_no_change, contamination, random_state, device, verbose, input_shape, flush_subnormals
        As in ``Autoencoder`` (``lr_milestones`` schedules the VAE's
        epochs; ``T`` keeps its step size). The sampling inside the loss (the
        reparameterised posterior draws, ``T``'s prior samples and dropout)
        comes from the training loop's generator: the same seed gives the
        same model.

    Attributes
    ----------
    module_ : pu_detect.networks.VariationalAutoencoder
    history_ : dict
        ``"loss"``: mean negative ELBO per epoch; with the implicit prior also
        ``"density_ratio_loss"``: ``T``'s logistic loss after each epoch, and
        ``"log_prior_normaliser"``: the estimate of ``log Z`` after each epoch.
    decision_scores_, threshold_, labels_, n_features_in_
        As in PyOD.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import VAEDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> det = VAEDetector(epochs=20, random_state=0).fit(X)
    >>> bool(det.decision_function(X[:5] + 6).min() > det.decision_function(X[:5]).max())
    True
    """

    _parameter_checks = {
        **BaseDeepDetector._parameter_checks,
        "likelihood": lambda x: v.check_option(x, "likelihood", LIKELIHOODS),
        "latent_prior": lambda x: v.check_option(x, "latent_prior", ("standard", "implicit")),
        "n_importance_samples": lambda x: v.check_int(x, "n_importance_samples"),
        "density_ratio_epochs": lambda x: v.check_int(x, "density_ratio_epochs"),
        "density_ratio_lr": lambda x: v.check_float(x, "density_ratio_lr", 0.0, np.inf),
    }

    def __init__(self, hidden_dims=(64,), latent_dim=8, likelihood="gaussian", latent_prior="standard",
                 n_importance_samples=10, density_ratio_epochs=10, density_ratio_lr=1e-3, epochs=100, batch_size=128,
                 lr=1e-3, weight_decay=0.0, lr_milestones=None, validation_fraction=None, n_iter_no_change=10,
                 contamination=0.1, random_state=None, device="cpu", verbose=0, input_shape=None,
                 flush_subnormals=True):
        self.hidden_dims = hidden_dims
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.latent_prior = latent_prior
        self.n_importance_samples = n_importance_samples
        self.density_ratio_epochs = density_ratio_epochs
        self.density_ratio_lr = density_ratio_lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_milestones = lr_milestones
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.contamination = contamination
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.input_shape = input_shape
        self.flush_subnormals = flush_subnormals

    def _make_module(self, n_features, params):
        ratio_dims = params.hidden_dims if params.latent_prior == "implicit" else None
        return VariationalAutoencoder(n_features, params.hidden_dims, params.latent_dim, params.likelihood,
                                      params.input_shape, ratio_dims, params.n_importance_samples)

    def _prepare(self, params, unlabeled, anomalies, generator):
        for name, rows in (("X", unlabeled), ("X_anom", anomalies)):
            _check_bernoulli_rows(params, rows, name)
        self.module_.draw_importance_noise(generator)
        if self.module_.density_ratio is not None:
            self.module_.density_ratio.requires_grad_(False)  # T is trained by its own loop
        super()._prepare(params, unlabeled, anomalies, generator)

    def _callbacks(self, params, unlabeled, generator):
        if params.latent_prior != "implicit":
            return ()
        return (self._density_ratio_epochs(params, unlabeled, generator),)

    def _density_ratio_epochs(self, params, unlabeled, generator):
        """The callback that trains ``T`` after each VAE epoch, the encoder frozen."""

        def objective(ratio, batch, generator):
            x = batch["rows"]
            with torch.no_grad():
                z_posterior = self.module_.posterior_sample(x, generator)[0]
                z_prior = torch.randn(z_posterior.shape, generator=generator).to(z_posterior)
            return density_ratio_loss(ratio(z_posterior, generator), ratio(z_prior, generator))

        def train_density_ratio(epoch, history, module):
            ratio = module.density_ratio
            ratio.requires_grad_(True)
            try:
                ratio_history = train(ratio, objective, {"rows": unlabeled}, epochs=params.density_ratio_epochs,
                                      batch_size=params.batch_size, lr=params.density_ratio_lr, weight_decay=0.0,
                                      generator=generator, flush_subnormals=params.flush_subnormals)
            finally:
                ratio.requires_grad_(False)
            module.estimate_prior_normaliser(generator)
            history.setdefault("density_ratio_loss", []).append(ratio_history["loss"][-1])
            history.setdefault("log_prior_normaliser", []).append(float(module.log_prior_normaliser))
            return False

        return train_density_ratio

    def _training_score(self, module, x, generator):
        return vae_negative_elbo(module, x, generator)

    def _score(self, module, x):
        return vae_importance_nll(module, x)

    def _score_rows(self, X):
        _check_bernoulli_rows(v.check_params(self), X, "X")
        return predict_float64(self.module_, vae_importance_nll, X,
                               samples_per_row=self.module_.importance_noise.shape[0])

    def encode(self, X):
        """The posterior mean ``E[z | x]`` of each row, shape (n_samples, latent_dim)."""
        check_is_fitted(self, "module_")
        X = v.check_X(self, X, reset=False)
        return predict_float64(self.module_, lambda module, x: module.encode(x)[0], X)

    def log_prior_normaliser(self, X, n_samples=2**15, random_state=0):
        """``log Z = log E_{N(0, I)}[exp T(z)]``, the log of the implicit prior's mass (0: standard prior).

        Added to ``decision_function``, it gives the NLL under the normalised
        prior ``N(z; 0, I) exp T(z) / Z`` (the paper takes ``Z = 1``).
        Estimated by defensive importance sampling (ours): half the draws from
        ``N(0, I)``, half from the mixture of the posteriors of the rows of
        ``X`` (pass the training rows, whose aggregated posterior ``T`` fits).
        The weights can still have heavy tails in many latent dimensions (40 on
        binarised MNIST: one call's estimate spread by about 1 nat), so raise
        ``n_samples`` or pool calls with different ``random_state`` as the log
        of the mean of their ``exp`` (the same thing); the log of a mean
        estimates ``log Z`` low in expectation.

        Examples
        --------
        >>> import numpy as np
        >>> from pu_detect import VAEDetector
        >>> X = np.random.default_rng(0).normal(size=(200, 3))
        >>> det = VAEDetector(latent_prior="implicit", epochs=3, density_ratio_epochs=2, random_state=0).fit(X)
        >>> bool(abs(det.log_prior_normaliser(X)) < 1)
        True
        """
        check_is_fitted(self, "module_")
        X = v.check_X(self, X, reset=False)
        posterior = predict_float64(self.module_, lambda module, x: torch.cat(module.encode(x), 1), X)
        mu, log_variance = torch.from_numpy(posterior).chunk(2, dim=1)
        generator = torch.Generator().manual_seed(v.check_seed(random_state))
        return float(self.module_.mixture_prior_normaliser(mu, log_variance, generator, n_samples))

    def decode(self, Z):
        """The likelihood's mean ``E[x | z]`` of each latent code, shape (n_codes, n_features)."""
        check_is_fitted(self, "module_")
        Z = v.check_rows(Z, "Z")
        if Z.shape[1] != self.module_.latent_dim:
            v._fail("Z", f"codes of latent_dim={self.module_.latent_dim} values", f"{Z.shape[1]} values")
        return predict_float64(self.module_, lambda module, z: module.mean(z), Z, n_features=self.n_features_in_)

    def decision_function(self, X):
        """Negative log-likelihood ``-log p(x)`` of each row, in nats: higher = more anomalous.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return super().decision_function(X)


def _check_bernoulli_rows(params, rows, name):
    if params.likelihood == "bernoulli":
        v.check_within(rows, name, 0.0, 1.0, "features in [0, 1] for likelihood='bernoulli' (scale them, for "
                       "example with sklearn's MinMaxScaler and np.clip, or use likelihood='gaussian')")


class PUVAE(PURiskMixin, VAEDetector):
    """Positive-unlabeled VAE: the PU risk of ``PUAutoencoder`` over the VAE's per-row negative ELBO.

    The PU autoencoder paper (Takahashi et al., arXiv:2405.18929) says its
    risk applies to any detector with a per-row loss; this is that risk over
    a VAE. The unlabeled rows are a mixture with anomaly fraction ``prior``;
    ``R+ = prior * mean_A l+``, ``R- = mean_U l- - prior * mean_A l-``, loss
    ``R+ + |R-|`` (or the nnPU rule), so the VAE fits the density of the
    normal rows even when anomalies like the labeled ones hide among the
    unlabeled ones.

    What is ours (no paper gives a PU VAE): the per-row loss is
    ``s = -ELBO / n_features - b``, the negative ELBO in nats per feature
    minus its lower bound ``b`` (0 for Bernoulli features in [0, 1];
    ``log(2 pi 1e-4) / 2`` for the Gaussian decoder, whose variance is kept
    at or above 1e-4), so that ``s >= 0`` and ``p(normal | x) = exp(-s)`` is a
    probability as the PU pair ``l- = s``, ``l+ = -log(1 - exp(-s) + 1e-6)``
    needs; per feature, because a whole row's ELBO in nats (hundreds on
    images) would put ``exp(-s)`` at zero for every row. Under the implicit
    prior ``T(z)`` can carry ``s`` below 0, where it is clipped at 0. Rows
    are scored, as by ``VAEDetector``, by the importance-sampled ``-log p(x)``.

    The parameters not listed here are those of ``VAEDetector``.

    Parameters
    ----------
    prior : float in (0, 1) or "auto", default=0.3
        Anomaly fraction of the unlabeled data (as in ``PUAutoencoder``).
    correction : {"abs", "nnpu"}, default="abs"

    Attributes
    ----------
    prior_ : float

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import PUVAE
    >>> rng = np.random.default_rng(0)
    >>> X_unlabeled = rng.normal(size=(300, 4))
    >>> X_anom = rng.normal(3.0, size=(10, 4))
    >>> det = PUVAE(epochs=20, random_state=0).fit(X_unlabeled, X_anom)
    >>> bool(det.decision_function(X_anom).mean() > det.decision_function(X_unlabeled).mean())
    True
    """

    _parameter_checks = {**VAEDetector._parameter_checks, **PURiskMixin.PARAMETER_CHECKS}

    def __init__(self, hidden_dims=(64,), latent_dim=8, likelihood="gaussian", latent_prior="standard",
                 n_importance_samples=10, density_ratio_epochs=10, density_ratio_lr=1e-3, epochs=100, batch_size=128,
                 lr=1e-3, weight_decay=0.0, lr_milestones=None, prior=0.3, correction="abs", validation_fraction=None,
                 n_iter_no_change=10, contamination=0.1, random_state=None, device="cpu", verbose=0, input_shape=None,
                 flush_subnormals=True):
        super().__init__(
            hidden_dims=hidden_dims, latent_dim=latent_dim, likelihood=likelihood, latent_prior=latent_prior,
            n_importance_samples=n_importance_samples, density_ratio_epochs=density_ratio_epochs,
            density_ratio_lr=density_ratio_lr, epochs=epochs, batch_size=batch_size, lr=lr,
            weight_decay=weight_decay, lr_milestones=lr_milestones,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            contamination=contamination, random_state=random_state, device=device, verbose=verbose,
            input_shape=input_shape, flush_subnormals=flush_subnormals,
        )
        self.prior = prior
        self.correction = correction

    def _training_score(self, module, x, generator):
        per_feature = vae_negative_elbo(module, x, generator) / x.shape[1]
        lower_bound = 0.5 * (LOG_2PI + MIN_LOG_VARIANCE) if module.likelihood == "gaussian" else 0.0
        return (per_feature - lower_bound).clamp_min(0.0)

    def _anomaly_loss(self, params, scores):
        return abc_anomaly_loss(scores)
