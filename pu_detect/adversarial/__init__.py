"""Adversarial-example detection over a fitted classifier, and attacks that target a detector.

* ``detectors``: ``NonMEDetector``,
  ``ConfidenceDetector``, ``MaxLogitDetector`` and their shared template;
* ``kdensity``: ``KDensityDetector`` and the
  K-density formula;
* ``mahalanobis``: ``MahalanobisDetector`` (class means and a tied
  covariance of the penultimate features);
* ``adaptive``: ``kdensity_cw``, the attack on
  a K-density detector;
* ``evaluation``: ``detection_auc`` and ``successful_pairs``, Pang et al.'s
  AUC protocol.

``RCEClassifier``, ``torch_classifier`` and ``class_indices`` are importable
from here as in pu_detect 0.1.0; they live in ``pu_detect.classifiers``
and ``pu_detect.attacks.adapter``.
"""

from ..attacks.adapter import TorchClassifier, class_indices, torch_classifier
from ..classifiers import RCEClassifier
from .adaptive import kdensity_cw
from .detectors import ConfidenceDetector, MaxLogitDetector, NonMEDetector
from .evaluation import detection_auc, successful_pairs
from .kdensity import NO_DENSITY_SCORE, KDensityDetector, kdensity_score
from .mahalanobis import MahalanobisDetector

__all__ = ["NO_DENSITY_SCORE", "ConfidenceDetector", "KDensityDetector", "MahalanobisDetector", "MaxLogitDetector", "NonMEDetector", "RCEClassifier",
           "TorchClassifier", "class_indices", "detection_auc", "kdensity_cw", "kdensity_score", "successful_pairs",
           "torch_classifier"]
