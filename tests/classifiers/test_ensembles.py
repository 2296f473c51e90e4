"""ADP: the loss by hand, the diversity term's extremes, the averaged prediction, and robustness gained."""

import math

import numpy as np
import pytest
import torch
from scipy.special import softmax

from pu_detect import (ADPEnsembleClassifier, ConfidenceDetector, KDensityDetector, MahalanobisDetector,
                       MaxLogitDetector, NonMEDetector, attacks)
from pu_detect.losses import adp_loss, ensemble_diversity
from tests.attacks.test_common import SPECS
from tests.attacks.test_common import run as run_attack


def test_adp_loss_by_hand():
    # float64: the Gram matrix here is singular but for delta, and float32 loses its log-determinant
    z1, z2 = torch.tensor([[math.log(2.0), 0.0, 0.0]], dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64)
    y = torch.tensor([0])
    p1, p2 = np.array([0.5, 0.25, 0.25]), np.full(3, 1 / 3)
    ce = -math.log(0.5) - math.log(1 / 3)
    mean = (p1 + p2) / 2
    entropy = -(mean * np.log(mean)).sum()
    # non-true predictions (0.25, 0.25) and (1/3, 1/3), normalised: both (1, 1)/sqrt 2, so M^T M = [[1, 1], [1, 1]]
    log_det = math.log((1 + 1e-6) ** 2 - 1)
    expected = ce - 2.0 * entropy - 0.5 * log_det
    assert adp_loss([z1, z2], y).item() == pytest.approx(expected, rel=1e-4)
    assert ensemble_diversity([z1, z2], y).item() == pytest.approx(log_det, rel=1e-3)
    with pytest.raises(ValueError, match="member_logits must be a non-empty list"):
        adp_loss([z1, torch.zeros(1, 4)], y)
    with pytest.raises(ValueError, match="target must hold one class index"):
        adp_loss([z1, z2], torch.tensor([3]))


def test_diversity_of_three_members_over_three_classes_by_hand():
    # True class 0. Logits (0, 0, -50), (0, -50, 0), (0, 0, 0) leave non-true predictions whose unit vectors are
    # u1 = (1, 0), u2 = (0, 1), u3 = (1, 1) / sqrt 2. G = M^T M = [[1, 0, r], [0, 1, r], [r, r, 1]], r = 1 / sqrt 2:
    # det G = 0 (three vectors in 2-D), its trace 3, its principal 2x2 minors 1, 1/2, 1/2, so
    # det(G + d I) = d^3 + 3 d^2 + 2 d.
    z = [torch.tensor([[0.0, 0.0, -50.0]], dtype=torch.float64), torch.tensor([[0.0, -50.0, 0.0]], dtype=torch.float64),
         torch.zeros(1, 3, dtype=torch.float64)]
    d = 1e-6
    expected = math.log(d**3 + 3 * d**2 + 2 * d)
    assert ensemble_diversity(z, torch.tensor([0]), delta=d).item() == pytest.approx(expected, rel=1e-6)


def test_orthogonal_members_have_the_largest_diversity():
    big = 20.0
    y = torch.tensor([0])
    apart = [torch.tensor([[0.0, big, 0.0, 0.0]]), torch.tensor([[0.0, 0.0, big, 0.0]])]  # disjoint wrong classes
    same = [apart[0], apart[0]]
    assert ensemble_diversity(apart, y).item() == pytest.approx(0.0, abs=1e-4)  # det(I) = 1
    assert ensemble_diversity(same, y).item() < -10


@pytest.fixture(scope="module")
def split(digits):
    X, y = digits
    return X[:1200], y[:1200], X[1200:], y[1200:]


def test_the_ensemble_predicts_the_mean_softmax(split):
    X, y, X_test, _ = split
    clf = ADPEnsembleClassifier(n_members=3, hidden_dims=(16,), epochs=3, random_state=0).fit(X, y)
    x = torch.as_tensor(X_test[:10])
    with torch.no_grad():
        members = [softmax(z.double().numpy(), axis=1) for z in clf.module_.member_logits(x)]
    np.testing.assert_allclose(clf.predict_proba(X_test[:10]), np.mean(members, axis=0), atol=1e-5)
    assert len(clf.module_.members) == 3


def test_adp_raises_robust_accuracy_over_a_plain_ensemble(split):
    X, y, X_test, y_test = split
    options = dict(hidden_dims=(64,), epochs=30, random_state=0)
    plain = ADPEnsembleClassifier(alpha=0.0, beta=0.0, **options).fit(X, y)
    adp = ADPEnsembleClassifier(**options).fit(X, y)

    def robust(clf):
        return clf.score(attacks.pgd(clf, X_test, y_test, 0.1, random_state=0), y_test)

    assert robust(adp) > robust(plain) + 0.03  # measured: 0.631 against 0.553
    assert adp.score(X_test, y_test) > 0.85


def test_adp_with_pgd_training_and_bad_parameters(split):
    X, y, X_test, y_test = split
    clf = ADPEnsembleClassifier(hidden_dims=(16,), epochs=2, adversarial_training="pgd", eps=0.1, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="adversarial_training must be None or 'pgd'"):
        ADPEnsembleClassifier(adversarial_training="trades", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="n_members must be an integer >= 2"):
        ADPEnsembleClassifier(n_members=1, epochs=1).fit(X, y)


#: Attacks that need a feature layer (K-density's adaptive attack) or a generator: not for an ensemble.
NOT_FOR_ENSEMBLES = {"kdensity_cw"}


@pytest.fixture(scope="module")
def small_ensemble(split):
    X, y, _, _ = split
    return ADPEnsembleClassifier(n_members=2, hidden_dims=(32,), epochs=10, random_state=0).fit(X, y)


@pytest.mark.parametrize("name", sorted(set(SPECS) - NOT_FOR_ENSEMBLES))
def test_every_attack_runs_on_an_ensemble(name, small_ensemble, split):
    _, _, X_test, y_test = split
    X_adv = run_attack(name, small_ensemble, X_test[:8], y_test[:8])
    assert X_adv.shape == (8, 64) and X_adv.min() >= 0.0 and X_adv.max() <= 1.0
    assert (small_ensemble.predict(X_adv) != y_test[:8]).any(), f"{name} fooled no row of a small ensemble"


def test_output_detectors_score_an_ensemble_and_feature_detectors_say_why_not(small_ensemble, split):
    X, y, X_test, _ = split
    for detector in (ConfidenceDetector, NonMEDetector, MaxLogitDetector):
        scores = detector(small_ensemble).fit(X, y).decision_function(X_test)
        assert scores.shape == (len(X_test),) and np.isfinite(scores).all()
    for detector in (KDensityDetector, MahalanobisDetector):
        with pytest.raises(ValueError, match="feature"):
            detector(small_ensemble).fit(X, y)
