"""Anomaly detection from contaminated unlabeled data plus a few labeled anomalies.

* ``base``: the fit template every detector shares and
  the two semi-supervised risks (weighted, positive-unlabeled);
* ``autoencoders``: Autoencoder, ABC, PUAutoencoder;
* ``hypersphere``: DeepSVDD, DeepSAD, PUDeepSVDD;
* ``generative``: VAEDetector (standard or implicit optimal prior), PUVAE;
* ``prior``: estimating the anomaly fraction of the unlabeled data;
* ``boosting``: ``PUGradientBoosting`` (gradient boosting on the PU labels,
  with unsupervised detectors' scores as features, as XGBOD);
* ``selection``: ``PUEnsemble`` (a weighted mean of complementary
  detectors' rank-normalised scores, the weights stacked on their
  out-of-fold scores) and ``PUSearchCV`` (choosing the detector per
  dataset by PU cross-validation).
"""

from .autoencoders import ABC, Autoencoder, PUAutoencoder
from .base import BaseDeepDetector
from .generative import PUVAE, VAEDetector
from .hypersphere import DeepSAD, DeepSVDD, PUDeepSVDD
from .prior import estimate_prior
from .boosting import PUGradientBoosting
from .selection import PUEnsemble, PUSearchCV

__all__ = ["ABC", "Autoencoder", "BaseDeepDetector", "DeepSAD", "DeepSVDD", "PUAutoencoder", "PUDeepSVDD",
           "PUEnsemble", "PUGradientBoosting", "PUSearchCV", "PUVAE", "VAEDetector", "estimate_prior"]
