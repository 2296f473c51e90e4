"""MIM, EAD and PGD on the logit margin: hand-computed steps and the properties each is for."""

import numpy as np
import pytest
import torch

from pu_detect import attacks


@pytest.fixture(scope="module")
def rows(digits, undefended):
    X, y = digits
    X, y = X[1300:1400], y[1300:1400]
    keep = undefended.predict(X) == y
    return X[keep][:40], y[keep][:40]


def test_momentum_keeps_the_direction_a_new_gradient_flips():
    # loss -(x - t)^2 from 0 with step 0.1. Step 1: grad (0.16, -0.6) -> x (0.1, -0.1). Step 2: grad
    # (-0.04, -0.4), L1-normalised (-0.0909, -0.9091); with momentum 1 the sum is (0.1196, -1.6986),
    # so x goes to (0.2, -0.2); without momentum the sign flips and x goes back to (0.0, -0.2).
    t = torch.tensor([[0.08, -0.3]])
    x0 = torch.zeros(1, 2)

    def steps(momentum):
        return attacks.projected_gradient_steps(lambda x: -((x - t) ** 2).sum(), x0, eps=0.5, steps=2,
                                                step_size=0.1, clip=(-1.0, 1.0), momentum=momentum)

    np.testing.assert_allclose(steps(1.0).numpy(), [[0.2, -0.2]], atol=1e-6)
    np.testing.assert_allclose(steps(0.0).numpy(), [[0.0, -0.2]], atol=1e-6)


def test_mim_without_momentum_is_bim(undefended, rows):
    X, y = rows
    np.testing.assert_allclose(attacks.mim(undefended, X, y, eps=0.1, steps=5, momentum=0.0),
                               attacks.bim(undefended, X, y, eps=0.1, steps=5), atol=1e-6)


def test_mim_rejects_a_negative_momentum(undefended, rows):
    X, y = rows
    with pytest.raises(ValueError, match="momentum must be a real number"):
        attacks.mim(undefended, X[:2], y[:2], eps=0.1, momentum=-1.0)


def test_one_fista_step_by_hand():
    # Logits (x_1, -x_1), class 0, x0 = (0.1, 0.5), c = 1: the smooth part's gradient is (2, 0); a step of
    # 0.2 gives (-0.3, 0.5); S_beta with beta 0.05 moves the first coordinate back by beta (-0.25) and
    # leaves the second (its shift 0 is within beta). The margin 2 * -0.25 < 0, so the row is fooled.
    W = torch.tensor([[1.0, -1.0], [0.0, 0.0]])
    x_adv = attacks.elastic_net_tensor(lambda x: x @ W, torch.tensor([[0.1, 0.5]]), torch.tensor([0]), beta=0.05,
                                       kappa=0.0, initial_const=1.0, binary_search_steps=1, max_iter=1, lr=0.2,
                                       clip=(-1.0, 1.0))
    np.testing.assert_allclose(x_adv.numpy(), [[-0.25, 0.5]], atol=1e-6)


def test_a_threshold_no_step_passes_leaves_the_rows_unchanged(undefended, rows):
    X, y = rows
    X_adv = attacks.elastic_net(undefended, X[:5], y[:5], beta=5.0, binary_search_steps=1, max_iter=10)
    np.testing.assert_array_equal(X_adv, X[:5].astype(np.float32))


def test_elastic_net_perturbations_are_sparser_than_carlini_wagner(undefended, rows):
    X, y = rows
    ead = attacks.elastic_net(undefended, X, y, beta=0.05, decision_rule="l1", binary_search_steps=3, max_iter=100)
    cw = attacks.carlini_wagner(undefended, X, y, binary_search_steps=3, max_iter=100)
    both = (undefended.predict(ead) != y) & (undefended.predict(cw) != y)
    assert both.sum() >= 20
    changed = lambda A: (np.abs(A - X) > 1e-3).sum(axis=1)[both].mean()  # noqa: E731
    assert changed(ead) < 0.7 * changed(cw)


def test_elastic_net_rejects_an_unknown_decision_rule(undefended, rows):
    X, y = rows
    with pytest.raises(ValueError, match="decision_rule must be one of"):
        attacks.elastic_net(undefended, X[:2], y[:2], decision_rule="l2")


class _Saturated(torch.nn.Module):
    """A network whose logits are scaled so far that float32 softmax is one-hot: cross-entropy has no gradient."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return 1e4 * self.module(x)


def test_margin_loss_attacks_where_cross_entropy_has_no_gradient(undefended, rows):
    X, y = rows
    plain = _Saturated(torch.nn.Sequential(undefended.module_.features, undefended.module_.head))
    predict = lambda A: plain(torch.as_tensor(A)).argmax(1).numpy()  # noqa: E731
    ce = attacks.pgd(plain, X, y, eps=0.2, steps=10, random_state=0)
    by_margin = attacks.pgd(plain, X, y, eps=0.2, steps=10, loss="margin", random_state=0)
    assert (predict(ce) != y).mean() < 0.3
    assert (predict(by_margin) != y).mean() > 0.7


def test_pgd_rejects_an_unknown_loss(undefended, rows):
    X, y = rows
    with pytest.raises(ValueError, match="loss must be one of"):
        attacks.pgd(undefended, X[:2], y[:2], eps=0.1, loss="dlr")
