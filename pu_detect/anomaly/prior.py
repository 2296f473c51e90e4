"""Estimating the anomaly fraction of the unlabeled data (the PU class prior).

A classifier learns to tell labeled anomalies from unlabeled rows; every row
is scored by a model that did not see it (stratified k-fold cross-fitting,
k = min(5, number of labeled anomalies)), so all labeled anomalies serve as
the held-out positive sample. Three estimators read the prior off those
scores:

- ``density_ratio_estimate`` (the default of ``estimate_prior``): the
  density-ratio bound of DEDPUL (Ivanov, NeurIPS 2020), ``prior <= f_U / f_A``
  at every score, tight where no normal row scores;
- ``best_bin_estimate``: Best Bin Estimation (BBE; Garg, Wu, Smola,
  Balakrishnan and Lipton, NeurIPS 2021), the same bound read off the top
  bin of the scores plus a finite-sample confidence term that grows as
  ``1 / sqrt(n_anomalies)``, so with few labels it errs high;
- ``elkan_noto_estimate``: Elkan and Noto's estimate (KDD 2008), which needs
  calibrated probabilities.

The classifier is scikit-learn's ``HistGradientBoostingClassifier`` with
shallow trees and few iterations (``SMOOTH_BOOSTING``), or any classifier
given. On the tabular PU protocol of the benchmarks (20 sets, 5 seeds, 10% of
the training anomalies labeled, often 2 to 20 rows) the mean absolute error
against the true fraction was 0.053 for the density ratio, 0.064 for
Elkan-Noto and 0.118 for BBE with this classifier and one cross-fit, against
0.066 / 0.089 / 0.139 with scikit-learn's default one; the density ratio's
is 0.052 with the mean of three cross-fits, the default (0.049 on the splits
with at least two labeled anomalies; benchmarks/README.md). With fewer
than two labeled anomalies nothing can be cross-fitted: the estimator warns
and returns the PU paper's fixed value, 0.1. The estimators of this package
keep a fixed ``prior`` by default; ``prior="auto"`` calls ``estimate_prior``.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..utils import validation as v

#: Returned, with a warning, when there are too few labeled anomalies to estimate.
FALLBACK_PRIOR = 0.1
#: BBE's confidence (delta) and slack (gamma), the paper's values.
BBE_DELTA, BBE_GAMMA = 0.1, 0.01
#: The estimate is kept inside the open interval (0, 1) that the PU risk needs.
PRIOR_BOUNDS = (1e-3, 1 - 1e-3)


def best_bin_estimate(scores_unlabeled, scores_anomalies, delta=BBE_DELTA, gamma=BBE_GAMMA):
    """BBE from held-out classifier scores (higher = more like a labeled anomaly).

    Returns
    -------
    float
        ``q_U(t) / q_A(t)`` at the threshold ``t`` minimising it plus
        ``(1 + gamma) / q_A(t) * (sqrt(log(4/delta) / 2 n_A) + sqrt(log(4/delta) / 2 n_U))``.

    Examples
    --------
    >>> best_bin_estimate([0.1, 0.2, 0.3, 0.9], [0.8, 0.9, 0.95, 0.99])
    0.25
    """
    scores_unlabeled = np.sort(v.check_scores(scores_unlabeled, "scores_unlabeled"))
    scores_anomalies = np.sort(v.check_scores(scores_anomalies, "scores_anomalies"))
    delta = v.check_float(delta, "delta", 0.0, 1.0)
    gamma = v.check_float(gamma, "gamma", 0.0, np.inf, low_inclusive=True)
    n_u, n_a = len(scores_unlabeled), len(scores_anomalies)
    thresholds = scores_anomalies  # each labeled anomaly's score is a candidate
    q_a = (n_a - np.searchsorted(scores_anomalies, thresholds, side="left")) / n_a
    q_u = (n_u - np.searchsorted(scores_unlabeled, thresholds, side="left")) / n_u
    slack = np.sqrt(np.log(4 / delta) / (2 * n_a)) + np.sqrt(np.log(4 / delta) / (2 * n_u))
    best = np.argmin(q_u / q_a + (1 + gamma) / q_a * slack)
    return float(q_u[best] / q_a[best])


#: Fewer labeled anomalies than this make ``estimate_prior`` warn that its estimate is unreliable.
MIN_RELIABLE_ANOMALIES = 20
METHODS = ("density_ratio", "bbe", "elkan_noto")
#: The default classifier's settings: 50 trees of depth 3 (scikit-learn's defaults: 100 of 31 leaves).
#: The deeper model's held-out probabilities were further from calibrated: on satellite (seed 0) the
#: labeled anomalies' mean was 0.033 where the share labeled is 0.10 (0.080 with these settings).
SMOOTH_BOOSTING = dict(max_depth=3, max_iter=50)
#: The largest density ratio ``density_ratio_estimate`` keeps (so its smallest estimate is 1 / 1000).
MAX_DENSITY_RATIO = 1000.0


def elkan_noto_estimate(scores_unlabeled, scores_anomalies, n_unlabeled=None):
    """Elkan and Noto's estimate from held-out probabilities that a row is labeled (KDD 2008, e1).

    With ``g(x) = P(labeled | x)`` and ``c = mean g`` over the labeled anomalies,
    an unlabeled row is an anomaly with probability ``(1 - c) / c * g / (1 - g)``;
    the prior is the mean of that over the unlabeled rows (clipped to [0, 1]
    per row). It needs calibrated probabilities: the classifier is fitted
    without class weights, and where it is overconfident on the labeled
    rows (``c`` too high) the estimate runs low (0.056 for a true 0.1 on the
    synthetic set of the tests, 100 labeled anomalies).

    Examples
    --------
    >>> round(elkan_noto_estimate([0.05, 0.05, 0.5, 0.05], [0.5, 0.5]), 3)  # (3/19 + 1) / 4
    0.289
    """
    g_u = np.clip(v.check_scores(scores_unlabeled, "scores_unlabeled"), 0.0, 1.0 - 1e-12)
    c = float(np.mean(v.check_scores(scores_anomalies, "scores_anomalies")))
    if not 0.0 < c <= 1.0:
        v._fail("scores_anomalies", "probabilities with a positive mean", c)
    weights = np.clip((1 - c) / c * g_u / (1 - g_u), 0.0, 1.0)
    return float(np.mean(weights))


def _logit(scores, name):
    p = np.clip(v.check_scores(scores, name), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def density_ratio_estimate(scores_unlabeled, scores_anomalies, quantile=0.05):
    """The density-ratio bound of DEDPUL (Ivanov, NeurIPS 2020) from held-out classifier scores.

    The unlabeled density is ``f_U = prior * f_A + (1 - prior) * f_N``, so
    ``prior <= f_U(s) / f_A(s)`` at every score ``s``, an equality where no
    normal row scores (DEDPUL's assumption), so the estimate is ``1 / r`` for
    ``r`` a high quantile of the density ratio ``f_A / f_U`` over the
    unlabeled rows, as in DEDPUL's baseline estimator, with both densities
    Gaussian kernel estimates on the scores' logits. Ours, where DEDPUL
    differs: the bandwidths follow Scott's rule (DEDPUL's fixed 0.1 and 0.05
    of each sample's deviation gave noisier estimates on synthetic mixtures
    with few labeled rows); the ``1 - quantile`` quantile is taken over the
    rows where ``f_A > f_U`` (1 where there are none), since DEDPUL's, over
    all unlabeled rows, lands among the normal rows whenever fewer than
    ``quantile`` of them are anomalies (most anomaly data sets); ratios are
    capped at ``MAX_DENSITY_RATIO`` (DEDPUL: 50, which would floor the
    estimate at 0.02); the densities are evaluated on a 1,024-point grid from
    at most 5,000 rows of each sample; and DEDPUL's smoothing of the ratio
    (rolling medians, monotone trends) and its EM refinement are left out.
    High quantiles of a noisy ratio run high, which pulls the estimate down,
    while the bound is loose wherever normal rows score like anomalies,
    which pushes it up; on the benchmarks' tabular splits with at least two
    labeled anomalies the second won (mean error +0.020).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> unlabeled = 1 / (1 + np.exp(-np.r_[rng.normal(-2, 1, 900), rng.normal(2, 1, 100)]))
    >>> anomalies = 1 / (1 + np.exp(-rng.normal(2, 1, 200)))
    >>> bool(0.05 < density_ratio_estimate(unlabeled, anomalies) < 0.2)
    True
    """
    t_u, t_a = _logit(scores_unlabeled, "scores_unlabeled"), _logit(scores_anomalies, "scores_anomalies")
    quantile = v.check_float(quantile, "quantile", 0.0, 1.0, low_inclusive=True)
    grid = np.linspace(min(t_u.min(), t_a.min()), max(t_u.max(), t_a.max()), 1024)
    rng = np.random.default_rng(0)

    def density(sample):
        h = max(len(sample) ** -0.2 * sample.std(), 1e-3)  # Scott's rule, on the full sample
        sample = sample if len(sample) <= 5000 else rng.choice(sample, 5000, replace=False)
        return np.exp(-0.5 * ((grid[:, None] - sample[None]) / h) ** 2).sum(1) / (len(sample) * h * np.sqrt(2 * np.pi))

    ratio = np.minimum(np.interp(t_u, grid, density(t_a) / (density(t_u) + 1e-5)), MAX_DENSITY_RATIO)
    dominated = ratio[ratio > 1.0]  # the rows where the labeled density dominates
    if not len(dominated):
        return 1.0
    return float(1.0 / np.quantile(dominated, 1 - quantile, method="higher"))


def estimate_prior(X_unlabeled, X_anom, random_state=0, method="density_ratio", classifier=None, n_repeats=3):
    """Estimate the anomaly fraction of ``X_unlabeled`` from cross-fitted classifier scores.

    Parameters
    ----------
    X_unlabeled : ndarray of shape (n_unlabeled, n_features)
    X_anom : ndarray of shape (n_anomalies, n_features)
        Labeled anomalies, assumed drawn like the anomalies hidden in
        ``X_unlabeled``.
    random_state : int
    method : {"density_ratio", "bbe", "elkan_noto"}, default="density_ratio"
        ``"density_ratio"``: ``density_ratio_estimate`` (DEDPUL's bound) on
        balanced-class-weight scores, the smallest error of the three on the
        benchmarks' 20 tabular sets (see the module docstring);
        ``"bbe"``: ``best_bin_estimate`` on balanced-class-weight scores;
        ``"elkan_noto"``: ``elkan_noto_estimate`` on unweighted probabilities.
    classifier : sklearn classifier with ``predict_proba``, optional
        Tells labeled anomalies (class 1) from unlabeled rows (class 0); it is
        cloned and cross-fitted. Default: ``HistGradientBoostingClassifier``
        with ``SMOOTH_BOOSTING`` (shallow trees, few iterations), balanced
        class weights except for ``"elkan_noto"``.
    n_repeats : int >= 1, default=3
        The estimate is the mean of ``n_repeats`` estimates, each from its own
        cross-fit (another assignment of the rows to folds, and for the default
        classifier another seed), all drawn from ``random_state``. One
        cross-fit's estimate depends on which labeled anomalies share a fold;
        on the benchmarks' 70 tabular splits with at least two labeled
        anomalies, five fold draws gave one cross-fit a mean absolute error of
        0.053 on average (0.046 to 0.062 by draw), the mean of three 0.050
        (0.047 to 0.053), of five 0.050: three cost three times one and take
        most of the gain.

    Returns
    -------
    float in (0, 1)

    Warns
    -----
    UserWarning
        When fewer than ``MIN_RELIABLE_ANOMALIES`` anomalies are labeled, or
        the estimate lands on a bound of ``PRIOR_BOUNDS``: the estimate is
        then unreliable (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_u = np.vstack([rng.normal(size=(900, 3)), rng.normal(4, 1, size=(100, 3))])
    >>> round(estimate_prior(X_u, rng.normal(4, 1, size=(50, 3))), 2)  # the truth: 0.1
    0.09
    """
    # both float32, as the estimators see them: float64 unlabeled rows beside float32 anomalies
    # let the classifier tell the labeled rows by their rounding alone
    X_unlabeled = v.check_rows(X_unlabeled, "X_unlabeled")
    X_anom = v.check_X_anom(X_anom, X_unlabeled.shape[1])
    random_state = v.check_seed(random_state) % 2**32
    method = v.check_option(method, "method", METHODS)
    n_repeats = v.check_int(n_repeats, "n_repeats")
    if classifier is not None and not (hasattr(classifier, "fit") and hasattr(classifier, "predict_proba")):
        v._fail("classifier", "a scikit-learn classifier with fit and predict_proba", classifier)
    if len(X_unlabeled) < 2:
        v._fail("X_unlabeled", "at least 2 unlabeled rows to estimate their anomaly fraction",
                f"{len(X_unlabeled)} row(s)")
    n_anomalies = len(X_anom)
    if n_anomalies < 2:
        warnings.warn(
            f"prior='auto' needs at least 2 labeled anomalies to estimate the anomaly "
            f"fraction; got {n_anomalies}. Using prior={FALLBACK_PRIOR}.",
            UserWarning,
            stacklevel=4,  # the user's fit call
        )
        return FALLBACK_PRIOR
    X = np.vstack([X_unlabeled, X_anom])
    labeled = np.r_[np.zeros(len(X_unlabeled), bool), np.ones(n_anomalies, bool)]
    estimator = {"bbe": best_bin_estimate, "elkan_noto": elkan_noto_estimate, "density_ratio": density_ratio_estimate}
    estimates = []
    for seed in np.random.default_rng(random_state).integers(2**32, size=n_repeats):
        model = clone(classifier) if classifier is not None else HistGradientBoostingClassifier(
            class_weight=None if method == "elkan_noto" else "balanced", random_state=int(seed), **SMOOTH_BOOSTING)
        folds = StratifiedKFold(min(5, n_anomalies), shuffle=True, random_state=int(seed))
        scores = cross_val_predict(model, X, labeled, cv=folds, method="predict_proba")[:, 1]
        estimates.append(estimator[method](scores[~labeled], scores[labeled]))
    prior = float(np.mean(estimates))
    clipped = float(np.clip(prior, *PRIOR_BOUNDS))
    if n_anomalies < MIN_RELIABLE_ANOMALIES or clipped != prior:
        reason = (f"only {n_anomalies} labeled anomalies" if n_anomalies < MIN_RELIABLE_ANOMALIES
                  else f"the estimate {prior:.3g} lies at a bound of {PRIOR_BOUNDS}")
        warnings.warn(f"The estimated anomaly fraction ({clipped:.3g}, {method}) is unreliable: {reason}. "
                      "Pass prior= a number you trust where you can.", UserWarning, stacklevel=4)
    return clipped
