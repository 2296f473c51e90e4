"""APGD and the L2 threat model: losses by hand, the schedule, the bound, and strength against PGD."""

import numpy as np
import pytest
import torch

from pu_detect import attacks
from pu_detect.attacks._core import Target
from pu_detect.attacks.apgd import checkpoints


@pytest.fixture(scope="module")
def model_and_rows(digits, undefended):
    X, y = digits
    return undefended, X[1300:1500], y[1300:1500]


def test_dlr_loss_by_hand():
    z = torch.tensor([[3.0, 1.0, 0.0, -1.0], [0.0, 2.0, 1.0, -2.0]])
    y = torch.tensor([0, 0])
    # row 0: -(3 - 1) / (3 - 0); row 1 (misclassified): -(0 - 2) / (2 - 0)
    torch.testing.assert_close(attacks.dlr_loss(z, y), torch.tensor([-2 / 3, 1.0]))
    # targeted at class 3 / class 1: -(z_y - z_t) / (z_(1) - (z_(3) + z_(4)) / 2)
    t = torch.tensor([3, 1])
    torch.testing.assert_close(attacks.dlr_loss(z, y, t), torch.tensor([-4 / 3.5, 2 / 3]))
    torch.testing.assert_close(attacks.dlr_loss(2 * z + 5, y), attacks.dlr_loss(z, y))  # shift / scale invariant
    with pytest.raises(ValueError, match="at least 3 classes"):
        attacks.dlr_loss(torch.zeros(1, 2), torch.tensor([0]))


def test_checkpoints_follow_the_paper():
    # p = 0.22, 0.41, 0.57 (+0.16), 0.70, 0.80, 0.87, 0.93, 0.99 of 100 iterations
    assert checkpoints(100) == [22, 41, 58, 70, 80, 87, 93, 99]
    assert checkpoints(1) == [1]


@pytest.mark.parametrize("options", [dict(), dict(loss="dlr"), dict(loss="dlr", targeted=True, n_target_classes=3),
                                     dict(loss="ce", targeted=True, n_target_classes=2)])
def test_apgd_is_at_least_as_strong_as_pgd(model_and_rows, options):
    clf, X, y = model_and_rows
    X_adv = attacks.apgd(clf, X, y, 0.1, steps=40, random_state=0, **options)
    assert np.abs(X_adv - X).max() <= 0.1 + 1e-6 and X_adv.min() >= 0 and X_adv.max() <= 1
    pgd_accuracy = clf.score(attacks.pgd(clf, X, y, 0.1, steps=40, random_state=0), y)
    assert clf.score(X_adv, y) <= pgd_accuracy + 0.02  # measured: lower by 0.01-0.04
    assert clf.score(X_adv, y) < clf.score(X, y) - 0.2


@pytest.mark.parametrize("name", ["pgd", "apgd"])
def test_l2_attacks_stay_in_the_l2_ball(model_and_rows, name):
    clf, X, y = model_and_rows
    X_adv = getattr(attacks, name)(clf, X, y, 1.0, norm="l2", steps=20, random_state=0)
    assert np.linalg.norm(X_adv - X, axis=1).max() <= 1.0 + 1e-5
    assert clf.score(X_adv, y) < clf.score(X, y) - 0.2
    with pytest.raises(ValueError, match="norm must be one of"):
        getattr(attacks, name)(clf, X[:2], y[:2], 1.0, norm="l1")


def test_apgd_tensor_core_agrees_with_the_wrapper(model_and_rows):
    clf, X, y = model_and_rows
    target = Target(clf)
    x, labels = torch.as_tensor(X[:30]), target.class_index(y[:30], 30)
    core = attacks.apgd_tensor(target.logits, x, labels, eps=0.1, steps=10, clip=(0.0, 1.0))
    x_adv = core.numpy()
    assert np.abs(x_adv - X[:30]).max() <= 0.1 + 1e-6
    assert clf.score(x_adv, y[:30]) < clf.score(X[:30], y[:30])


def test_apgd_parameters_are_named(model_and_rows):
    clf, X, y = model_and_rows
    with pytest.raises(ValueError, match="loss must be one of"):
        attacks.apgd(clf, X[:2], y[:2], 0.1, loss="hinge")
    with pytest.raises(ValueError, match="n_target_classes"):
        attacks.apgd(clf, X[:2], y[:2], 0.1, targeted=True, n_target_classes=10)
    with pytest.raises(ValueError, match="rho must be a real number"):
        attacks.apgd(clf, X[:2], y[:2], 0.1, rho=1.5)
    with pytest.raises(ValueError, match="eps must be a real number"):
        attacks.apgd(clf, X[:2], y[:2], 2.0)  # beyond the clip width in L-inf


def test_autoattack_agrees_with_our_apgd_t(model_and_rows):
    pytest.importorskip("pyautoattack")
    clf, X, y = model_and_rows
    reference = clf.score(attacks.autoattack(clf, X, y, 0.1, input_shape=(1, 8, 8)), y)
    ours = clf.score(attacks.apgd(clf, X, y, 0.1, loss="dlr", targeted=True, random_state=0), y)
    assert abs(reference - ours) <= 0.03  # measured on digits: the same robust accuracy
    with pytest.raises(ValueError, match="input_shape"):
        attacks.autoattack(clf, X[:2], y[:2], 0.1, input_shape=(1, 8, 9))
