"""The classifier the attack tests share."""

import pytest

from pu_detect import RCEClassifier


@pytest.fixture(scope="session")
def undefended(digits):
    """An undefended MLP on the first 1,300 digits (fitted once for every attack test module)."""
    X, y = digits
    return RCEClassifier(loss="ce", hidden_dims=(64,), epochs=30, random_state=0).fit(X[:1300], y[:1300])
