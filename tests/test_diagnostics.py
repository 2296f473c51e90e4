"""Sharpness and smoothness diagnostics against closed forms, and the two papers' claims on a small problem."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from pu_detect import RobustClassifier
from pu_detect.diagnostics import (adversarial_logistic_loss, classifier_sharpness, gradient_difference_ratios,
                                   hessian_top_eigenvalue)


@pytest.fixture(scope="module")
def binary():
    X, y = load_digits(return_X_y=True)
    keep = y < 2
    return torch.tensor(X[keep] / 16, dtype=torch.float64), torch.tensor(np.where(y[keep] == 1, 1.0, -1.0))


def fit_linear(X, y, eps, norm, weight_decay=1e-3):
    w = torch.full((X.shape[1],), 1e-2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([w], max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = adversarial_logistic_loss(w, X, y, eps, norm) + weight_decay / 2 * (w ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return w.detach()


def test_adversarial_logistic_loss_is_the_loss_at_the_worst_perturbation(binary):
    X, y = binary
    w = torch.randn(X.shape[1], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    eps = 0.3
    worst = {"l2": -eps * y[:, None] * w / w.norm(), "linf": -eps * y[:, None] * w.sign()}
    for norm, delta in worst.items():
        at_worst = torch.nn.functional.softplus(-y * ((X + delta) @ w)).mean()
        torch.testing.assert_close(adversarial_logistic_loss(w, X, y, eps, norm), at_worst)
        random = torch.randn(X.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        random = eps * (random / random.norm(dim=1, keepdim=True) if norm == "l2" else random.sign())
        assert torch.nn.functional.softplus(-y * ((X + random) @ w)).mean() < at_worst


def test_hessian_top_eigenvalue_matches_the_exact_hessian(binary):
    X, y = binary
    w = fit_linear(X, y, 0.0, "l2").requires_grad_(True)
    top = hessian_top_eigenvalue(lambda: adversarial_logistic_loss(w, X, y, 0.0), [w], n_iter=500, tol=1e-12,
                                 random_state=0)
    s = torch.sigmoid(-y * (X @ w)).detach()
    exact = torch.linalg.eigvalsh((X.T * (s * (1 - s))) @ X / len(X))[-1]
    assert top == pytest.approx(float(exact), rel=1e-4)
    with pytest.raises(ValueError, match="parameters must be"):
        hessian_top_eigenvalue(lambda: w.sum(), [w.detach()])


def test_sharpness_grows_with_eps_under_l2_adversarial_training(binary):
    X, y = binary
    values = []
    for eps in (0.0, 0.25, 0.5, 1.0):
        w = fit_linear(X, y, eps, "l2").requires_grad_(True)
        values.append(hessian_top_eigenvalue(lambda: adversarial_logistic_loss(w, X, y, eps), [w], n_iter=300,
                                             random_state=0))
    assert all(b > a for a, b in zip(values, values[1:])), values  # measured: 0.067, 0.12, 0.26, 1.6


def test_linf_adversarial_loss_is_not_smooth_and_l2_is(binary):
    X, y = binary
    w = fit_linear(X, y, 0.05, "linf")
    i = int(torch.where(X.std(dim=0) > 0, w.abs(), torch.inf).argmin())
    w[i] = 0.0
    direction = torch.zeros_like(w)
    direction[i] = 1.0
    steps = [1e-2, 1e-4, 1e-6]
    linf = gradient_difference_ratios(lambda u: adversarial_logistic_loss(u, X, y, 0.05, "linf"), w, direction, steps)
    l2 = gradient_difference_ratios(lambda u: adversarial_logistic_loss(u, X, y, 0.5, "l2"), w, direction, steps)
    assert linf[2] > 1e3 * linf[0] * 0.5  # grows like 1/h: a jump in the gradient
    assert max(l2) < 2 * min(l2) + 1e-9  # bounded: Lipschitz away from w = 0


def test_classifier_sharpness_runs_and_leaves_the_classifier_alone(digits):
    X, y = digits
    clf = RobustClassifier(hidden_dims=(16,), epochs=5, random_state=0).fit(X[:500], y[:500])
    before = [p.detach().clone() for p in clf.module_.parameters()]
    clean = classifier_sharpness(clf, X[:200], y[:200], n_iter=20, random_state=0)
    adversarial = classifier_sharpness(clf, X[:200], y[:200], eps=1.0, n_iter=20, random_state=0)
    assert clean > 0 and adversarial > 0 and np.isfinite(adversarial)
    assert all(torch.equal(a, b) for a, b in zip(before, clf.module_.parameters()))
    assert all(p.requires_grad for p in clf.module_.parameters())


def test_bad_arguments_are_named(binary):
    X, y = binary
    w = torch.zeros(X.shape[1], dtype=torch.float64)
    with pytest.raises(ValueError, match="norm must be one of"):
        adversarial_logistic_loss(w, X, y, 0.1, "l1")
    with pytest.raises(ValueError, match="eps must be a real number"):
        adversarial_logistic_loss(w, X, y, -0.1)
    with pytest.raises(ValueError, match="direction must be"):
        gradient_difference_ratios(lambda u: u.sum(), w, torch.zeros_like(w), [0.1])
