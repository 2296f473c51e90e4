"""The threshold and 0/1 labels of a fitted detector, from its training scores (PyOD's rule)."""

import numpy as np

from . import validation as v


def process_decision_scores(detector):
    """Set ``threshold_``, ``labels_``, ``_mu`` and ``_sigma`` from ``decision_scores_``, as PyOD does.

    PyOD's own ``_process_decision_scores`` treats any ``contamination`` that
    is not a Python float or int (``np.float32(0.1)``, say) as a thresholding
    object and calls its ``fit``; here every real number in (0, 0.5] is a
    fraction.
    """
    contamination = v.check_contamination(detector.contamination)
    scores = detector.decision_scores_
    detector.threshold_ = np.percentile(scores, 100 * (1 - contamination))
    detector.labels_ = (scores > detector.threshold_).astype("int").ravel()
    detector._mu, detector._sigma = np.mean(scores), np.std(scores)
    return detector


def check_scores_state(detector):
    """Raise when a detector's fitted scores, threshold and labels disagree (read from a file, say)."""
    scores = np.asarray(detector.decision_scores_)
    labels = np.asarray(detector.labels_)
    if scores.ndim != 1 or scores.dtype.kind != "f" or not np.all(np.isfinite(scores)):
        raise ValueError(f"decision_scores_ must be a 1-D array of finite floats; got shape {scores.shape}")
    if labels.shape != scores.shape or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"labels_ must be one 0/1 label per training score; got shape {labels.shape}")
    threshold = detector.threshold_
    if not isinstance(threshold, (float, int, np.floating, np.integer)) or not np.isfinite(threshold):
        raise ValueError(f"threshold_ must be a finite number; got {threshold!r}")
    n_features = detector.n_features_in_
    if not isinstance(n_features, int) or n_features < 1:
        raise ValueError(f"n_features_in_ must be an integer >= 1; got {n_features!r}")
