"""Adversarial-example detectors over a fitted classifier (PyOD's contract).

Fitted on clean training rows of a fitted classifier, they score inputs
higher the more adversarial they look:

* ``NonMEDetector``: minus the entropy of the non-maximal class
  probabilities (RCE makes them uniform, hence high-entropy, on clean inputs);
* ``ConfidenceDetector``: minus the top class probability;
* ``MaxLogitDetector``: minus the largest logit (for a Max-Mahalanobis
  network, the squared distance to the nearest centre);
* ``KDensityDetector``: minus the log
  kernel density of the penultimate features (in its own module).

The classifier is any that ``pu_detect.classifiers.torch_classifier``
accepts: a pu_detect classifier, a fitted skorch ``NeuralNetClassifier`` or a
plain torch module returning logits. Only K-density needs penultimate
features. ``clone`` keeps the fitted classifier (it is frozen, as sklearn's
``FrozenEstimator``), so ``GridSearchCV`` and ``cross_val_score`` can tune a
detector's own parameters.

References
----------
Pang, Du, Dong and Zhu, "Towards Robust Detection of Adversarial Examples",
NeurIPS 2018 (RCE, K-density, non-ME). Feinman et al., "Detecting Adversarial
Samples from Artifacts", 2017 (kernel density).
"""

import numpy as np
from pyod.models.base import BaseDetector
from scipy.special import logsumexp, softmax
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ..attacks.adapter import class_indices, torch_classifier
from ..engine import predict_float64
from ..persistence import PersistenceMixin
from ..utils import validation as v
from ..utils.thresholds import (ThresholdPredictMixin, check_contamination, check_scores_state,
                                process_decision_scores)


class _AdversarialDetector(ThresholdPredictMixin, PersistenceMixin, BaseDetector):
    """Shared fit/score template: a detector over a fitted classifier's outputs.

    ``contamination`` is the false-positive rate on clean data at which
    ``threshold_`` is calibrated (the detector is fitted on clean rows).
    ``save``/``load`` write the detector's fitted state with its classifier's
    (a pu_detect classifier; a skorch net or torch module is not saved).
    """

    _uses_features = False

    def _model(self):
        model = torch_classifier(self.classifier, self.features)
        if self._uses_features:
            model.require_features(type(self).__name__)
        return model

    def _check_params(self):
        check_contamination(self.contamination)
        return self._model()

    def _outputs(self, model, X):
        """Prediction logits and (for K-density) penultimate features of rows ``X``, float64."""
        logits = predict_float64(model.module, model.logits, X)
        features = predict_float64(model.module, model.features, X) if self._uses_features else None
        return logits, features

    def __sklearn_clone__(self):
        """An unfitted copy that shares the fitted classifier instead of cloning it.

        The classifier is the detector's fixed input, frozen as sklearn's
        ``FrozenEstimator`` freezes one: ``clone``, ``GridSearchCV`` and
        ``cross_val_score`` then tune and refit the detector's own
        parameters over the same fitted classifier.
        """
        params = self.get_params(deep=False)
        classifier = params.pop("classifier")
        return type(self)(classifier=classifier, **{k: clone(p, safe=False) for k, p in params.items()})

    def _check_X(self, model, X, reset):
        X = v.check_X(self, X, reset=reset)
        expected = model.n_features
        if expected is not None and X.shape[1] != expected:
            v._fail("X", f"rows of the classifier's {expected} features", f"{X.shape[1]} features")
        return X

    def fit(self, X, y=None):
        """Fit on clean rows ``X`` (``y``: their true classes, optional) and calibrate ``threshold_``."""
        model = self._check_params()
        X = self._check_X(model, X, reset=True)
        self._fit(model, X, y)
        self._classes = 2
        self._process_decision_scores()
        return self

    def _process_decision_scores(self):
        return process_decision_scores(self)

    def _check_loaded_state(self):
        check_scores_state(self)

    def decision_function(self, X):
        """Adversarial score of each row: higher = more likely adversarial."""
        check_is_fitted(self, "decision_scores_")
        model = self._model()
        X = self._check_X(model, X, reset=False)
        return self._score(*self._outputs(model, X))

    def _fit(self, model, X, y):
        self.decision_scores_ = self._score(*self._outputs(model, X))

    @staticmethod
    def _class_labels(model, logits, y):
        """Output indices of the training rows' classes: of ``y`` where given, else the predicted ones."""
        if y is None:
            return np.argmax(logits, axis=1)
        classes = np.arange(logits.shape[1]) if model.classes is None else model.classes
        return class_indices(classes, y, len(logits))


def _non_max_entropy(logits):
    """Entropy of the class distribution renormalised over the non-predicted classes."""
    k = np.argmax(logits, axis=1)
    others = logits.copy()
    others[np.arange(len(k)), k] = -np.inf
    log_p = others - logsumexp(others, axis=1, keepdims=True)
    p = np.exp(log_p)
    log_p[np.arange(len(k)), k] = 0.0  # the predicted class is left out (p = 0 there)
    return -np.sum(p * log_p, axis=1)


class NonMEDetector(_AdversarialDetector):
    """Non-maximal entropy (Pang et al., 2018): score = ``-nonME(x)``.

    With the classifier's probabilities ``F`` and predicted class ``k``,
    ``nonME = -sum_{i != k} F^_i log F^_i`` where ``F^_i = F_i / sum_{j != k} F_j``.
    An RCE network makes the non-maximal probabilities uniform on clean
    inputs; adversarial ones break that.

    Parameters
    ----------
    classifier : fitted classifier
        Any that ``pu_detect.classifiers.torch_classifier`` accepts; it needs
        no ``features``.
    features : callable or None
        Unused; accepted for a signature uniform with K-density.
    contamination : float in (0, 0.5] or thresholding object, default=0.05
        False-positive rate on clean data at which ``threshold_`` is set, or a
        PyThresh-style object that chooses it (``pu_detect.utils.thresholds``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(hidden_dims=(64,), epochs=20, random_state=0).fit(X / 16, y)
    >>> detector = NonMEDetector(clf).fit(X / 16)
    >>> detector.decision_function(X[:3] / 16).shape
    (3,)
    """

    def __init__(self, classifier=None, features=None, contamination=0.05):
        self.classifier = classifier
        self.features = features
        self.contamination = contamination

    def _fit(self, model, X, y):
        logits, features = self._outputs(model, X)
        if logits.shape[1] < 3:
            v._fail("classifier", "a classifier of at least 3 classes (with 2, the non-maximal "
                    "distribution has one class and its entropy is 0 for every row)",
                    f"{logits.shape[1]} classes")
        self.decision_scores_ = self._score(logits, features)

    def _score(self, logits, features):
        return -_non_max_entropy(logits)


class ConfidenceDetector(_AdversarialDetector):
    """Confidence baseline: score = ``-max_i F_i``, minus the top class probability.

    Parameters as ``NonMEDetector``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=20, random_state=0).fit(X / 16, y)
    >>> bool(ConfidenceDetector(clf).fit(X / 16).threshold_ < 0)
    True
    """

    def __init__(self, classifier=None, features=None, contamination=0.05):
        self.classifier = classifier
        self.features = features
        self.contamination = contamination

    def _score(self, logits, features):
        return -softmax(logits, axis=1).max(axis=1)


class MaxLogitDetector(_AdversarialDetector):
    """Score = ``-max_i Z_i``, minus the largest prediction logit.

    For a Max-Mahalanobis network (``RobustClassifier(head="max_mahalanobis")``,
    logits ``-||z - mu_i||^2``) this is the squared distance of the
    features ``z`` to the nearest class centre, the natural detector of
    Pang et al.'s MMC geometry; for other networks it is the max-logit
    baseline of out-of-distribution detection (unlike the top probability
    it keeps the logits' scale). Parameters as ``NonMEDetector``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RobustClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RobustClassifier(loss="mmc", head="max_mahalanobis", hidden_dims=(64,), epochs=40, random_state=0)
    >>> clf = clf.fit(X / 16, y)
    >>> detector = MaxLogitDetector(clf).fit(X / 16)
    >>> bool(detector.decision_function(X[:5] / 16 + 3).min() > detector.decision_function(X[:5] / 16).max())
    True
    """

    def __init__(self, classifier=None, features=None, contamination=0.05):
        self.classifier = classifier
        self.features = features
        self.contamination = contamination

    def _score(self, logits, features):
        return -logits.max(axis=1)
