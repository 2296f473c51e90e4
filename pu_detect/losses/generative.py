"""Losses of the generative models (VAEs) and of confidence calibration, as pure functions.

A VAE's encoder gives each row a diagonal Gaussian posterior ``q(z|x) =
N(mu, diag(exp(log_variance)))``; its decoder a likelihood ``p(x|z)``, Bernoulli
(logits) or Gaussian (a mean and a log-variance per feature).

References
----------
Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014 (ELBO).
Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016
(the importance-sampled log-likelihood).
Takahashi, Iwata, Yamanaka, Yamada and Yagi, "Variational Autoencoder with
Implicit Optimal Priors", AAAI 2019 (the density-ratio term).
Lee, Lee, Lee and Shin, "Training Confidence-calibrated Classifiers for
Detecting Out-of-Distribution Samples", ICLR 2018 (the confidence loss).
"""

import math

import torch
import torch.nn.functional as F

from ..utils.validation import check_float, check_tensor
from ._reduction import _reduce

LOG_2PI = math.log(2 * math.pi)
LIKELIHOODS = ("bernoulli", "gaussian")


def _check_same_shape(name, value, reference, reference_name="x", rows=False):
    check_tensor(reference, reference_name, rows=rows)
    if check_tensor(value, name).shape != reference.shape:
        raise ValueError(f"{name} must have {reference_name}'s shape {tuple(reference.shape)}; "
                         f"got {tuple(value.shape)}.")


def gaussian_kl(mu, log_variance, reduction="none"):
    """``KL(N(mu, diag(exp(log_variance))) || N(0, I))`` per row, in nats.

    Examples
    --------
    >>> import torch
    >>> gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))  # 0.5 * mu^2
    tensor([0.5000])
    """
    _check_same_shape("log_variance", log_variance, mu, "mu", rows=True)
    kl = 0.5 * (mu.pow(2) + log_variance.exp() - 1.0 - log_variance).flatten(1).sum(1)
    return _reduce(kl, reduction)


def log_likelihood(x, output, likelihood, log_variance=None, reduction="none"):
    """``log p(x | z)`` per row, summed over features.

    Parameters
    ----------
    x : Tensor of shape (n, d)
    output : Tensor of shape (n, d)
        The decoder's output: logits (``"bernoulli"``) or the mean (``"gaussian"``).
    likelihood : {"bernoulli", "gaussian"}
        ``"bernoulli"`` needs ``x`` in [0, 1] (values between 0 and 1 are
        read as soft targets, the usual practice for grey-level images).
    log_variance : Tensor broadcastable to (n, d) or None
        The Gaussian's log-variance per feature (required for ``"gaussian"``).

    Examples
    --------
    >>> import torch
    >>> log_likelihood(torch.tensor([[1.0]]), torch.zeros(1, 1), "bernoulli")  # log 0.5
    tensor([-0.6931])
    >>> log_likelihood(torch.zeros(1, 1), torch.zeros(1, 1), "gaussian", torch.zeros(1))  # -log(2 pi) / 2
    tensor([-0.9189])
    """
    _check_same_shape("output", output, x, rows=True)
    if likelihood == "bernoulli":
        values = -F.binary_cross_entropy_with_logits(output, x, reduction="none")
    elif likelihood == "gaussian":
        if log_variance is None:
            raise ValueError("log_variance is required for likelihood='gaussian'; got None.")
        check_tensor(log_variance, "log_variance")
        values = -0.5 * (LOG_2PI + log_variance + (x - output).pow(2) * torch.exp(-log_variance))
    else:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}.")
    return _reduce(values.flatten(1).sum(1), reduction)


def negative_elbo(log_likelihood, kl, log_density_ratio=None, reduction="none"):
    """Per-row negative evidence lower bound ``-(log p(x|z) - KL(q(z|x) || N(0, I)) + T(z))``.

    ``log_likelihood`` is ``log p(x|z)`` at a posterior sample ``z``, ``kl``
    the closed-form KL term; ``log_density_ratio`` (the implicit optimal
    prior's ``T(z) ~ log q(z) / N(z; 0, I)`` at the same sample, Takahashi et
    al. eq. 10) turns the standard normal prior into the aggregated posterior.

    Examples
    --------
    >>> import torch
    >>> negative_elbo(torch.tensor([-2.0]), torch.tensor([0.5]), torch.tensor([0.25]))
    tensor([2.2500])
    """
    _check_same_shape("kl", kl, log_likelihood, "log_likelihood")
    values = kl - log_likelihood
    if log_density_ratio is not None:
        _check_same_shape("log_density_ratio", log_density_ratio, log_likelihood, "log_likelihood")
        values = values - log_density_ratio
    return _reduce(values, reduction)


def density_ratio_loss(ratio_posterior, ratio_prior, reduction="mean"):
    """Logistic loss of the density-ratio discriminator ``T`` (Takahashi et al., eq. 11).

    Posterior samples ``z ~ q(z|x)`` are class 1, prior samples ``z ~ N(0, I)``
    class 0: ``softplus(-T(z_q)) + softplus(T(z_p))``, whose minimiser is
    ``T(z) = log q(z) / N(z; 0, I)``. Inputs are the discriminator's outputs
    (one per sample); the per-pair loss is returned for ``reduction="none"``
    (both must then have the same length).

    Examples
    --------
    >>> import torch
    >>> density_ratio_loss(torch.zeros(2), torch.zeros(2))  # 2 log 2
    tensor(1.3863)
    """
    check_tensor(ratio_posterior, "ratio_posterior")
    check_tensor(ratio_prior, "ratio_prior")
    if reduction == "none":
        _check_same_shape("ratio_prior", ratio_prior, ratio_posterior, "ratio_posterior")
        return F.softplus(-ratio_posterior) + F.softplus(ratio_prior)
    return _reduce(F.softplus(-ratio_posterior), reduction) + _reduce(F.softplus(ratio_prior), reduction)


def standard_normal_log_density(z):
    """``log N(z; 0, I)`` summed over the last axis.

    Examples
    --------
    >>> import math, torch
    >>> round(standard_normal_log_density(torch.zeros(2)).item(), 4) == round(-math.log(2 * math.pi), 4)
    True
    """
    return -0.5 * (LOG_2PI + check_tensor(z, "z").pow(2)).sum(-1)


def diagonal_normal_log_density(z, mu, log_variance):
    """``log N(z; mu, diag(exp(log_variance)))`` summed over the last axis (broadcasting).

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, -2.0]])
    >>> bool(torch.allclose(diagonal_normal_log_density(z, torch.zeros(2), torch.zeros(2)),
    ...                     standard_normal_log_density(z)))
    True
    """
    shapes = [tuple(check_tensor(value, name).shape) for name, value in
              (("z", z), ("mu", mu), ("log_variance", log_variance))]
    try:
        torch.broadcast_shapes(*shapes)
    except RuntimeError:
        raise ValueError(f"z, mu and log_variance must have shapes that broadcast together; got {shapes[0]}, "
                         f"{shapes[1]} and {shapes[2]}.") from None
    return -0.5 * (LOG_2PI + log_variance + (z - mu).pow(2) * torch.exp(-log_variance)).sum(-1)


def importance_log_likelihood(log_weights, reduction="none"):
    """Importance-sampled ``log p(x)`` from ``k`` log-weights per row: ``logsumexp_j w_j - log k``.

    ``log_weights[i, j] = log p(x_i|z_ij) + log p(z_ij) - log q(z_ij|x_i)``
    for ``z_ij ~ q(z|x_i)``; the estimate is a lower bound of ``log p(x_i)``
    in expectation that tightens as ``k`` grows (Burda et al.), exact for any
    ``k`` when ``q`` is the true posterior.

    Examples
    --------
    >>> import torch
    >>> importance_log_likelihood(torch.log(torch.tensor([[0.2, 0.4]])))  # log 0.3
    tensor([-1.2040])
    """
    if check_tensor(log_weights, "log_weights").dim() != 2 or log_weights.shape[1] < 1:
        raise ValueError(f"log_weights must be a 2-D tensor of k >= 1 samples per row; got shape "
                         f"{tuple(log_weights.shape)}.")
    values = torch.logsumexp(log_weights, dim=1) - math.log(log_weights.shape[1])
    return _reduce(values, reduction)


def uniform_kl(logits, reduction="none"):
    """``KL(U || softmax(logits))`` per row, the confidence loss of Lee et al. (ICLR 2018, eq. 1).

    ``U`` is uniform over the ``L`` classes: ``-log L - mean_i log softmax_i``;
    zero exactly when the prediction is uniform.

    Examples
    --------
    >>> import torch
    >>> uniform_kl(torch.zeros(1, 4))
    tensor([0.])
    >>> uniform_kl(torch.tensor([[0.0, 0.0, 3.0]]))  # -log 3 - (2 log p_0 + log p_2) / 3
    tensor([0.9963])
    """
    if check_tensor(logits, "logits").dim() != 2 or logits.shape[1] < 2:
        raise ValueError(f"logits must be a 2-D tensor of at least 2 classes; got shape {tuple(logits.shape)}.")
    values = -math.log(logits.shape[1]) - torch.log_softmax(logits, dim=1).mean(1)
    return _reduce(values, reduction)


def gan_losses(real_logits, fake_logits_detached, fake_logits):
    """The non-saturating GAN losses: the discriminator's and the generator's.

    ``real_logits`` and ``fake_logits_detached`` are the discriminator's
    logits on real rows and on generated rows cut from the generator's graph;
    ``fake_logits`` its logits on generated rows through the generator (the
    discriminator's own parameters should be cut from this graph). Returns
    ``(softplus(-D(x)) + softplus(D(G(u))), softplus(-D(G(u))))``, batch means.

    Examples
    --------
    >>> import torch
    >>> [round(float(v), 4) for v in gan_losses(torch.zeros(2), torch.zeros(2), torch.zeros(2))]
    [1.3863, 0.6931]
    """
    for name, logits in (("real_logits", real_logits), ("fake_logits_detached", fake_logits_detached),
                         ("fake_logits", fake_logits)):
        check_tensor(logits, name)
    discriminator = F.softplus(-real_logits).mean() + F.softplus(fake_logits_detached).mean()
    return discriminator, F.softplus(-fake_logits).mean()


def squared_error_elbo(x, mean, mu, log_variance, beta=1.0, reduction="none"):
    """The loss of each class's VAE in analysis by synthesis (Schott et al., ICLR 2019), per row.

    ``||x - mean||^2 + beta * KL(q(z|x) || N(0, I))``: a negative ELBO with a
    Gaussian likelihood of variance 1/2, its constants dropped (the authors'
    ``abs_loss_function``, beta 1).

    Examples
    --------
    >>> import torch
    >>> squared_error_elbo(torch.ones(1, 2), torch.zeros(1, 2), torch.ones(1, 1), torch.zeros(1, 1))
    tensor([2.5000])
    """
    _check_same_shape("mean", mean, x, rows=True)
    check_float(beta, "beta", 0.0, float("inf"), low_inclusive=True)
    values = (x - mean).pow(2).flatten(1).sum(1) + beta * gaussian_kl(mu, log_variance)
    return _reduce(values, reduction)
