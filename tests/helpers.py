"""Shared test helpers (importable because pytest's pythonpath holds tests/)."""

import numpy as np
from sklearn.base import clone

from pu_detect import ABC, Autoencoder, DeepSAD, DeepSVDD, PUAutoencoder, PUDeepSVDD

TINY = dict(hidden_dims=(8,), latent_dim=2, epochs=3, batch_size=16, random_state=0)
#: Every public estimator, configured small enough for the common checks.
ESTIMATORS = [
    Autoencoder(**TINY),
    ABC(**TINY),
    PUAutoencoder(**TINY),
    DeepSVDD(pretrain_epochs=2, **TINY),
    DeepSAD(pretrain_epochs=2, **TINY),
    PUDeepSVDD(pretrain_epochs=2, **TINY),
]
SEMI_SUPERVISED = [e for e in ESTIMATORS if e._semi_supervised]
PU_ESTIMATORS = [e for e in ESTIMATORS if "prior" in e.get_params()]


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
