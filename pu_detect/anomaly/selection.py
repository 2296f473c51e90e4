"""Choosing and combining detectors for a dataset without clean labels.

On a fold with PU labels the ROC AUC of labeled anomalies against unlabeled
rows is ``(1 - a) AUC + a / 2`` (``pu_detect.metrics``): it ranks detectors
as their true AUC would. ``PUSearchCV`` chooses among candidates by it and
refits the winner (or the best few); ``PUEnsemble`` averages complementary
detectors' rank-normalised scores, weighted by a stack fitted on their out-of-fold scores.
"""

import warnings

import numpy as np
from pyod.models.base import BaseDetector
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ParameterGrid, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from ..metrics import pu_roc_auc
from ..utils import validation as v
from ..utils.thresholds import ThresholdPredictMixin, check_contamination, process_decision_scores
from .autoencoders import PUAutoencoder
from .boosting import PUGradientBoosting
from .hypersphere import PUDeepSVDD


def default_candidates(random_state=None):
    """The candidates ``PUSearchCV`` chooses among by default: the PU autoencoder, PU Deep SVDD
    and gradient boosting on the PU labels (the three whose best-of mean AUROC on the shared ADBench
    sets was highest; see benchmarks/README.md)."""
    return [PUAutoencoder(random_state=random_state), PUDeepSVDD(random_state=random_state),
            PUGradientBoosting(random_state=random_state)]


class PUEnsemble(ThresholdPredictMixin, BaseDetector):
    """A weighted mean of several PU detectors' rank-normalised scores, the weights stacked on their
    out-of-fold scores; by default the PU autoencoder and gradient boosting on the PU labels, the
    library's strongest detector on tables.

    Every member is fitted on all rows; a row's score is the weighted mean,
    over the members, of its score's percentile among that member's training
    scores (interpolated between them, so that scales do not matter). The
    default pair is complementary: the autoencoder learns what normal rows
    look like and needs few labels, the boosted classifier learns where the
    labeled anomalies lie and gains with more of them.

    With ``cv`` folds, each member is also fitted on the other folds to score each fold's rows, so
    that every row has an out-of-fold percentile from every member. The weights are stacked
    generalisation's (Wolpert, 1992) with Breiman's (1996) non-negative coefficients: a logistic
    regression of the PU labels on those percentiles (L2 penalty, ``C=1``), refitted without any
    member whose coefficient is negative until none is, its coefficients scaled to sum to one (the
    logistic regression in place of Breiman's least squares, and the refit, are this library's
    choices). They move towards the member that separates the labeled anomalies better out of fold:
    little with a handful of labeled anomalies, strongly with hundreds (ADBench's campaign: about 0.9
    on the boosting). Without folds the weights are equal.

    The default PU autoencoder divides its step size by 10 at half and three
    quarters of its epochs (alone it keeps the paper's constant step, under
    which the ``|R-|`` correction makes the end of training oscillate). On
    the tabular PU protocol (20 ADBench sets, seeds 0-4) the default
    measured 0.921 / 0.931 / 0.950 mean ROC AUC at labeled fractions 0.05 /
    0.1 / 0.25, PyOD's XGBOD 0.888 / 0.908 / 0.932; on the MNIST PU
    protocol 0.973 (benchmarks/README.md).

    Parameters
    ----------
    estimators : list of estimators or None, default=None
        ``None``: ``PUAutoencoder(lr_milestones=(0.5, 0.75))`` and
        ``PUGradientBoosting()``, seeded by ``random_state``. Each is cloned
        (and keeps its own ``random_state``).
    cv : int >= 2 or None, default=3
        Folds for the members' out-of-fold scores, on which the weights are
        fitted (fewer when there are fewer labeled anomalies or unlabeled
        rows: each fold holds one of each); ``None``: equal weights, fitting
        each member once (``cv`` adds ``cv`` fits of each member on
        ``(cv - 1) / cv`` of the rows).
    contamination : float in (0, 0.5], thresholding object or LabeledRecall, default=0.1
        As in ``pu_detect.PUAutoencoder`` (no ``"prior"``).
    random_state : int or None, default=None
        Seeds the default members and the folds.

    Attributes
    ----------
    estimators_ : list, the fitted members
    weights_ : ndarray of shape (n_members,), the members' weights (they sum
        to one; equal without folds)
    cv_results_ : dict, ``estimator`` (``"mean"``, the equally weighted
        mean, then the members' class names) and ``split{j}_test_score``:
        their PU ROC AUCs on fold ``j`` (no folds with ``cv=None``, or with a
        single labeled anomaly or unlabeled row)
    decision_scores_, threshold_, labels_ : PyOD's

    Examples
    --------
    >>> from pu_detect.datasets import load_dataset, pu_split
    >>> split = pu_split(*load_dataset("cardio"), random_state=0)
    >>> ensemble = PUEnsemble(random_state=0).fit(split.X_train, split.y_pu)
    >>> [type(m).__name__ for m in ensemble.estimators_]
    ['PUAutoencoder', 'PUGradientBoosting']
    >>> scores = ensemble.decision_function(split.X_test)
    >>> bool(scores.min() >= 0 and scores.max() <= 1), float(ensemble.weights_.sum())
    (True, 1.0)
    """

    _semi_supervised = True

    def __init__(self, estimators=None, cv=3, contamination=0.1, random_state=None):
        self.estimators = estimators
        self.cv = cv
        self.contamination = contamination
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit every member on ``(X, y_pu)`` or ``(X_unlabeled, X_anom)`` (and, with ``cv``, on folds). Returns
        ``self``."""
        check_contamination(self.contamination, allow_recall=True)
        seed = v.check_seed(self.random_state) % 2**32
        cv = None if self.cv is None else v.check_int(self.cv, "cv", min_value=2)
        expected = "None or a non-empty list of estimators with fit and decision_function"
        members = ([PUAutoencoder(lr_milestones=(0.5, 0.75), random_state=seed), PUGradientBoosting(random_state=seed)]
                   if self.estimators is None else _non_empty_list(self.estimators, "estimators", expected))
        if not all(_is_detector(m) for m in members):
            v._fail("estimators", expected, self.estimators)
        v.require_pu_labels(self, y)
        X_all, labeled = v.split_unlabeled_anomalies(self, X, y)
        y_pu = labeled.astype(int)
        names = ["mean"] + [type(m).__name__ for m in members]
        splits = _stratified_folds(cv, y_pu, seed) if cv is not None and len(members) > 1 else []
        scores = np.empty((len(names), len(splits)))
        out_of_fold = np.empty((len(y_pu), len(members)))
        for j, (train, test) in enumerate(splits):
            fold = [_fit_quietly(m, X_all[train], y_pu[train]) for m in members]
            fold_scores = [m.decision_function(X_all[test]) for m in fold]
            out_of_fold[test] = np.column_stack([_percentile(np.sort(m.decision_scores_), s)
                                                 for m, s in zip(fold, fold_scores)])
            scores[:, j] = [pu_roc_auc(y_pu[test], s) for s in (out_of_fold[test].mean(axis=1), *fold_scores)]
        self.cv_results_ = {"estimator": np.array(names, dtype=object)}
        self.cv_results_.update({f"split{j}_test_score": scores[:, j] for j in range(len(splits))})
        self.weights_ = _stacked_weights(out_of_fold, y_pu) if splits else np.full(len(members), 1 / len(members))
        self.estimators_ = [clone(m).fit(X_all, y_pu) for m in members]
        self._reference_ = [np.sort(m.decision_scores_) for m in self.estimators_]
        self._classes = 2
        self.decision_scores_ = _mean_percentile(self._reference_, [m.decision_scores_ for m in self.estimators_],
                                                 self.weights_)
        process_decision_scores(self, labeled)
        return self

    def decision_function(self, X):
        """The members' weighted mean training percentile of each row's score (higher = more anomalous)."""
        check_is_fitted(self, "estimators_")
        X = v.check_X(self, X, reset=False)
        return _mean_percentile(self._reference_, [m.decision_function(X) for m in self.estimators_], self.weights_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.target_tags.required = True
        return tags


class PUSearchCV(ThresholdPredictMixin, BaseDetector):
    """Choose a detector (and its hyper-parameters) per dataset by PU ROC AUC on stratified folds.

    Every candidate, with every combination of its grid, is fitted on the
    training part of each fold and scored by the ROC AUC of the fold's
    labeled anomalies against its unlabeled rows (``pu_detect.metrics``),
    which ranks detectors as their true ROC AUC would. What is refitted on
    all rows depends on ``ensemble``; the scores of several members are
    averaged after mapping each to its percentile among its own training
    scores (rank normalisation, so that scales do not matter).

    With a few labeled anomalies per fold the PU AUC is a noisy estimate
    (two or three positives per fold at ADBench's sizes), so the default
    hedges: the first candidate (the default detector) is kept, and a
    challenger that wins the cross-validation is averaged with it rather
    than put in its place. On the 19 shared ADBench sets with more than one
    labeled anomaly this measured better than refitting the winner alone
    (benchmarks/README.md, "PU model selection").

    Parameters
    ----------
    candidates : list of estimators, or of (estimator, param_grid) pairs, or None
        ``None``: ``default_candidates``. Each is cloned; a grid is a
        dict (or list of dicts) as in ``GridSearchCV``.
    cv : int, default=3
        Folds, stratified on the PU labels (fewer when there are fewer
        labeled anomalies or unlabeled rows: each fold holds one of each).
    ensemble : "hedged" or int, default="hedged"
        ``"hedged"``: the first configuration alone when it wins the
        cross-validation, else the mean of it and the winner. An int ``k``:
        the best ``k`` configurations (1: the winner alone).
    contamination : float in (0, 0.5], thresholding object or LabeledRecall, default=0.1
        As in ``pu_detect.PUAutoencoder`` (no ``"prior"``).
    random_state : int or None, default=None
        Seeds the folds and the default candidates (candidates you pass keep
        their own ``random_state``).

    Attributes
    ----------
    best_estimator_ : the refitted best configuration
    best_params_ : dict, its parameters (with ``"estimator"``: its class name)
    best_score_ : float, its mean PU ROC AUC over the folds
    estimators_ : list, the refitted members (with ``"hedged"``: the first
        configuration, then the winner when it is another)
    cv_results_ : dict of arrays, as ``GridSearchCV``'s: ``params``, ``estimator``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
        ``split{i}_test_score``, ``mean_fit_time``

    Notes
    -----
    With a single labeled anomaly there is no fold that holds one for
    validation and another for training: the first candidate is refitted on
    all rows, with a warning, and ``cv_results_`` is empty.

    Examples
    --------
    >>> from pu_detect import PUAutoencoder
    >>> from pu_detect.datasets import load_dataset, pu_split
    >>> split = pu_split(*load_dataset("cardio"), random_state=0)
    >>> search = PUSearchCV([PUAutoencoder(epochs=5, random_state=0), PUGradientBoosting(random_state=0)],
    ...                     random_state=0).fit(split.X_train, split.y_pu)
    >>> search.best_params_["estimator"] in ("PUAutoencoder", "PUGradientBoosting")
    True
    >>> search.decision_function(split.X_test).shape
    (550,)
    """

    _semi_supervised = True

    def __init__(self, candidates=None, cv=3, ensemble="hedged", contamination=0.1, random_state=None):
        self.candidates = candidates
        self.cv = cv
        self.ensemble = ensemble
        self.contamination = contamination
        self.random_state = random_state

    def _configurations(self, seed):
        candidates = default_candidates(seed) if self.candidates is None else _non_empty_list(
            self.candidates, "candidates", "None or a non-empty list of estimators or (estimator, param_grid) pairs")
        configurations = []
        for candidate in candidates:
            estimator, grid = candidate if isinstance(candidate, tuple) else (candidate, {})
            if not _is_detector(estimator):
                v._fail("candidates", "estimators with fit and decision_function", type(estimator).__name__)
            for params in ParameterGrid(grid):
                configurations.append((estimator, params))
        return configurations

    def fit(self, X, y=None):
        """Choose and refit on ``(X, y_pu)`` or ``(X_unlabeled, X_anom)``. Returns ``self``."""
        import time

        check_contamination(self.contamination, allow_recall=True)
        cv = v.check_int(self.cv, "cv", min_value=2)
        hedged = isinstance(self.ensemble, str) and self.ensemble == "hedged"
        if not hedged:
            try:
                ensemble = v.check_int(self.ensemble, "ensemble")
            except ValueError:
                v._fail("ensemble", "'hedged' or an integer >= 1", self.ensemble)
        seed = v.check_seed(self.random_state) % 2**32
        configurations = self._configurations(seed)
        v.require_pu_labels(self, y)
        X_all, labeled = v.split_unlabeled_anomalies(self, X, y)
        n_labeled = int(labeled.sum())
        if n_labeled == 0:
            v._fail("y", "at least one labeled anomaly (PU model selection scores folds by them)", "none")
        y_pu = labeled.astype(int)
        splits = _stratified_folds(cv, y_pu, seed)
        if not splits:
            what = "one labeled anomaly" if n_labeled == 1 else f"{len(y_pu) - n_labeled} unlabeled row(s)"
            warnings.warn(f"PUSearchCV got {what}: no fold can hold one for validation, so the first candidate "
                          f"({type(configurations[0][0]).__name__}) is used without selection.",
                          UserWarning, stacklevel=2)
            order, scores, times = [0], np.full((len(configurations), 0), np.nan), np.zeros(len(configurations))
        else:
            scores = np.empty((len(configurations), len(splits)))
            times = np.zeros(len(configurations))
            for i, (estimator, params) in enumerate(configurations):
                for j, (train, test) in enumerate(splits):
                    start = time.perf_counter()
                    model = _fit_quietly(estimator, X_all[train], y_pu[train], **params)
                    times[i] += (time.perf_counter() - start) / len(splits)
                    scores[i, j] = pu_roc_auc(y_pu[test], model.decision_function(X_all[test]))
            order = list(np.argsort(-np.nanmean(scores, axis=1), kind="stable"))
        self.cv_results_ = _results(configurations, scores, times)
        if hedged:
            members = [order[0]] if order[0] == 0 else [0, order[0]]
        else:
            members = order[:ensemble]
        self.estimators_ = []
        for i in members:
            estimator, params = configurations[i]
            self.estimators_.append(clone(estimator).set_params(**params).fit(X_all, y_pu))
        best_params = configurations[order[0]][1]
        best = self.estimators_[members.index(order[0])]
        self.best_estimator_ = best
        self.best_params_ = {"estimator": type(best).__name__, **best_params}
        self.best_score_ = float(np.nanmean(scores[order[0]])) if scores.size else float("nan")
        self._reference_ = [np.sort(m.decision_scores_) for m in self.estimators_]
        self._classes = 2
        self.decision_scores_ = _mean_percentile(self._reference_, [m.decision_scores_ for m in self.estimators_])
        process_decision_scores(self, labeled)
        return self

    def decision_function(self, X):
        """The chosen detector's scores (with ``ensemble > 1``: the members' mean training percentile)."""
        check_is_fitted(self, "estimators_")
        return _mean_percentile(self._reference_, [m.decision_function(X) for m in self.estimators_])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.target_tags.required = True
        return tags


def _stratified_folds(cv, y_pu, seed):
    """``cv`` folds stratified on the PU labels (fewer when there are fewer labeled anomalies or unlabeled
    rows: each fold holds one of each at least); none where that leaves fewer than two."""
    n_folds = min(cv, int(y_pu.sum()), int(len(y_pu) - y_pu.sum()))
    if n_folds < 2:
        return []
    return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(y_pu, y_pu))


def _fit_quietly(estimator, X, y, **params):
    """A clone of ``estimator`` (with ``params`` set) fitted on a fold, its warnings (meant for the user's own fits)
    silenced."""
    model = clone(estimator).set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit(X, y)


def _stacked_weights(percentiles, y_pu):
    """Members' weights from a logistic regression of ``y_pu`` on their out-of-fold ``percentiles`` (rows x
    members; L2, ``C=1``), refitted without the members of negative coefficient until none is, scaled to sum to
    one (equal where no coefficient is positive)."""
    kept = np.ones(percentiles.shape[1], dtype=bool)
    coefficients = np.zeros(percentiles.shape[1])
    while kept.any():
        coefficients[kept] = LogisticRegression().fit(percentiles[:, kept], y_pu).coef_[0]
        if (coefficients[kept] >= 0).all():
            break
        kept &= coefficients >= 0
        coefficients[~kept] = 0.0
    total = coefficients.sum()
    return coefficients / total if total > 0 else np.full(len(coefficients), 1 / len(coefficients))


def _non_empty_list(value, name, expected):
    """``value`` as a list (a generator is read once), or a message naming ``name`` when it is not a
    non-empty collection."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        v._fail(name, expected, value)
    values = list(value)
    if not values:
        v._fail(name, expected, value)
    return values


def _is_detector(estimator):
    return hasattr(estimator, "fit") and hasattr(estimator, "decision_function")


def _percentile(reference, scores):
    """The fraction of the sorted training scores ``reference`` at or below each of ``scores``, interpolated
    linearly between consecutive training scores (0 below the lowest, 1 above the highest): continuous, so
    that a rounding-level change of a score (a row scored in another batch) cannot move it by a whole rank."""
    values = np.unique(reference)
    at_or_below = np.searchsorted(reference, values, side="right") / len(reference)
    return np.interp(scores, values, at_or_below, left=0.0, right=1.0)


def _mean_percentile(references, member_scores, weights=None):
    """Each member's scores mapped to their ``_percentile`` among its sorted training scores, averaged with
    ``weights`` (None: equal; one member: its scores as they are)."""
    if len(member_scores) == 1:
        return np.asarray(member_scores[0], dtype=np.float64)
    return np.average([_percentile(r, s) for r, s in zip(references, member_scores)], axis=0, weights=weights)


def _results(configurations, scores, times):
    means = np.nanmean(scores, axis=1) if scores.size else np.full(len(configurations), np.nan)
    results = {
        "estimator": np.array([type(e).__name__ for e, _ in configurations], dtype=object),
        "params": [dict(p) for _, p in configurations],
        "mean_test_score": means,
        "std_test_score": np.nanstd(scores, axis=1) if scores.size else means,
        "rank_test_score": rankdata(-np.nan_to_num(means, nan=-np.inf), method="min").astype(int),
        "mean_fit_time": times,
    }
    for j in range(scores.shape[1]):
        results[f"split{j}_test_score"] = scores[:, j]
    return results
