"""ABSClassifier: the logit is the best latent's objective, inference by hand, attacks run on it."""

import numpy as np
import pytest
import torch

from pu_detect import ABSClassifier, attacks


@pytest.fixture(scope="module")
def abs_digits(digits):
    X, y = digits
    clf = ABSClassifier(hidden_dims=(64,), epochs=30, inference_steps=10, softmax_scale=100, random_state=0)
    return clf.fit(X[:1000], y[:1000])


def test_abs_classifies_digits_and_is_unsure_of_noise(abs_digits, digits):
    X, y = digits
    assert abs_digits.score(X[1000:1300], y[1000:1300]) > 0.9
    noise = np.random.default_rng(0).uniform(size=(100, 64))
    assert abs_digits.predict_proba(noise).max(1).mean() < 0.3
    assert abs_digits.predict_proba(X[1000:1300]).max(1).mean() > 0.5


def test_logit_is_minus_the_objective_of_the_best_latent(abs_digits, digits):
    X, _ = digits
    module = abs_digits.module_
    x = torch.as_tensor(X[1000:1004])
    with torch.no_grad():
        z = module.infer(x)
        images = module.decode(z)
        by_hand = ((x[:, None] - images).pow(2).sum(-1) + 0.5 * z.pow(2).sum(-1)) / 64
        torch.testing.assert_close(module(x), -by_hand)
    assert float(z.norm(dim=-1).max()) <= 5.0 + 1e-5
    # Adam steps improve on the best prior draw, which is the start.
    start = module.inference_steps
    module.inference_steps = 0
    try:
        with torch.no_grad():
            z0 = module.infer(x)
            brute = torch.stack([module.latent_objective(x, module.prior_samples[m].expand(4, 10, -1))
                                 for m in range(len(module.prior_samples))])
            torch.testing.assert_close(module.latent_objective(x, z0), brute.min(0).values)
            assert bool((module.latent_objective(x, z) <= module.latent_objective(x, z0) + 1e-6).all())
    finally:
        module.inference_steps = start


def test_probabilities_are_the_papers_offset_softmax(abs_digits, digits):
    X, _ = digits
    losses = -abs_digits.logits(X[:3])
    raw = np.exp(-100 * losses) + 3.9e-5
    np.testing.assert_allclose(abs_digits.predict_proba(X[:3]), raw / raw.sum(1, keepdims=True), rtol=1e-6)


def test_gradient_attacks_run_through_the_optimal_codes(abs_digits, digits):
    X, y = digits
    rows, labels = X[1000:1040], y[1000:1040]
    X_adv = attacks.pgd(abs_digits, rows, labels, eps=0.3, steps=10, random_state=0)
    assert np.abs(X_adv - rows).max() <= 0.3 + 1e-6
    assert abs_digits.score(X_adv, labels) < abs_digits.score(rows, labels) - 0.2


def test_binarize_and_input_range():
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(60, 16)), np.repeat([0, 1], 30)
    X[y == 1, :8] += 0.5
    X = np.clip(X, 0, 1)
    clf = ABSClassifier(hidden_dims=(8,), n_prior_samples=50, inference_steps=2, epochs=5, binarize=True,
                        random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba((X >= 0.5).astype(float)))
    again = ABSClassifier(hidden_dims=(8,), n_prior_samples=50, inference_steps=2, epochs=5, binarize=True,
                          random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))  # same seed, same model
    with pytest.raises(ValueError, match=r"X must be values inside clip=\(0.0, 1.0\)"):
        ABSClassifier(epochs=1).fit(X * 2, y)
    with pytest.raises(ValueError, match="inference_steps"):
        ABSClassifier(inference_steps=-1).fit(X, y)


def test_architecture_picks_the_class_vaes_and_mlp_takes_shift_augmentation():
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(40, 64)), np.repeat([0, 1], 20)
    small = dict(hidden_dims=(4,), latent_dim=2, n_prior_samples=10, inference_steps=1, epochs=2, random_state=0)
    conv = ABSClassifier(input_shape=(1, 8, 8), **small).fit(X, y)
    mlp = ABSClassifier(input_shape=(1, 8, 8), architecture="mlp", shift_augmentation=0.25, **small).fit(X, y)
    has_conv = [any(isinstance(m, torch.nn.Conv2d) for m in clf.module_.modules()) for clf in (conv, mlp)]
    assert has_conv == [True, False]
    shifted = ABSClassifier(input_shape=(1, 8, 8), architecture="mlp", **small).fit(X, y)
    assert not np.array_equal(shifted.predict_proba(X), mlp.predict_proba(X))  # the shifts changed the training
    with pytest.raises(ValueError, match="input_shape must be the .* for architecture='conv'"):
        ABSClassifier(architecture="conv", **small).fit(X, y)
    with pytest.raises(ValueError, match="architecture"):
        ABSClassifier(architecture="resnet", **small).fit(X, y)
