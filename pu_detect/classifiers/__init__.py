"""Neural classifiers on one base (``BaseNeuralClassifier``).

``RCEClassifier`` (reverse cross-entropy, Pang et al. 2018) and
``RobustClassifier`` (adversarial training, OVR / SOVR losses, bounded
logits, Max-Mahalanobis heads), ``ADPEnsembleClassifier`` (ADP ensembles) and
``ConfidenceCalibratedClassifier`` (the confidence loss, with a jointly trained
GAN, given outliers or ``synthetic_outliers`` made from the training rows) and ``ABSClassifier`` (analysis by synthesis, one VAE
per class); each new family is one more module here. ``torch_classifier`` (from ``pu_detect.attacks.adapter``) turns any
fitted classifier into the torch functions the detectors and attacks use.
"""

from ..attacks.adapter import TorchClassifier, class_indices, torch_classifier
from .abs import ABSClassifier
from .base import BaseNeuralClassifier
from .confidence import ConfidenceCalibratedClassifier, synthetic_outliers
from .ensembles import ADPEnsembleClassifier
from .rce import RCEClassifier
from .robust import RobustClassifier

__all__ = ["ABSClassifier", "ADPEnsembleClassifier", "BaseNeuralClassifier", "ConfidenceCalibratedClassifier", "RCEClassifier", "RobustClassifier", "TorchClassifier", "class_indices", "synthetic_outliers", "torch_classifier"]
