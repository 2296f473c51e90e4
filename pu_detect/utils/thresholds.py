"""The threshold and 0/1 labels of a fitted detector, from its training scores.

``contamination`` is one of:

* a real number in (0, 0.5]: the fraction of training rows flagged (PyOD's rule);
* a thresholding object with ``fit(scores)`` and ``labels_`` (PyThresh's, which
  PyOD detectors also take): it chooses which training rows are flagged. A copy
  is fitted, so the parameter stays as passed; ``threshold_`` is then the score
  above which the same fraction of training rows lies, so ``predict``,
  ``labels_`` and ``threshold_`` always agree;
* ``"prior"`` (the PU estimators only): flag the fraction ``prior_`` of the
  training rows, the anomaly fraction the estimator was given or estimated;
* ``LabeledRecall(recall)`` (the estimators that learn from labeled
  anomalies): the highest threshold that keeps ``recall`` of the labeled
  anomalies' training scores above it.
"""

import copy
import numbers

import numpy as np
from scipy.stats import binom
from sklearn.utils.validation import check_is_fitted

from . import validation as v


class LabeledRecall:
    """A ``contamination`` that flags rows above the score keeping ``recall`` of the labeled anomalies above it.

    The threshold is the ``k``-th highest of the labeled anomalies' training
    scores, ``k = ceil(recall * n_labeled)``: the highest threshold that
    flags at least that share of them; ``threshold_`` and ``labels_`` follow
    from it. The labeled
    anomalies were trained on, so they score higher than anomalies not seen
    in training: the recall on new anomalies is usually lower than
    ``recall``; choose it with that in mind.

    Parameters
    ----------
    recall : float in (0, 1], default=0.9

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import PUGradientBoosting
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 2)), rng.normal(4, 1, size=(30, 2))])
    >>> y_pu = np.r_[np.zeros(310), np.ones(20)].astype(int)
    >>> det = PUGradientBoosting(contamination=LabeledRecall(0.9), random_state=0).fit(X, y_pu)
    >>> bool(det.labels_[y_pu == 1].mean() >= 0.9)
    True
    """

    def __init__(self, recall=0.9):
        self.recall = recall

    def __repr__(self):
        return f"LabeledRecall(recall={self.recall!r})"

    def threshold(self, scores, labeled):
        """The threshold for training ``scores`` of which ``labeled`` (a boolean mask) are labeled anomalies."""
        recall = v.check_float(self.recall, "contamination.recall", 0.0, 1.0, high_inclusive=True)
        if labeled is None or not np.any(labeled):
            v._fail("contamination", "a fraction or a thresholding object where no anomaly is labeled "
                    "(LabeledRecall needs labeled anomalies)", self)
        ranked = np.sort(np.asarray(scores)[labeled])
        flagged = int(np.ceil(recall * len(ranked) - 1e-9))  # the fewest labeled rows that reach the recall
        return float(ranked[len(ranked) - flagged])


def is_thresholder(value):
    """Whether ``value`` is a thresholding object (``fit`` and ``predict``, as PyThresh's), not a number."""
    return not isinstance(value, (numbers.Number, str)) and callable(getattr(value, "fit", None)) \
        and callable(getattr(value, "predict", None))


def check_contamination(value, allow_prior=False, allow_recall=False):
    """``contamination``: a fraction in (0, 0.5], a thresholding object, ``"prior"`` (where ``allow_prior``) or a
    ``LabeledRecall`` (where ``allow_recall``)."""
    if is_thresholder(value):
        return value
    if allow_prior and isinstance(value, str) and value == "prior":
        return value
    if allow_recall and isinstance(value, LabeledRecall):
        v.check_float(value.recall, "contamination.recall", 0.0, 1.0, high_inclusive=True)
        return value
    if isinstance(value, (str, LabeledRecall)):
        extras = ["'prior'"] * allow_prior + ["LabeledRecall(recall)"] * allow_recall
        v._fail("contamination", ", ".join(["a fraction in (0, 0.5], a thresholding object (PyThresh)", *extras]), value)
    return v.check_contamination(value)


def _flagged_fraction(detector, scores):
    contamination = detector.contamination
    if isinstance(contamination, str):  # "prior"
        return float(detector.prior_)
    if not is_thresholder(contamination):
        return v.check_contamination(contamination)
    fitted = copy.deepcopy(contamination).fit(scores)
    labels = np.asarray(fitted.labels_).ravel()
    if labels.shape != scores.shape or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"contamination: the thresholding object {type(contamination).__name__} must set labels_ "
                         f"to one 0/1 label per training score ({len(scores)}); got shape {labels.shape}.")
    return float(labels.mean())


def _require_attributes(detector, names):
    missing = [name for name in names if not hasattr(detector, name)]
    if missing:
        raise TypeError(f"detector must be a fitted detector with {', '.join(names)}; "
                        f"got {type(detector).__name__} without {', '.join(missing)}.")


def process_decision_scores(detector, labeled=None):
    """Set ``threshold_``, ``labels_``, ``_mu`` and ``_sigma`` from ``decision_scores_``.

    PyOD's own ``_process_decision_scores`` treats any ``contamination`` that
    is not a Python float or int (``np.float32(0.1)``, say) as a thresholding
    object; here every real number in (0, 0.5] is a fraction. ``labeled``
    (a boolean mask of the training rows that are labeled anomalies) is what
    a ``LabeledRecall`` contamination reads.
    """
    _require_attributes(detector, ("decision_scores_", "contamination"))
    scores = np.asarray(detector.decision_scores_)
    if isinstance(detector.contamination, LabeledRecall):
        # just below the quantile, so that the labeled rows at it are flagged (labels are scores > threshold_)
        detector.threshold_ = np.nextafter(detector.contamination.threshold(scores, labeled), -np.inf)
    else:
        fraction = _flagged_fraction(detector, scores)
        detector.threshold_ = np.max(scores) if fraction <= 0 else np.percentile(scores, 100 * (1 - fraction))
    detector.labels_ = (scores > detector.threshold_).astype("int").ravel()
    detector._mu, detector._sigma = np.mean(scores), np.std(scores)
    return detector


class ThresholdPredictMixin:
    """``predict`` and ``predict_confidence`` from ``threshold_``, whatever ``contamination`` was.

    PyOD's versions call ``contamination.predict`` for anything that is not a
    Python float or int, and read ``contamination`` as a fraction for the
    confidence; these use the fitted threshold and the fraction of training
    rows it flags.
    """

    def predict(self, X, return_confidence=False):
        """0/1 labels (1 = anomalous): ``decision_function(X) > threshold_``; optionally their confidence."""
        check_is_fitted(self, ["decision_scores_", "threshold_", "labels_"])
        scores = self.decision_function(X)
        prediction = (scores > self.threshold_).astype("int").ravel()
        if return_confidence:
            return prediction, self._confidence(scores)
        return prediction

    def predict_confidence(self, X):
        """PyOD's confidence of each prediction (Perini et al., 2020), in [0, 1]."""
        check_is_fitted(self, ["decision_scores_", "threshold_", "labels_"])
        return self._confidence(self.decision_function(X))

    def _confidence(self, scores):
        train = np.sort(np.asarray(self.decision_scores_))
        n = len(train)
        posterior = (1 + np.searchsorted(train, scores, side="right")) / (2 + n)
        fraction = self.contamination
        if not isinstance(fraction, numbers.Real) or isinstance(fraction, bool):
            fraction = float(np.mean(self.labels_))  # a thresholding object or "prior": the fraction it flagged
        confidence = 1 - binom.cdf(n - int(n * float(fraction)), n, posterior)
        inlier = (scores <= self.threshold_).ravel()
        confidence[inlier] = 1 - confidence[inlier]
        return confidence


def check_scores_state(detector):
    """Raise when a detector's fitted scores, threshold and labels disagree (read from a file, say)."""
    _require_attributes(detector, ("decision_scores_", "labels_", "threshold_"))
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
