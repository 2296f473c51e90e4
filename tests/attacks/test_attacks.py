"""Each attack succeeds on an undefended classifier within its bound."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pu_detect import attacks
from pu_detect.adversarial import ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier
from pu_detect.attacks.adapter import torch_classifier
from pu_detect.losses import ReverseCrossEntropyLoss, reverse_cross_entropy, reversed_softmax

DETECTORS = (KDensityDetector, NonMEDetector, ConfidenceDetector)


@pytest.mark.parametrize("name", ["fgsm", "bim", "ilcm", "pgd"])
def test_linf_attacks_succeed_and_respect_the_bound(name, fitted, digits):
    X, y = digits
    X_test, y_test = X[1300:1400], y[1300:1400]
    attack = getattr(attacks, name)
    args = (X_test, 0.2) if name == "ilcm" else (X_test, y_test, 0.2)
    X_adv = attack(fitted, *args, **({"random_state": 0} if name == "pgd" else {}))
    assert X_adv.dtype == np.float32 and X_adv.shape == X_test.shape
    assert np.abs(X_adv - X_test).max() <= 0.2 + 1e-6
    assert X_adv.min() >= 0 and X_adv.max() <= 1
    correct = fitted.predict(X_test) == y_test
    assert np.mean(fitted.predict(X_adv)[correct] != y_test[correct]) > 0.6


def test_carlini_wagner_and_jsma_succeed_within_range(fitted, digits):
    X, y = digits
    X_test, y_test = X[1300:1340], y[1300:1340]
    correct = fitted.predict(X_test) == y_test
    X_cw = attacks.carlini_wagner(fitted, X_test, y_test, max_iter=50, binary_search_steps=3)
    assert np.mean(fitted.predict(X_cw)[correct] != y_test[correct]) > 0.9
    assert X_cw.min() >= 0 and X_cw.max() <= 1
    X_j = attacks.jsma(fitted, X_test, y_test, random_state=0)
    changed = (np.abs(X_j - X_test) > 1e-6).sum(1)
    assert changed.max() <= 2 * max(1, int(0.1 * 64 / 2))  # at most gamma of the features
    assert np.mean(fitted.predict(X_j)[correct] != y_test[correct]) > 0.3
