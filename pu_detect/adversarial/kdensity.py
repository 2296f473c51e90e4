"""K-density (Feinman et al., 2017; Pang et al., 2018): the kernel density of penultimate features.

``kdensity_score`` is the formula, once, in torch: the detector scores
with it and the adaptive attack differentiates it.
"""

import numpy as np
import torch
from scipy.special import logsumexp

from ..utils import validation as v
from .detectors import _AdversarialDetector

#: K-density score of a row whose predicted class has no kernel centre (large and finite, so
#: that thresholds, ROC curves and PyOD's score statistics stay defined).
NO_DENSITY_SCORE = 1e100


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
    classifier : fitted classifier
        Any that ``pu_detect.classifiers.torch_classifier`` accepts.
    features : callable ``(module, x) -> Tensor`` or None
        Penultimate layer (``None``: ``module.features``; a classifier
        without one needs this).
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
    contamination : float in (0, 0.5] or thresholding object, default=0.05
        False-positive rate on clean data at which ``threshold_`` is set, or a
        PyThresh-style object that chooses it (``pu_detect.utils.thresholds``).
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
    >>> from pu_detect import RCEClassifier
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
        labels = self._class_labels(model, logits, y)
        rng = np.random.default_rng(v.check_seed(self.random_state))
        self.centers_, self.center_rows_ = {}, {}
        for c in np.unique(labels):
            rows = np.flatnonzero(labels == c)
            if len(rows) > self.max_per_class:
                rows = np.sort(rng.choice(rows, self.max_per_class, replace=False))
            self.centers_[int(c)], self.center_rows_[int(c)] = features[rows], rows
        within = [squared_distances(_tensor(z), _tensor(z)).numpy()
                  for z in self.centers_.values() if len(z) > 1]
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

    def _check_loaded_state(self):
        super()._check_loaded_state()
        if not isinstance(self.centers_, dict) or set(self.centers_) != set(self.center_rows_):
            raise ValueError("centers_ and center_rows_ must be dicts over the same classes")
        widths = {np.shape(z)[1] if np.ndim(z) == 2 else None for z in self.centers_.values()}
        if len(widths) > 1 or None in widths:
            raise ValueError(f"centers_ must hold 2-D arrays of one feature width; got widths {widths}")
        for c, z in self.centers_.items():
            if not isinstance(c, int) or np.shape(self.center_rows_[c]) != (len(z),):
                raise ValueError(f"centers_[{c!r}] and center_rows_[{c!r}] must be one row index per centre")
        if not (isinstance(self.bandwidth_, float) and np.isfinite(self.bandwidth_) and self.bandwidth_ > 0):
            raise ValueError(f"bandwidth_ must be a positive finite number; got {self.bandwidth_!r}")

    def _score(self, logits, features, leave_out=None):
        scores = kdensity_score(
            _tensor(features), _tensor(np.argmax(logits, axis=1)),
            {c: _tensor(z) for c, z in self.centers_.items()}, self.bandwidth_,
            center_rows=None if leave_out is None else {c: _tensor(r) for c, r in self.center_rows_.items()},
            leave_out=None if leave_out is None else _tensor(leave_out),
        )
        return scores.numpy()


def kdensity_score(features, predicted, centers, bandwidth, *, center_rows=None, leave_out=None,
                   no_density=NO_DENSITY_SCORE):
    """K-density's score ``-log KD(x)``, in torch (differentiable in ``features``).

    ``KD(x) = mean_i exp(-||z(x) - z_i||^2 / sigma^2)`` over the kernel
    centres ``z_i`` of the class ``predicted`` for the row. The detector
    scores with it in float64; the adaptive attack
    (``pu_detect.adversarial.adaptive.kdensity_cw``) back-propagates
    through it.

    Parameters
    ----------
    features : Tensor of shape (n, d)
    predicted : integer Tensor of shape (n,)
        The class whose centres score each row.
    centers : dict class index -> Tensor of shape (m_c, d)
    bandwidth : float
        ``sigma^2``.
    center_rows, leave_out : dict class index -> Tensor, and Tensor of shape (n,), or None
        Leave-one-out scoring of training rows: a centre that came from the
        row being scored is left out of its density.
    no_density : float
        The score of a row with no centre to score it by (its class has
        none, or its only centre is itself).

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[0.0, 0.0]])
    >>> float(kdensity_score(torch.tensor([[1.0, 0.0]]), torch.tensor([0]), {0: z}, 1.0))
    1.0
    """
    v.check_tensor(features, "features", dim=2)
    v.check_class_indices(predicted, "predicted", len(features), "features")
    if not isinstance(centers, dict):
        raise TypeError(f"centers must be a dict of class index -> Tensor of kernel centres; got {v.describe(centers)}.")
    v.check_float(bandwidth, "bandwidth", 0.0, float("inf"))
    if (leave_out is None) != (center_rows is None):
        raise ValueError("center_rows and leave_out must be given together (leave-one-out scoring) or both be None; "
                         f"got center_rows={v.describe(center_rows)} and leave_out={v.describe(leave_out)}.")
    no_density = min(no_density, torch.finfo(features.dtype).max)  # 1e100 is inf in float32
    scores = features.new_full((len(features),), no_density)
    for c in predicted.unique().tolist():
        rows = predicted == c
        class_centers = centers.get(int(c))
        if class_centers is None:  # a class with no training row: no density anywhere
            continue
        exponents = -squared_distances(features[rows], class_centers) / bandwidth
        n = torch.full((int(rows.sum()),), len(class_centers), dtype=features.dtype, device=features.device)
        if leave_out is not None:
            same = leave_out[rows][:, None] == center_rows[int(c)][None, :]
            exponents = exponents.masked_fill(same, -torch.inf)
            n = n - same.sum(dim=1)
        log_density = torch.logsumexp(exponents, dim=1) - torch.log(n.clamp(min=1))
        scores[rows] = torch.where(n > 0, -log_density, torch.full_like(log_density, no_density))
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


def _tensor(array):
    return torch.from_numpy(np.array(array))  # a copy: fitted arrays may be read-only


def squared_distances(a, b):
    """Pairwise squared Euclidean distances of the rows of two tensors (clipped at 0)."""
    return ((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T).clamp(min=0.0)
