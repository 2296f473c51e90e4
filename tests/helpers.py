"""Shared test helpers (importable because pytest's pythonpath holds tests/).

Every public estimator comes from ``pu_detect.utils.discovery.all_estimators``
with a configuration small enough for the common checks; a new estimator
without a configuration here fails ``test_every_public_estimator_is_configured``.
"""

import numpy as np
import torch
from sklearn.base import clone

from pu_detect.anomaly.base import BaseDeepDetector
from pu_detect.attacks.adapter import TorchClassifier, forward, module_features
from pu_detect.utils.discovery import all_estimators

TINY = dict(hidden_dims=(8,), latent_dim=2, epochs=3, batch_size=16, random_state=0)
#: Constructor arguments of each anomaly detector for the common checks.
DETECTOR_CONFIGS = {
    "Autoencoder": TINY,
    "ABC": TINY,
    "PUAutoencoder": TINY,
    "DeepSVDD": dict(pretrain_epochs=2, **TINY),
    "DeepSAD": dict(pretrain_epochs=2, **TINY),
    "PUDeepSVDD": dict(pretrain_epochs=2, **TINY),
    "VAEDetector": dict(latent_prior="implicit", density_ratio_epochs=1, **TINY),
    "PUVAE": TINY,
}
#: The model-selection estimators, with tiny candidates.
SELECTION_CONFIGS = {
    "PUGradientBoosting": dict(max_iter=10, random_state=0),
    "PUEnsemble": dict(cv=2, random_state=0),  # members are set in SELECTION below
    "PUSearchCV": dict(cv=2, random_state=0),  # candidates are set in SELECTION below
}
#: Constructor arguments of each neural classifier for the common checks.
CLASSIFIER_CONFIGS = {
    # sklearn's check data are not in [0, 1]: linear decoders (clip=None), and a softmax scale for their
    # per-feature losses (with MNIST's 440 every exp(-440 l) underflows to 0 there and all classes tie);
    # tests/classifiers/test_abs.py covers the defaults.
    "ABSClassifier": dict(clip=None, softmax_scale=1.0, hidden_dims=(8,), latent_dim=2, n_prior_samples=20, inference_steps=2, epochs=20,
                          batch_size=16, lr=1e-2, random_state=0),
    "ADPEnsembleClassifier": dict(n_members=2, hidden_dims=(16,), epochs=20, batch_size=16, lr=1e-2, random_state=0),
    # sklearn's check data are not inside clip, so the generator's rows are unbounded here.
    "ConfidenceCalibratedClassifier": dict(hidden_dims=(16,), gan_hidden_dims=(8,), noise_dim=4, clip=None,
                                           epochs=20, batch_size=16, lr=1e-2, random_state=0),
    "RCEClassifier": dict(hidden_dims=(16,), epochs=20, batch_size=16, lr=1e-2, random_state=0),
    # sklearn's check data are not inside clip, so its checks run the standard-training path;
    # tests/classifiers/test_robust.py covers adversarial training.
    # logit_bound 5: the logistic losses need it on a bounded head (RobustClassifier warns below).
    "RobustClassifier": dict(loss="sovr", head="bounded", logit_bound=5.0, hidden_dims=(16,), epochs=20,
                             batch_size=16, lr=1e-2, random_state=0),
}
#: The adversarial detectors, each over ``frozen_classifier()``.
ADVERSARIAL_CONFIGS = {"ConfidenceDetector": {}, "KDensityDetector": {}, "MahalanobisDetector": {},
                       "MaxLogitDetector": {}, "NonMEDetector": {}}

_ORDER = ("Autoencoder", "ABC", "PUAutoencoder", "DeepSVDD", "DeepSAD", "PUDeepSVDD", "VAEDetector", "PUVAE")
#: Every public deep anomaly detector, configured small (in the order of the families' papers).
ESTIMATORS = sorted((cls(**DETECTOR_CONFIGS[name]) for name, cls in all_estimators("detector")
                     if issubclass(cls, BaseDeepDetector)),
                    key=lambda e: _ORDER.index(type(e).__name__) if type(e).__name__ in _ORDER else len(_ORDER))


def _selection(name, cls):
    estimator = cls(**SELECTION_CONFIGS[name])
    if name in ("PUEnsemble", "PUSearchCV"):
        from pu_detect import PUAutoencoder, PUGradientBoosting

        members = [PUAutoencoder(**TINY), PUGradientBoosting(max_iter=10, random_state=0)]
        estimator.set_params(**{"estimators" if name == "PUEnsemble" else "candidates": members})
    return estimator


#: The model-selection detectors (PyOD's contract, no network of their own).
SELECTION = [_selection(name, cls) for name, cls in all_estimators("detector") if not issubclass(cls, BaseDeepDetector)]
SEMI_SUPERVISED = [e for e in ESTIMATORS if e._semi_supervised]
PU_ESTIMATORS = [e for e in ESTIMATORS if "prior" in e.get_params()]
CLASSIFIERS = [cls(**CLASSIFIER_CONFIGS[name]) for name, cls in all_estimators("classifier")]
#: Options that change what a classifier trains: each gets its own pass of the common checks.
CLASSIFIER_VARIANTS = [
    # the confidence loss on rows it makes itself (no GAN in the module)
    clone(next(c for c in CLASSIFIERS if type(c).__name__ == "ConfidenceCalibratedClassifier")).set_params(
        outliers="synthetic"),
]


class RowStatistics(torch.nn.Module):
    """Penultimate features of rows of any width: mean, spread, maximum and minimum."""

    def forward(self, x):
        mean = x.mean(dim=1)
        spread = (x - mean[:, None]).square().mean(dim=1).sqrt()
        return torch.stack([mean, spread, x.amax(dim=1), x.amin(dim=1)], dim=1)


class AnyWidthClassifier(torch.nn.Module):
    """A fixed 4-class network over row statistics, so it takes rows of any number of features."""

    def __init__(self):
        super().__init__()
        self.features = RowStatistics()
        self.head = torch.nn.Linear(4, 4)
        with torch.no_grad():
            weights = torch.tensor([[3.0, -1.0, 0.5, 0.2], [-2.0, 2.0, 0.1, -0.3],
                                    [0.5, 0.5, -2.0, 1.0], [-0.5, -1.5, 1.0, 2.0]])
            self.head.weight.copy_(weights)
            self.head.bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))

    def forward(self, x):
        return self.head(self.features(x))


def frozen_classifier():
    """A fitted classifier the adversarial detectors can score any rows with (no feature count)."""
    return TorchClassifier(AnyWidthClassifier().eval(), forward, module_features, None, None)


#: Every public adversarial detector, over one frozen classifier.
ADVERSARIAL = [cls(frozen_classifier(), **ADVERSARIAL_CONFIGS[name]) for name, cls in all_estimators("adversarial")]


def ids(estimators):
    return [type(e).__name__ for e in estimators]


def fresh(estimators):
    return [clone(e) for e in estimators]


def make_contaminated(seed=0, n_normal=600, n_hidden=60, n_labeled=20, n_test=200, n_features=8):
    """Rows near a 2-D plane; anomalies a cluster on the same plane, away from the normals.

    Any autoencoder that can reconstruct the plane reconstructs the anomalies
    as well as the normals, and more so when the anomalies hidden in its
    unlabeled set are part of its training data: only labels can tell it not to.
    Returns ``X_unlabeled`` (normals plus ``n_hidden`` anomalies), ``X_anom``,
    ``X_test`` and ``y_test``.
    """
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(2, n_features)) / np.sqrt(n_features)

    def on_plane(centre, spread, n):
        coords = centre + spread * rng.normal(size=(n, 2))
        return coords @ basis + 0.02 * rng.normal(size=(n, n_features))

    def normals(n):
        return on_plane(np.zeros(2), 1.0, n)

    def anomalies(n):
        return on_plane(np.array([3.0, 3.0]), 0.3, n)

    X_unlabeled = np.vstack([normals(n_normal), anomalies(n_hidden)])
    X_anom = anomalies(n_labeled)
    X_test = np.vstack([normals(n_test), anomalies(n_test // 4)])
    y_test = np.r_[np.zeros(n_test), np.ones(n_test // 4)]
    return X_unlabeled, X_anom, X_test, y_test
