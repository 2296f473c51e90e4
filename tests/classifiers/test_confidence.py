"""ConfidenceCalibratedClassifier: the joint confidence loss and outlier exposure make off-data inputs uncertain."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pu_detect import ConfidenceCalibratedClassifier, ConfidenceDetector, RCEClassifier


def _ood_auc(clf, X_in, X_out):
    detector = ConfidenceDetector(clf).fit(X_in)
    scores = np.r_[detector.decision_function(X_in), detector.decision_function(X_out)]
    return roc_auc_score(np.r_[np.zeros(len(X_in)), np.ones(len(X_out))], scores)


def test_given_outliers_make_the_max_softmax_separate_them(digits):
    X, y = digits
    inside, outside = y < 5, y >= 5  # digits 0-4 are the classes, 5-9 out of distribution
    X_in, y_in, X_out = X[inside][:700], y[inside][:700], X[outside]
    plain = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=40, random_state=0).fit(X_in, y_in)
    calibrated = ConfidenceCalibratedClassifier(outliers="given", hidden_dims=(64,), epochs=40, lr=1e-3,
                                                random_state=0).fit(X_in, y_in, X_out=X_out[:300])
    held_in, held_out = X[inside][700:], X_out[300:]
    assert calibrated.score(held_in, y[inside][700:]) > 0.9
    assert _ood_auc(calibrated, held_in, held_out) > _ood_auc(plain, held_in, held_out) + 0.05
    probabilities = calibrated.predict_proba(held_out)
    assert probabilities.max(1).mean() < 0.5  # near uniform (0.2) on unseen outliers of the same kind


def test_joint_gan_training_lowers_confidence_on_noise_and_keeps_the_gan_in_clip(digits):
    X, y = digits
    clf = ConfidenceCalibratedClassifier(hidden_dims=(64,), epochs=30, lr=1e-3, random_state=0).fit(X[:1000], y[:1000])
    plain = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=30, random_state=0).fit(X[:1000], y[:1000])
    noise = np.random.default_rng(0).uniform(size=(200, 64)).astype(np.float32)
    assert clf.predict_proba(noise).max(1).mean() < plain.predict_proba(noise).max(1).mean() - 0.05
    with torch.no_grad():
        rows = clf.module_.gan.generate(torch.randn(50, 32, generator=torch.Generator().manual_seed(0)))
    assert float(rows.min()) >= 0.0 and float(rows.max()) <= 1.0
    again = ConfidenceCalibratedClassifier(hidden_dims=(64,), epochs=30, lr=1e-3, random_state=0).fit(X[:1000], y[:1000])
    np.testing.assert_array_equal(again.predict_proba(noise), clf.predict_proba(noise))


def test_x_out_must_match_the_outlier_source(digits):
    X, y = digits
    with pytest.raises(ValueError, match="X_out must be out-of-distribution rows with outliers='given'"):
        ConfidenceCalibratedClassifier(outliers="given", epochs=1).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="X_out must be None with outliers='gan'"):
        ConfidenceCalibratedClassifier(epochs=1).fit(X[:50], y[:50], X_out=X[:5])
    with pytest.raises(ValueError, match="X_out must be rows of X's 64 features"):
        ConfidenceCalibratedClassifier(outliers="given", epochs=1).fit(X[:50], y[:50], X_out=X[:5, :10])
    with pytest.raises(ValueError, match="beta"):
        ConfidenceCalibratedClassifier(beta=-1.0).fit(X[:50], y[:50])
