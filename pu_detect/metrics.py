"""Model selection on PU data (the ROC AUC of labeled anomalies vs unlabeled rows), and TNR at a TPR.

On a validation fold with PU labels (1 = labeled anomaly, 0 = unlabeled), let
``a`` be the anomaly fraction of the unlabeled rows. If labeled anomalies are
drawn like the other anomalies, the AUC of labeled-vs-unlabeled is

    AUC_PU = (1 - a) * AUC + a / 2,

an increasing affine function of the true normal-vs-anomaly AUC (Menon et al.,
ICML 2015; Jain et al., 2017). It therefore ranks models as the true AUC would,
and ``true_roc_auc`` undoes the map when ``a`` is known. With
``GridSearchCV``, use a stratified splitter so that every fold holds labeled
anomalies.
"""

import warnings

import numpy as np
from sklearn.metrics import make_scorer, roc_auc_score

from .utils import validation as v


def pu_roc_auc(y_pu, scores):
    """ROC AUC of labeled anomalies (``y_pu == 1``) against unlabeled rows.

    Returns NaN, with a warning, when ``y_pu`` holds only one class (a fold
    without labeled anomalies).

    Parameters
    ----------
    y_pu : array-like of shape (n_samples,)
        1 = labeled anomaly, 0 = unlabeled.
    scores : array-like of shape (n_samples,)
        Anomaly scores, higher = more anomalous.

    Examples
    --------
    >>> pu_roc_auc([0, 0, 1, 0], [0.1, 0.4, 0.9, 0.3])
    1.0
    """
    scores = v.check_scores(scores)
    labeled = v.check_pu_labels(y_pu, len(scores))
    if labeled.all() or not labeled.any():
        warnings.warn(
            "pu_roc_auc needs labeled anomalies and unlabeled rows; this fold has only "
            f"{'labeled anomalies' if labeled.all() else 'unlabeled rows'}. Returning NaN: "
            "use a stratified splitter.",
            UserWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(roc_auc_score(labeled, scores))


def true_roc_auc(pu_auc, prior):
    """Invert ``AUC_PU = (1 - a) AUC + a / 2`` for a known anomaly fraction ``a``.

    Examples
    --------
    >>> round(true_roc_auc(0.85, 0.1), 6)
    0.888889
    """
    prior = v.check_float(prior, "prior", 0.0, 1.0, low_inclusive=True)
    low, high = prior / 2, 1 - prior / 2  # the PU AUCs of true AUCs 0 and 1
    pu_auc = v.check_float(pu_auc, "pu_auc", 0.0, 1.0, low_inclusive=True, high_inclusive=True)
    if not low - 1e-12 <= pu_auc <= high + 1e-12:
        v._fail("pu_auc", f"a value in [{low:.6g}, {high:.6g}] for prior={prior:g} (the PU AUCs of true "
                "AUCs 0 and 1); a value outside means the prior is wrong", pu_auc)
    return min(max((pu_auc - prior / 2) / (1 - prior), 0.0), 1.0)


def tnr_at_tpr(y_true, scores, tpr=0.95):
    """True negative rate at a true positive rate: out-of-distribution detection's headline number.

    With ``y_true`` 1 for out-of-distribution (anomalous) rows and 0 for
    in-distribution ones, and scores higher for more anomalous rows, the
    threshold is the lowest score that keeps at least the fraction ``tpr`` of
    the in-distribution rows at or below it (they are the positives of Lee et
    al.'s "TNR at TPR 95%"); the result is the fraction of
    out-of-distribution rows above it.

    Examples
    --------
    >>> tnr_at_tpr([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.5, 0.95], tpr=0.75)
    1.0
    >>> tnr_at_tpr([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.5, 0.95], tpr=1.0)
    0.5
    """
    y_true = v.check_anomaly_labels(y_true, len(np.asarray(y_true)), "y_true")
    scores = v.check_scores(scores, n_samples=len(y_true))
    tpr = v.check_float(tpr, "tpr", 0.0, 1.0, high_inclusive=True)
    inside, outside = np.sort(scores[y_true == 0]), scores[y_true == 1]
    if len(inside) == 0 or len(outside) == 0:
        v._fail("y_true", "both in-distribution (0) and out-of-distribution (1) rows",
                f"{len(inside)} and {len(outside)}")
    threshold = inside[int(np.ceil(tpr * len(inside) - 1e-9)) - 1]
    return float(np.mean(outside > threshold))


pu_roc_auc_scorer = make_scorer(pu_roc_auc, response_method="decision_function")
"""Scorer for ``GridSearchCV`` / ``cross_val_score`` on PU labels: ``pu_roc_auc`` of ``decision_function``."""
