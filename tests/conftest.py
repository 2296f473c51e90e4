import numpy as np
import pytest
import torch

# Tiny training steps are many times faster single-threaded on a 2-core machine.
torch.set_num_threads(1)


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


@pytest.fixture(scope="session")
def contaminated():
    return make_contaminated()


@pytest.fixture
def small_pu():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    y = np.zeros(60, dtype=int)
    y[:6] = 1
    X[:6] += 3
    return X, y
