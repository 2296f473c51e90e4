"""The robust classifiers' losses against values computed by hand, and the bounded logit's properties."""

import math

import numpy as np

import pytest
import torch

from pu_detect.losses import logit_margin, one_vs_rest_loss, softmax_kl, sovr_loss, trades_loss
from pu_detect.networks import LogitBound, bounded_logit


def softplus(x):
    return math.log1p(math.exp(x))


def test_logit_margin_by_hand():
    z = torch.tensor([[2.0, 3.0, -1.0], [4.0, 1.0, 0.5]])
    torch.testing.assert_close(logit_margin(z, torch.tensor([0, 0])), torch.tensor([-1.0, 3.0]))


def test_one_vs_rest_loss_by_hand():
    z = torch.tensor([[2.0, -1.0, 0.5]])
    expected = softplus(-2.0) + softplus(-1.0) + softplus(0.5)
    torch.testing.assert_close(one_vs_rest_loss(z, torch.tensor([0])), torch.tensor([expected]))
    # the same as binary cross-entropy of every logit against the one-hot label, summed
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor([[1.0, 0.0, 0.0]]), reduction="sum")
    torch.testing.assert_close(one_vs_rest_loss(z, torch.tensor([0]), reduction="sum"), bce)


def test_sovr_switches_exactly_the_smallest_margins():
    z = torch.tensor([[3.0, 0.0], [0.0, 1.0], [1.0, 0.5], [0.0, 2.0]])  # margins 3, -1, 0.5, -2 for y = 0
    y = torch.zeros(4, dtype=torch.long)
    ce = torch.nn.functional.cross_entropy(z, y, reduction="none")
    ovr = one_vs_rest_loss(z, y)
    values = sovr_loss(z, y, switch_fraction=0.5, reduction="none")  # rows 3 and 1 have the two smallest
    torch.testing.assert_close(values, torch.stack([ce[0], ovr[1], ce[2], ovr[3]]))
    torch.testing.assert_close(sovr_loss(z, y, 0.0, "none"), ce)
    torch.testing.assert_close(sovr_loss(z, y, 1.0, "none"), ovr)
    # by hand: row 1 takes OVR = softplus(-0) + softplus(1)
    assert values[1].item() == pytest.approx(math.log(2) + softplus(1.0), abs=1e-6)
    with pytest.raises(ValueError, match="switch_fraction must be a fraction"):
        sovr_loss(z, y, 1.5)


def test_trades_loss_by_hand():
    clean, adv = torch.tensor([[0.0, math.log(3)]]), torch.tensor([[0.0, 0.0]])  # p = (1/4, 3/4), q = (1/2, 1/2)
    kl = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    torch.testing.assert_close(softmax_kl(clean, adv), torch.tensor([kl]))
    ce = -math.log(0.25)
    assert trades_loss(clean, adv, torch.tensor([0]), beta=2.0).item() == pytest.approx(ce + 2 * kl, abs=1e-6)
    with pytest.raises(ValueError, match="adversarial_logits must have the shape"):
        trades_loss(clean, torch.zeros(2, 2), torch.tensor([0]))


def test_losses_name_bad_targets():
    for loss in (one_vs_rest_loss, sovr_loss, logit_margin):
        with pytest.raises(ValueError, match="target must hold one class index"):
            loss(torch.zeros(2, 3), torch.tensor([0, 3]))
        with pytest.raises(ValueError, match="logits must be a 2-D tensor"):
            loss(torch.zeros(3), torch.tensor([0, 1, 2]))


def test_bounded_logit_is_bounded_with_a_finite_optimum():
    z = torch.linspace(-50, 50, 10001)
    for bound in (0.5, 1.0, 3.0):
        f = bounded_logit(z, bound)
        assert f.abs().max() <= bound + 1e-6
        assert z[f.argmax()].item() == pytest.approx(2 * bound, abs=0.01)  # the optimum is at a finite input
        assert (f[z > 2 * bound].diff() <= 0).all()  # and it decreases beyond it
    # tanh only approaches its bound as the input grows
    tanh = LogitBound("tanh", 1.0)(z)
    assert (tanh[z > 0].diff() >= 0).all() and tanh.max() < 1.0 + 1e-6
    with pytest.raises(ValueError, match="kind must be"):
        LogitBound("relu")


def test_max_mahalanobis_centres_are_a_regular_simplex():
    from pu_detect.networks import max_mahalanobis_centres

    for n_classes, dim in ((10, 64), (10, 9), (3, 5)):
        mu = max_mahalanobis_centres(n_classes, dim, radius=10.0)
        gram = mu @ mu.T
        off = gram[~torch.eye(n_classes, dtype=torch.bool)]
        torch.testing.assert_close(gram.diagonal(), torch.full((n_classes,), 100.0, dtype=torch.float64))
        torch.testing.assert_close(off, torch.full_like(off, -100.0 / (n_classes - 1)))
    with pytest.raises(ValueError, match="at least 2 dimensions; got dim=1 for 3 classes"):
        max_mahalanobis_centres(3, 1)


@pytest.mark.parametrize("n_classes, dim, best_cosine", [(5, 2, np.cos(2 * np.pi / 5)), (10, 2, np.cos(np.pi / 5)),
                                                         (6, 3, 0.0), (12, 3, 1 / np.sqrt(5))])
def test_centres_in_too_few_dimensions_reach_the_known_best_spread(n_classes, dim, best_cosine):
    # A regular polygon in the plane; the octahedron and the icosahedron on the 3-D sphere.
    from pu_detect.networks import max_mahalanobis_centres

    mu = max_mahalanobis_centres(n_classes, dim, radius=10.0)
    torch.testing.assert_close(mu.norm(dim=1), torch.full((n_classes,), 10.0, dtype=torch.float64))
    cosine = (mu @ mu.T / 100.0)[~torch.eye(n_classes, dtype=torch.bool)]
    assert abs(float(cosine.max()) - best_cosine) < 2e-3
    torch.testing.assert_close(max_mahalanobis_centres(n_classes, dim), max_mahalanobis_centres(n_classes, dim))


def test_a_narrow_max_mahalanobis_network_trains(digits):
    # 6 features for 10 classes: no simplex fits, the spread centres do (a linear head of the same width: 0.77).
    from pu_detect import RobustClassifier

    X, y = digits
    clf = RobustClassifier(head="max_mahalanobis", hidden_dims=(64, 6), epochs=40, random_state=0)
    clf.fit(X[:1000], y[:1000])
    centres = clf.module_.head.centres
    assert centres.shape == (10, 6)
    assert float((centres @ centres.T / 100.0).fill_diagonal_(-1).max()) < 0.5
    assert clf.score(X[1000:], y[1000:]) > 0.8


def test_mmc_loss_by_hand():
    from pu_detect.losses import mmc_loss
    from pu_detect.networks import MaxMahalanobisHead

    head = MaxMahalanobisHead(2, 3, radius=1.0)
    with torch.no_grad():
        head.linear.weight.copy_(torch.eye(2))
        head.linear.bias.zero_()
    z = torch.tensor([[1.0, 0.0]])  # exactly the first centre, e_1
    logits = head(z)
    distances = ((z - head.centres) ** 2).sum(dim=1)
    torch.testing.assert_close(logits[0], -distances)
    assert logits[0, 0].item() == pytest.approx(0.0, abs=1e-6) and logits.argmax().item() == 0
    assert mmc_loss(logits, torch.tensor([1])).item() == pytest.approx(distances[1].item() / 2)  # (1 + 1/2)^2 + 3/4
    assert distances[1].item() == pytest.approx(3.0)
