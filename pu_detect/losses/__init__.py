"""Losses as pure functions of tensors, one module per family.

* ``anomaly``: reconstruction error, the ABC and Deep SAD
  anomaly losses, the weighted and positive-unlabeled risks;
* ``classification``: reverse cross-entropy and its torch criterion, the
  logit margin, one-versus-the-rest, SOVR, TRADES and the Max-Mahalanobis centre loss;
* ``ensemble``: the ADP ensemble loss and its diversity term.

Per-sample losses take a ``reduction`` (``"none"``, ``"mean"`` or ``"sum"``)
so that one function gives both a score and a training loss.
"""

from .anomaly import (
    INVERSE_EPS, LOG_EPS, abc_anomaly_loss, inverse_distance_loss, pu_risk, reconstruction_error,
    squared_distance, weighted_risk,
)
from .ensemble import adp_loss, ensemble_diversity
from .classification import (
    ReverseCrossEntropyLoss, logit_margin, mmc_loss, one_vs_rest_loss, reverse_cross_entropy, reversed_softmax, softmax_kl,
    sovr_loss, trades_loss,
)

__all__ = [
    "INVERSE_EPS", "LOG_EPS", "ReverseCrossEntropyLoss", "abc_anomaly_loss", "adp_loss", "ensemble_diversity", "inverse_distance_loss",
    "logit_margin", "mmc_loss", "one_vs_rest_loss", "pu_risk", "reconstruction_error", "reverse_cross_entropy",
    "reversed_softmax", "softmax_kl", "sovr_loss", "squared_distance", "trades_loss", "weighted_risk",
]
