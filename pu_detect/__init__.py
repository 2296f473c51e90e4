"""pu_detect: research-grade deep anomaly detectors with the scikit-learn / PyOD contract.

Semi-supervised detectors learn from a contaminated unlabeled set plus a few
labeled anomalies (positive-unlabeled learning); every estimator has ``fit``,
``decision_function`` (higher = more anomalous) and ``predict`` (0/1).
"""

from .autoencoders import ABC, Autoencoder, PUAutoencoder
from .hypersphere import DeepSAD, DeepSVDD, PUDeepSVDD

__all__ = ["ABC", "Autoencoder", "DeepSAD", "DeepSVDD", "PUAutoencoder", "PUDeepSVDD"]
__version__ = "0.1.0"
