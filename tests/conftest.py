import numpy as np
import pytest
import torch
from helpers import make_contaminated

# Tiny training steps are many times faster single-threaded on a 2-core machine.
torch.set_num_threads(1)


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


@pytest.fixture(scope="session")
def digits():
    """sklearn's digits scaled to [0, 1], float32."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="session", params=["ce", "rce"])
def fitted(request, digits):
    """An RCEClassifier of each loss, fitted on the first 1,300 digits."""
    from pu_detect import RCEClassifier

    X, y = digits
    clf = RCEClassifier(loss=request.param, hidden_dims=(64, 64), epochs=40, random_state=0)
    return clf.fit(X[:1300], y[:1300])
