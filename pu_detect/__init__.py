"""pu_detect: research-grade deep anomaly detectors with the scikit-learn / PyOD contract.

Semi-supervised detectors learn from a contaminated unlabeled set plus a few
labeled anomalies (positive-unlabeled learning); every estimator has ``fit``,
``decision_function`` (higher = more anomalous) and ``predict`` (0/1).
Adversarial-example detection: ``RCEClassifier`` (reverse cross-entropy
training) with the K-density, non-ME and confidence detectors, and the
attacks of ``pu_detect.attacks``. Robust classifiers: ``RobustClassifier``
(PGD / TRADES adversarial training, OVR and SOVR losses, bounded logits,
Max-Mahalanobis heads) and ``ADPEnsembleClassifier`` (ADP ensembles),
evaluated with ``pu_detect.attacks.apgd`` or ``autoattack``.

Layout: ``engine`` (training loop, optimisers, inference) and ``networks`` /
``losses`` (building blocks) under ``anomaly`` (the detectors), ``classifiers``,
``attacks`` and ``adversarial`` (detectors over a classifier); ``bench`` runs
the benchmark, ``utils`` holds validation, atomic writes and discovery.
"""

from .adversarial import ConfidenceDetector, KDensityDetector, MahalanobisDetector, MaxLogitDetector, NonMEDetector
from .anomaly import ABC, Autoencoder, DeepSAD, DeepSVDD, PUAutoencoder, PUDeepSVDD, PUEnsemble, PUGradientBoosting, PUSearchCV, PUVAE, VAEDetector
from .classifiers import ABSClassifier, ADPEnsembleClassifier, ConfidenceCalibratedClassifier, RCEClassifier, RobustClassifier

__all__ = [
    "ABC", "ABSClassifier", "ADPEnsembleClassifier", "Autoencoder", "ConfidenceCalibratedClassifier", "ConfidenceDetector", "DeepSAD", "DeepSVDD", "KDensityDetector",
    "MahalanobisDetector", "MaxLogitDetector", "NonMEDetector", "PUAutoencoder", "PUDeepSVDD", "PUEnsemble", "PUGradientBoosting", "PUSearchCV", "RCEClassifier",
    "PUVAE", "RobustClassifier", "VAEDetector",
]
__version__ = "0.2.0"
