"""Neural classifiers on one base (``BaseNeuralClassifier``).

``RCEClassifier`` (reverse cross-entropy, Pang et al. 2018) today; each
new family (robust, Max-Mahalanobis, ensembles, generative) is one more
module here. ``torch_classifier`` (from ``pu_detect.attacks.adapter``) turns any
fitted classifier into the torch functions the detectors and attacks use.
"""

from ..attacks.adapter import TorchClassifier, class_indices, torch_classifier
from .base import BaseNeuralClassifier
from .rce import RCEClassifier

__all__ = ["BaseNeuralClassifier", "RCEClassifier", "TorchClassifier", "class_indices", "torch_classifier"]
