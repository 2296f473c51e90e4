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
