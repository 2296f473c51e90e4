"""Running pu_detect estimators inside PyOD's own harnesses.

PyOD's benchmark loops call ``fit(X_train)`` and ``decision_function(X_test)``
and read ``decision_scores_``, ``threshold_`` and ``labels_``: every pu_detect
detector does this as is (semi-supervised ones warn that no anomaly is
labeled and train unsupervised). PyOD 3's ``ADEngine`` builds its detectors
from its own knowledge base by name and fits them on ``X_train`` alone;
``run_with_adengine`` hands it a pu_detect detector instead, with the
labeled anomalies passed through, so its analysis and reporting run on ours.
"""

import copy

import numpy as np
from sklearn.base import clone

from .utils import validation as v


class _FitWithLabels:
    """``ADEngine`` calls ``fit(X)``; this fits the wrapped detector on ``(X, y)`` and reads through to it."""

    def __init__(self, detector, y):
        self._detector, self._y = detector, y

    def fit(self, X):
        self._detector.fit(X, self._y)
        return self

    def __getattr__(self, name):
        return getattr(self._detector, name)


def adengine_plan(detector):
    """An ``ADEngine`` detection plan naming ``detector`` (the form ``run_detection`` expects)."""
    return {
        "detector_name": type(detector).__name__,
        "params": detector.get_params(deep=False),
        "reason": "pu_detect estimator supplied by the user",
        "evidence": [],
        "confidence": "user",
        "alternatives": [],
    }


def run_with_adengine(detector, X_train, X_test=None, engine=None, *, y=None):
    """Fit a clone of ``detector`` through ``ADEngine.run_detection`` and analyse the result.

    Parameters
    ----------
    detector : a pu_detect detector (unfitted; it is cloned)
    X_train, X_test : array-like
    engine : pyod.utils.ad_engine.ADEngine or None
        The engine whose analysis to use (copied, never modified); a new one by default.
    y : None, array-like of shape (n_train,), or array-like of shape (n_anomalies, n_features)
        The labeled anomalies, in either of ``fit``'s spellings: PU labels
        of ``X_train`` (1 = labeled anomaly), or the anomalies' rows
        (``X_anom``), which are appended to ``X_train`` as labeled rows, so
        that ``scores_train`` and the analysis cover them too. ``None``: the
        detector trains on ``X_train`` alone (semi-supervised ones warn).

    Returns
    -------
    dict
        ``ADEngine.run_detection``'s result (``scores_train``, ``labels_train``,
        ``threshold``, ``detector``, ``scores_test`` ...) with ``analysis``
        from ``ADEngine.analyze_results``, as ``ADEngine.detect`` returns.

    Examples
    --------
    >>> import warnings
    >>> from pyod.utils.data import generate_data
    >>> from pu_detect import Autoencoder
    >>> X_train, X_test, y_train, y_test = generate_data(n_train=200, n_test=50, n_features=4, random_state=0)
    >>> result = run_with_adengine(Autoencoder(epochs=5, random_state=0), X_train, X_test)
    >>> result["scores_test"].shape, sorted(result["analysis"])[:2]
    ((50,), ['anomaly_ratio', 'feature_importance'])
    """
    if engine is None:
        from pyod.utils.ad_engine import ADEngine

        engine = ADEngine()
    engine = copy.copy(engine)
    fitted = clone(detector)
    if y is not None and np.asarray(y).ndim == 2:  # X_anom: the same model as fit(X_unlabeled, X_anom)
        X_unlabeled = v.check_rows(X_train, "X_train")
        X_anom = v.check_X_anom(y, X_unlabeled.shape[1])
        X_train = np.concatenate([X_unlabeled, X_anom])
        y = np.r_[np.zeros(len(X_unlabeled), int), np.ones(len(X_anom), int)]
    engine.build_detector = (lambda plan: fitted) if y is None else (lambda plan: _FitWithLabels(fitted, y))
    result = engine.run_detection(X_train, adengine_plan(detector), X_test=X_test)
    result["detector"] = fitted
    result["analysis"] = engine.analyze_results(result, X=X_train)
    return result
