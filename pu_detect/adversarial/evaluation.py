"""The detection-AUC protocol of Pang et al.: successful adversarial pairs only."""

import warnings

import numpy as np
from sklearn.metrics import roc_auc_score

from ..attacks.adapter import class_indices, torch_classifier
from ..engine import predict_float64
from ..utils import validation as v


def successful_pairs(classifier, X, X_adv, y):
    """Which rows count: the clean row is classified correctly and its adversarial version is not.

    Parameters
    ----------
    classifier : fitted classifier
        Any that ``pu_detect.attacks.adapter.torch_classifier`` accepts.
    X, X_adv : array-like of shape (n_samples, n_features)
        Clean rows and their adversarial versions, row for row.
    y : array-like of shape (n_samples,)
        The true classes.

    Returns
    -------
    ndarray of bool, shape (n_samples,)

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> from pu_detect.attacks import fgsm
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X[:1000], y[:1000])
    >>> X_adv = fgsm(clf, X[1000:1100], y[1000:1100], eps=0.2)
    >>> int(successful_pairs(clf, X[1000:1100], X_adv, y[1000:1100]).sum()) > 10
    True
    """
    model = torch_classifier(classifier)
    X = v.check_rows(X, "X")
    X_adv = v.check_rows(X_adv, "X_adv")
    if X_adv.shape != X.shape:
        v._fail("X_adv", f"one adversarial row per clean row (shape {X.shape})", f"shape {X_adv.shape}")
    classes = np.arange(_n_outputs(model, X)) if model.classes is None else model.classes
    target = class_indices(classes, y, len(X))
    clean = np.argmax(predict_float64(model.module, model.logits, X), axis=1)
    attacked = np.argmax(predict_float64(model.module, model.logits, X_adv), axis=1)
    return (clean == target) & (attacked != target)


def _n_outputs(model, X):
    return predict_float64(model.module, model.logits, X[:1]).shape[1]


def detection_auc(detector, X, X_adv, y):
    """ROC AUC of a fitted detector, adversarial rows (positive) against their clean versions.

    Only the pairs of ``successful_pairs`` count, as in Pang et al.'s
    table: a detector is not credited for flagging attacks that failed.

    Parameters
    ----------
    detector : fitted adversarial detector (its ``classifier`` decides success)
    X, X_adv, y
        As in ``successful_pairs``.

    Returns
    -------
    auc : float
        NaN, with a warning, when no pair succeeded.
    n_pairs : int
        The successful pairs scored.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import ConfidenceDetector, RCEClassifier
    >>> from pu_detect.attacks import fgsm
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X[:1000], y[:1000])
    >>> detector = ConfidenceDetector(clf).fit(X[:1000])
    >>> auc, n = detection_auc(detector, X[1000:1100], fgsm(clf, X[1000:1100], y[1000:1100], eps=0.2), y[1000:1100])
    >>> 0.0 <= auc <= 1.0 and n > 10
    True
    """
    if not hasattr(detector, "decision_scores_") or not hasattr(detector, "classifier"):
        v._fail("detector", "a fitted adversarial detector (NonMEDetector, KDensityDetector, ...)",
                type(detector).__name__)
    hit = successful_pairs(detector.classifier, X, X_adv, y)
    n_pairs = int(hit.sum())
    if n_pairs == 0:
        warnings.warn("detection_auc: no attack succeeded on a correctly classified row; returning NaN.",
                      UserWarning, stacklevel=2)
        return float("nan"), 0
    X, X_adv = v.check_rows(X, "X")[hit], v.check_rows(X_adv, "X_adv")[hit]
    scores = np.r_[detector.decision_function(X), detector.decision_function(X_adv)]
    labels = np.r_[np.zeros(n_pairs), np.ones(n_pairs)]
    return float(roc_auc_score(labels, scores)), n_pairs
