"""Attacks that target a detector as well as the classifier.

They live here, beside the detectors, so that ``pu_detect.attacks`` never
imports a detector.
"""

import numpy as np
import torch

from ..attacks._core import in_batches, prepare
from ..attacks.carlini_wagner import carlini_wagner_tensor, check_cw_options
from ..utils import validation as v
from .kdensity import KDensityDetector, kdensity_score


def _second_class(target, X, labels, batch_size):
    """The most likely wrong class of each clean row: the adaptive attack's target."""
    with torch.no_grad():
        logits = torch.cat([target.logits(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
    return logits.scatter(1, labels[:, None], -torch.inf).argmax(dim=1)


def kdensity_cw(model, detector, X, y, *, margin=0.0, kappa=0.0, initial_const=1.0, binary_search_steps=5,
                max_iter=100, lr=0.05, clip=(0.0, 1.0), batch_size=512):
    """Adaptive attack: targeted C&W that also drives the K-density score under the detector's threshold.

    The target is each row's most likely wrong class; the objective adds
    ``c * max(0, s(x') - threshold_ + margin)``, with ``s`` the fitted
    ``KDensityDetector``'s score ``-log KD`` for the target
    class (``kdensity_score``, the
    detector's own formula). A row counts as successful only when it is
    misclassified as its target with confidence ``kappa`` *and* scores under
    the threshold (Carlini and Wagner, "Adversarial Examples Are Not Easily
    Detected", 2017).

    Parameters
    ----------
    model : fitted classifier
        The classifier the detector was fitted on.
    detector : fitted KDensityDetector
    X, y, clip, batch_size
        As in ``pu_detect.attacks.fgsm``.
    margin : float, default=0.0
        How far under the threshold the score must go (in score units).
    kappa, initial_const, binary_search_steps, max_iter, lr
        As in ``pu_detect.attacks.carlini_wagner``.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import KDensityDetector, RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = RCEClassifier(hidden_dims=(32,), epochs=10, random_state=0).fit(X, y)
    >>> detector = KDensityDetector(clf).fit(X, y)
    >>> kdensity_cw(clf, detector, X[:4], y[:4], binary_search_steps=2, max_iter=10).shape
    (4, 64)
    """
    if not isinstance(detector, KDensityDetector) or not hasattr(detector, "centers_"):
        v._fail("detector", "a fitted KDensityDetector", type(detector).__name__)
    margin = v.check_float(margin, "margin", -np.inf, np.inf)
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    options = check_cw_options(kappa, initial_const, binary_search_steps, max_iter, lr, clip)
    labels = target.class_index(y, len(X))
    goals = _second_class(target, X, labels, batch_size)
    centers = {c: torch.as_tensor(z, dtype=torch.float32, device=target.device)
               for c, z in detector.centers_.items()}
    bandwidth, threshold = detector.bandwidth_, float(detector.threshold_)

    def penalty(x, goal):
        # A target class without centres adds no density term (its score counts as 0).
        scores = kdensity_score(target.features(x), goal, centers, bandwidth, no_density=0.0)
        return torch.clamp(scores - threshold + margin, min=0)

    return in_batches(lambda x, t: carlini_wagner_tensor(target.logits, x, t, targeted=True, penalty=penalty,
                                                         **options), X, goals, batch_size)
