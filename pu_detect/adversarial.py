"""Adversarial-example detection: reverse cross-entropy training and three detectors.

:class:`RCEClassifier` trains a classifier with reverse cross-entropy (or
plain cross-entropy, for the comparison arm). The detectors, fitted on clean
training data of a fitted classifier, score inputs higher the more
adversarial they look (PyOD's contract):

* :class:`KDensityDetector`: minus the log kernel density of the input's
  penultimate-layer features among training features of its predicted class;
* :class:`NonMEDetector`: minus the entropy of the non-maximal class
  probabilities (RCE makes them uniform, hence high-entropy, on clean inputs);
* :class:`ConfidenceDetector`: minus the top class probability.

The detectors take an :class:`RCEClassifier`, a fitted skorch
``NeuralNetClassifier`` or a plain torch module (see :func:`torch_classifier`).

References
----------
Pang, Du, Dong and Zhu, "Towards Robust Detection of Adversarial Examples",
NeurIPS 2018 (RCE, K-density, non-ME). Feinman et al., "Detecting Adversarial
Samples from Artifacts", 2017 (kernel density).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from pyod.models.base import BaseDetector
from scipy.special import logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from . import _validation as v
from ._training import as_tensor, predict_float64, train
from .losses import ReverseCrossEntropyLoss, reverse_cross_entropy
from .nets import Classifier, build
from .persistence import PersistenceMixin

_LOSSES = ("rce", "ce")
#: K-density score of a row whose predicted class has no kernel centre (large and finite, so
#: that thresholds, ROC curves and PyOD's score statistics stay defined).
NO_DENSITY_SCORE = 1e100


def _cross_entropy(logits, target, reduction="none"):
    return torch.nn.functional.cross_entropy(logits, target, reduction=reduction)


class RCEClassifier(PersistenceMixin, ClassifierMixin, BaseEstimator):
    """A neural classifier trained with reverse cross-entropy (or cross-entropy).

    Parameters
    ----------
    loss : {"rce", "ce"}, default="rce"
        ``"rce"``: :func:`pu_detect.losses.reverse_cross_entropy`, predicting
        with ``softmax(-Z)``; ``"ce"``: cross-entropy, predicting with
        ``softmax(Z)``.
    hidden_dims : tuple of int or None, default=None
        MLP widths, or with ``input_shape`` the conv channels followed by the
        dense feature width (:class:`pu_detect.nets.Classifier`). ``None``:
        ``(256, 256)`` for an MLP, ``(16, 32, 64)`` for a conv net.
    input_shape : tuple (C, H, W) or None, default=None
        View rows as images and use the conv network.
    epochs, batch_size, lr, weight_decay : training by Adam in the library's loop.
    validation_fraction : float in (0, 1) or None, default=None
        Hold out this fraction for early stopping on the training loss.
    n_iter_no_change : int, default=10
    device : str, default="cpu"
    random_state : int, RandomState, Generator or None, default=None
    verbose : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of the class labels
    module_ : pu_detect.nets.Classifier
    history_ : dict, the training loss per epoch
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(hidden_dims=(64,), epochs=30, random_state=0).fit(X[:1000] / 16, y[:1000])
    >>> bool(clf.score(X[1000:] / 16, y[1000:]) > 0.9)
    True
    >>> clf.predict_proba(X[:2] / 16).shape, clf.features(X[:2] / 16).shape
    ((2, 10), (2, 64))
    """

    _parameter_checks = {
        "loss": lambda x: v.check_option(x, "loss", _LOSSES),
        "hidden_dims": lambda x: None if x is None else v.check_int_tuple(x, "hidden_dims"),
        "input_shape": lambda x: None if x is None else v.check_int_tuple(x, "input_shape", length=3),
        "epochs": lambda x: v.check_int(x, "epochs"),
        "batch_size": lambda x: v.check_int(x, "batch_size"),
        "lr": lambda x: v.check_float(x, "lr", 0.0, np.inf),
        "weight_decay": lambda x: v.check_float(x, "weight_decay", 0.0, np.inf, low_inclusive=True),
        "validation_fraction": lambda x: None if x is None else v.check_float(x, "validation_fraction", 0.0, 1.0),
        "n_iter_no_change": lambda x: v.check_int(x, "n_iter_no_change"),
        "device": v.check_device,
        "random_state": v.check_seed,
        "verbose": lambda x: v.check_bool(x, "verbose"),
    }

    def __init__(
        self,
        loss="rce",
        hidden_dims=None,
        input_shape=None,
        epochs=20,
        batch_size=128,
        lr=1e-3,
        weight_decay=0.0,
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=False,
    ):
        self.loss = loss
        self.hidden_dims = hidden_dims
        self.input_shape = input_shape
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Fit the classifier on ``X`` with class labels ``y``; returns ``self``."""
        params = v.check_params(self)
        X = v.check_X(self, X, reset=True)
        y = _check_targets(y, len(X))
        self.classes_, target = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            v._fail("y", "class labels of at least 2 classes", f"1 class ({self.classes_[0]!r})")
        n_features = X.shape[1]
        v.check_input_shape_fits(self.input_shape, params.input_shape, n_features)
        generator = torch.Generator().manual_seed(params.random_state)
        self.module_ = build(lambda: self._make_module(n_features, params), generator, params.device)
        loss = reverse_cross_entropy if params.loss == "rce" else _cross_entropy
        rows = as_tensor(X, params.device)
        data = (rows, torch.as_tensor(target, device=params.device))

        def objective(module, batch, _):
            return loss(module(batch[0]), batch[1], reduction="mean")

        self.history_ = train(
            self.module_, objective, data, rows[:0], epochs=params.epochs,
            batch_size=params.batch_size, lr=params.lr, weight_decay=params.weight_decay,
            generator=generator, validation_fraction=params.validation_fraction,
            n_iter_no_change=params.n_iter_no_change, verbose=params.verbose,
            description=f"RCEClassifier ({params.loss})",
        )
        return self

    def _make_module(self, n_features, params):
        hidden = params.hidden_dims or ((256, 256) if params.input_shape is None else (16, 32, 64))
        return Classifier(n_features, len(self.classes_), hidden, params.input_shape)

    def _rows(self, X):
        check_is_fitted(self, "module_")
        return v.check_X(self, X, reset=False)

    def logits(self, X):
        """The network's logits ``Z`` (before any reversal), shape (n_samples, n_classes)."""
        X = self._rows(X)
        return predict_float64(self.module_, lambda net, batch: net(batch), X)

    def features(self, X):
        """Penultimate-layer activations, shape (n_samples, hidden_dims[-1])."""
        X = self._rows(X)
        return predict_float64(self.module_, lambda net, batch: net.features(batch), X)

    def predict_proba(self, X):
        """Class probabilities: ``softmax(-Z)`` for RCE, ``softmax(Z)`` for CE."""
        return softmax(self.logits(X) * (-1.0 if self.loss == "rce" else 1.0), axis=1)

    def predict(self, X):
        """The most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _check_targets(y, n_samples):
    if y is None:
        raise ValueError("This classifier requires y to be passed, but the target y is None: "
                         "y must be class labels, one per row of X.")
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if len(y) != n_samples:
        v._fail("y", f"{n_samples} labels, one per row of X", f"{len(y)} labels")
    return y


def class_indices(classes, y, n_rows):
    """Class labels ``y`` (one per row) as indices into ``classes``, the classifier's outputs.

    ``classes=None`` (a plain torch module) takes ``y`` as the indices themselves.
    """
    y = _check_targets(y, n_rows)
    if classes is None:
        return y.astype(np.int64)
    index = {c: i for i, c in enumerate(classes.tolist())}
    unknown = sorted(set(np.unique(y).tolist()) - set(index))
    if unknown:
        v._fail("y", f"classes the classifier was fitted on ({classes.tolist()})", unknown)
    return np.array([index[c] for c in y.tolist()], dtype=np.int64)


@dataclass(frozen=True)
class TorchClassifier:
    """A fitted classifier seen as torch functions, for the detectors and the attacks.

    ``logits(module, x)``: logits whose softmax is the predicted class
    distribution (``-Z`` for an RCE network); ``features(module, x)``: the
    penultimate layer; ``module``: the network (float32, eval mode).
    """

    module: torch.nn.Module
    logits: Callable
    features: Callable
    classes: np.ndarray
    n_features: int


def torch_classifier(classifier, features=None):
    """Wrap a fitted classifier for the detectors and :mod:`pu_detect.attacks`.

    Parameters
    ----------
    classifier : RCEClassifier, skorch NeuralNetClassifier, torch.nn.Module or TorchClassifier
        Fitted. A skorch net trained with
        :class:`~pu_detect.losses.ReverseCrossEntropyLoss` as criterion is
        read as an RCE network (predicting with ``softmax(-Z)``). A plain
        module must return logits whose softmax is its class distribution
        (for an RCE network, return ``-Z``).
    features : callable ``(module, x) -> Tensor`` or None
        The penultimate layer; ``None`` uses ``module.features`` where the
        module has one (as :class:`pu_detect.nets.Classifier` does).

    Returns
    -------
    TorchClassifier
    """
    if isinstance(classifier, TorchClassifier):
        return classifier
    reverse = False
    classes = None
    n_features = None
    if isinstance(classifier, RCEClassifier):
        check_is_fitted(classifier, "module_")
        module, reverse = classifier.module_, classifier.loss == "rce"
        classes, n_features = classifier.classes_, classifier.n_features_in_
    elif isinstance(classifier, torch.nn.Module):
        module = classifier
    elif hasattr(classifier, "module_") and hasattr(classifier, "criterion_"):  # skorch
        module = classifier.module_
        reverse = isinstance(classifier.criterion_, ReverseCrossEntropyLoss)
        classes = getattr(classifier, "classes_", None)
        classes = getattr(classifier, "classes_inferred_", None) if classes is None else classes
    else:
        v._fail("classifier", "a fitted RCEClassifier, skorch NeuralNetClassifier or torch.nn.Module",
                type(classifier).__name__)
    if features is None:
        if not isinstance(getattr(module, "features", None), torch.nn.Module):
            v._fail("features", "a callable (module, x) -> penultimate features, since the module "
                    "has no 'features' submodule", None)
        features = _module_features
    elif not callable(features):
        v._fail("features", "a callable (module, x) -> penultimate features", features)
    logits = _reversed_forward if reverse else _forward
    if n_features is None:
        first = next(p for p in module.parameters() if p.dim() >= 2)
        n_features = first.shape[1] if first.dim() == 2 else None
    return TorchClassifier(module, logits, features, None if classes is None else np.asarray(classes),
                           n_features)


def _forward(module, x):
    return module(x)


def _reversed_forward(module, x):
    return -module(x)


def _module_features(module, x):
    return module.features(x)


class _AdversarialDetector(BaseDetector):
    """Shared fit/score template: a detector over a fitted classifier's outputs.

    ``contamination`` is the false-positive rate on clean data at which
    ``threshold_`` is calibrated (the detector is fitted on clean rows).
    """

    _uses_features = False

    def _check_params(self):
        v.check_contamination(self.contamination)
        return torch_classifier(self.classifier, self.features)

    def _outputs(self, model, X):
        """Prediction logits and (for K-density) penultimate features of rows ``X``, float64."""
        logits = predict_float64(model.module, model.logits, X)
        features = predict_float64(model.module, model.features, X) if self._uses_features else None
        return logits, features

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

    def decision_function(self, X):
        """Adversarial score of each row: higher = more likely adversarial."""
        check_is_fitted(self, "decision_scores_")
        model = torch_classifier(self.classifier, self.features)
        X = self._check_X(model, X, reset=False)
        return self._score(*self._outputs(model, X))

    def _fit(self, model, X, y):
        self.decision_scores_ = self._score(*self._outputs(model, X))


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
    classifier : fitted classifier (see :func:`torch_classifier`)
    features : callable or None (unused; accepted for a uniform signature)
    contamination : float in (0, 0.5], default=0.05
        False-positive rate on clean data at which ``threshold_`` is set.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
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

    def _score(self, logits, features):
        return -_non_max_entropy(logits)


class ConfidenceDetector(_AdversarialDetector):
    """Confidence baseline: score = ``-max_i F_i``, minus the top class probability.

    Parameters as :class:`NonMEDetector`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
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


class KDensityDetector(_AdversarialDetector):
    """Kernel density of the penultimate features (Feinman et al., 2017; Pang et al., 2018).

    ``KD(x) = mean_i exp(-||z(x) - z_i||^2 / sigma^2)`` over up to
    ``max_per_class`` training features ``z_i`` of the class predicted for
    ``x``; score = ``-log KD(x)`` (the same ranking as ``-KD``, without
    underflow to ties far from the data). Training rows that are kernel
    centres are scored leave-one-out, so ``threshold_`` is calibrated
    honestly.

    Parameters
    ----------
    classifier : fitted classifier (see :func:`torch_classifier`)
    features : callable ``(module, x) -> Tensor`` or None
        Penultimate layer (``None``: ``module.features``).
    bandwidth : float, "mlcv" or "median", default="mlcv"
        ``sigma^2``. ``"mlcv"``: maximum-likelihood cross-validation on the
        clean kernel centres, the textbook bandwidth selector for a kernel
        density: the value on a grid of 17 log-spaced multiples (1e-4 to 1)
        of the median heuristic that maximises the leave-one-out log
        likelihood of the centres under their own class's density. It uses
        clean data only and adapts to each network's feature scale.
        ``"median"``: the median squared distance between centres of the same
        class (smoother; on MNIST it gave lower AUCs, see benchmarks/README.md).
        Pang et al. tuned 0.1/0.26 for their RCE and 1/0.26 for their CE network.
    max_per_class : int, default=1000
    contamination : float in (0, 0.5], default=0.05
        False-positive rate on clean data at which ``threshold_`` is set.
    random_state : int or None, default=0
        Which centres are kept when a class has more than ``max_per_class``.

    Attributes
    ----------
    bandwidth_ : float, the ``sigma^2`` used
    centers_ : dict class index -> ndarray of kernel centres
    center_rows_ : dict class index -> the training rows they came from

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(hidden_dims=(64,), epochs=20, random_state=0).fit(X / 16, y)
    >>> detector = KDensityDetector(clf).fit(X / 16, y)
    >>> detector.decision_function(X[:3] / 16).shape
    (3,)
    """

    _uses_features = True

    def __init__(self, classifier=None, features=None, bandwidth="mlcv", max_per_class=1000,
                 contamination=0.05, random_state=0):
        self.classifier = classifier
        self.features = features
        self.bandwidth = bandwidth
        self.max_per_class = max_per_class
        self.contamination = contamination
        self.random_state = random_state

    def _check_params(self):
        model = super()._check_params()
        if self.bandwidth not in ("mlcv", "median"):
            v.check_float(self.bandwidth, "bandwidth", 0.0, np.inf)
        v.check_int(self.max_per_class, "max_per_class")
        return model

    def _fit(self, model, X, y):
        logits, features = self._outputs(model, X)
        predicted = np.argmax(logits, axis=1)
        if y is None:
            labels = predicted
        else:
            classes = np.arange(logits.shape[1]) if model.classes is None else model.classes
            labels = class_indices(classes, y, len(X))
        rng = np.random.default_rng(v.check_seed(self.random_state))
        self.centers_, self.center_rows_ = {}, {}
        for c in np.unique(labels):
            rows = np.flatnonzero(labels == c)
            if len(rows) > self.max_per_class:
                rows = np.sort(rng.choice(rows, self.max_per_class, replace=False))
            self.centers_[int(c)], self.center_rows_[int(c)] = features[rows], rows
        within = [_squared_distances(z, z) for z in self.centers_.values() if len(z) > 1]
        pairs = np.concatenate([d[np.triu_indices(len(d), 1)] for d in within]) if within else np.array([1.0])
        median = float(np.median(pairs)) or 1.0
        if self.bandwidth == "median" or (self.bandwidth == "mlcv" and not within):
            self.bandwidth_ = median
        elif self.bandwidth == "mlcv":
            grid = median * np.logspace(-4, 0, 17)
            likelihood = [_loo_log_likelihood(within, s2, features.shape[1]) for s2 in grid]
            self.bandwidth_ = float(grid[int(np.argmax(likelihood))])
        else:
            self.bandwidth_ = float(self.bandwidth)
        self.decision_scores_ = self._score(logits, features, leave_out=np.arange(len(X)))

    def _score(self, logits, features, leave_out=None):
        predicted = np.argmax(logits, axis=1)
        scores = np.empty(len(features))
        for c in np.unique(predicted):
            rows = np.flatnonzero(predicted == c)
            centers = self.centers_.get(int(c))
            if centers is None:  # a class with no training row: no density anywhere
                scores[rows] = NO_DENSITY_SCORE
                continue
            exponents = -_squared_distances(features[rows], centers) / self.bandwidth_
            n = np.full(len(rows), len(centers), dtype=float)
            if leave_out is not None:
                same = leave_out[rows][:, None] == self.center_rows_[int(c)][None, :]
                exponents[same] = -np.inf
                n -= same.sum(axis=1)
            with np.errstate(divide="ignore"):  # a lone centre scored leave-one-out: no density
                log_density = logsumexp(exponents, axis=1) - np.log(np.maximum(n, 1))
            scores[rows] = np.where(n > 0, -log_density, NO_DENSITY_SCORE)
        return scores


def _loo_log_likelihood(within_class_distances, bandwidth, dimension):
    """Mean leave-one-out log density of kernel centres under a Gaussian kernel of ``bandwidth``.

    The kernel ``exp(-||z - z_i||^2 / sigma^2)`` is a normal density of
    variance ``sigma^2 / 2`` per dimension up to ``(pi sigma^2)^(-d/2)``,
    which is what makes the likelihood comparable across bandwidths.
    """
    total, count = 0.0, 0
    for distances in within_class_distances:
        exponents = -distances / bandwidth
        np.fill_diagonal(exponents, -np.inf)
        total += np.sum(logsumexp(exponents, axis=1) - np.log(len(distances) - 1))
        count += len(distances)
    return total / count - dimension / 2 * np.log(np.pi * bandwidth)


def _squared_distances(a, b):
    return np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0.0)
