"""pu_detect: research-grade deep anomaly detectors with the scikit-learn / PyOD contract.

Semi-supervised detectors learn from a contaminated unlabeled set plus a few
labeled anomalies (positive-unlabeled learning); every estimator has ``fit``,
``decision_function`` (higher = more anomalous) and ``predict`` (0/1).
Adversarial-example detection: :class:`RCEClassifier` (reverse cross-entropy
training) with the K-density, non-ME and confidence detectors, and the
attacks of :mod:`pu_detect.attacks`.
"""

from .adversarial import ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier
from .autoencoders import ABC, Autoencoder, PUAutoencoder
from .hypersphere import DeepSAD, DeepSVDD, PUDeepSVDD

__all__ = [
    "ABC", "Autoencoder", "ConfidenceDetector", "DeepSAD", "DeepSVDD", "KDensityDetector",
    "NonMEDetector", "PUAutoencoder", "PUDeepSVDD", "RCEClassifier",
]
__version__ = "0.1.0"
