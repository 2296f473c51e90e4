"""The Mahalanobis detector (Lee, Lee, Lee and Shin, NeurIPS 2018) over penultimate features."""

import numpy as np
from scipy.linalg import pinvh

from .detectors import _AdversarialDetector


class MahalanobisDetector(_AdversarialDetector):
    """Distance of the penultimate features to the nearest class mean, under one tied covariance.

    Fitted on clean training rows: class means ``mu_c`` of the features
    ``f(x)`` and one covariance ``Sigma`` of the class-centred features,
    shared by all classes (a Gaussian discriminant analysis model of the
    feature space). Score: ``min_c (f(x) - mu_c)^T Sigma^+ (f(x) - mu_c)``,
    minus Lee et al.'s confidence score ``M(x)``: higher for inputs far from
    every class (out-of-distribution or adversarial).

    What is the paper's and what is ours: the score, the tied covariance
    and the class-centred estimate (as ``sklearn.covariance.EmpiricalCovariance``
    computes it, with the pseudo-inverse) are the paper's. Its input
    pre-processing (one signed-gradient step that raises ``M``) and its
    logistic-regression combination of the scores of several layers are not
    implemented: one layer, the penultimate one, as the strong single-layer
    baseline. Where the covariance is singular (ReLU units that never fire on
    the training rows), the pseudo-inverse ignores the directions the
    training features never vary in; a ridge-regularised inverse, as in
    ``pytorch-ood``, weighs them heavily instead, so the two rank inputs
    differently there (they agree where it has full rank).

    Parameters
    ----------
    classifier : fitted classifier
        Any that ``pu_detect.classifiers.torch_classifier`` accepts.
    features : callable ``(module, x) -> Tensor`` or None
        Penultimate layer (``None``: ``module.features``).
    contamination : float in (0, 0.5] or thresholding object, default=0.05
        False-positive rate on clean data at which ``threshold_`` is set, or a
        PyThresh-style object that chooses it.

    Attributes
    ----------
    means_ : ndarray of shape (n_classes_seen, n_features)
        Class means of the training features.
    mean_classes_ : ndarray of shape (n_classes_seen,)
        The classifier output index of each mean.
    precision_ : ndarray of shape (n_features, n_features)
        Pseudo-inverse of the tied covariance.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=20, random_state=0).fit(X / 16, y)
    >>> detector = MahalanobisDetector(clf).fit(X / 16, y)
    >>> bool(detector.decision_function(X[:5] / 16 + 3).min() > detector.decision_function(X[:5] / 16).max())
    True
    """

    _uses_features = True

    def __init__(self, classifier=None, features=None, contamination=0.05):
        self.classifier = classifier
        self.features = features
        self.contamination = contamination

    def _fit(self, model, X, y):
        logits, features = self._outputs(model, X)
        labels = self._class_labels(model, logits, y)
        self.mean_classes_ = np.unique(labels)
        self.means_ = np.stack([features[labels == c].mean(axis=0) for c in self.mean_classes_])
        centred = features - self.means_[np.searchsorted(self.mean_classes_, labels)]
        self.precision_ = pinvh(centred.T @ centred / len(X))
        self.decision_scores_ = self._score(logits, features)

    def _check_loaded_state(self):
        super()._check_loaded_state()
        d = np.shape(self.means_)[1] if np.ndim(self.means_) == 2 else None
        if d is None or np.shape(self.precision_) != (d, d) or np.shape(self.mean_classes_) != (len(self.means_),):
            raise ValueError("means_ (classes x features), mean_classes_ (one per mean) and precision_ "
                             "(features x features) do not fit together")

    def _score(self, logits, features):
        # (f - mu)' P (f - mu) = f'Pf - 2 f'P mu + mu'P mu: an (n, classes) matrix, never (n, classes, d).
        projected = features @ self.precision_
        own = np.einsum("nd,nd->n", projected, features)
        means = np.einsum("cd,de,ce->c", self.means_, self.precision_, self.means_)
        distances = own[:, None] - 2.0 * projected @ self.means_.T + means[None]
        return np.maximum(distances, 0.0).min(axis=1)
