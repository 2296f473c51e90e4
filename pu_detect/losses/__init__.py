"""Losses as pure functions of tensors, one module per family.

* ``anomaly``: reconstruction error, the ABC and Deep SAD
  anomaly losses, the weighted and positive-unlabeled risks;
* ``classification``: reverse cross-entropy and its torch criterion, the
  logit margin, one-versus-the-rest, SOVR, TRADES and the Max-Mahalanobis centre loss;
* ``ensemble``: the ADP ensemble loss and its diversity term;
* ``generative``: the VAE's ELBO terms, the implicit prior's density-ratio
  loss, the importance-sampled log-likelihood, the confidence loss and the
  GAN losses.

Per-sample losses take a ``reduction`` (``"none"``, ``"mean"`` or ``"sum"``)
so that one function gives both a score and a training loss.
"""

from .anomaly import (
    INVERSE_EPS, LOG_EPS, abc_anomaly_loss, inverse_distance_loss, pu_risk, reconstruction_error,
    squared_distance, weighted_risk,
)
from .ensemble import adp_loss, ensemble_diversity
from .generative import (
    density_ratio_loss, diagonal_normal_log_density, gan_losses, gaussian_kl, importance_log_likelihood,
    log_likelihood, negative_elbo, squared_error_elbo, standard_normal_log_density, uniform_kl,
)
from .classification import (
    ReverseCrossEntropyLoss, logit_margin, mmc_loss, one_vs_rest_loss, reverse_cross_entropy, reversed_softmax, softmax_kl,
    sovr_loss, trades_loss,
)

__all__ = [
    "INVERSE_EPS", "LOG_EPS", "ReverseCrossEntropyLoss", "abc_anomaly_loss", "adp_loss", "density_ratio_loss",
    "diagonal_normal_log_density", "ensemble_diversity", "gan_losses", "gaussian_kl", "importance_log_likelihood",
    "inverse_distance_loss", "log_likelihood", "negative_elbo", "squared_error_elbo", "standard_normal_log_density", "uniform_kl",
    "logit_margin", "mmc_loss", "one_vs_rest_loss", "pu_risk", "reconstruction_error", "reverse_cross_entropy",
    "reversed_softmax", "softmax_kl", "sovr_loss", "squared_distance", "trades_loss", "weighted_risk",
]
