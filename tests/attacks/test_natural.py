"""natural_adversarial: latent-space search with a black-box classifier."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from pu_detect import VAEDetector
from pu_detect.attacks import natural_adversarial


def _identity_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    return X, y, LogisticRegression().fit(X, y)


@pytest.mark.parametrize("search", ["hybrid", "iterative"])
def test_identity_generator_finds_the_nearest_flip_in_latent_space(search):
    X, y, clf = _identity_problem()
    rows = X[:6]
    X_adv, distances = natural_adversarial(clf, rows, y[:6], generate=lambda z: z, invert=lambda x: x,
                                           search=search, n_samples=2000, step=0.02)
    assert np.all(clf.predict(X_adv) != y[:6])
    np.testing.assert_allclose(np.linalg.norm(X_adv - rows, axis=1), distances, rtol=1e-5)
    # The nearest flip is about the distance to the decision boundary (within a window or two).
    boundary = np.abs(clf.decision_function(rows)) / np.linalg.norm(clf.coef_)
    assert np.all(distances >= boundary - 1e-6) and np.all(distances <= boundary + 0.1)


def test_targeted_search_reaches_the_target_and_a_capped_search_can_fail():
    X, y, clf = _identity_problem()
    X_adv, distances = natural_adversarial(clf, X[:3], y[:3], generate=lambda z: z, invert=lambda x: x,
                                           target=1 - y[:3], step=0.05)
    assert np.all(clf.predict(X_adv) == 1 - y[:3])
    never = natural_adversarial(lambda rows: np.zeros(len(rows), dtype=int), X[:2], np.zeros(2, dtype=int),
                                generate=lambda z: z, invert=lambda x: x, max_rounds=5)
    np.testing.assert_array_equal(never[0], X[:2].astype(np.float32))
    assert np.all(np.isinf(never[1]))


def test_a_vae_generator_gives_classified_adversaries_of_digits(digits):
    X, y = digits
    vae = VAEDetector(likelihood="bernoulli", hidden_dims=(64,), latent_dim=4, epochs=30, random_state=0).fit(X)
    clf = LogisticRegression(max_iter=500).fit(X, y)
    X_adv, distances = natural_adversarial(clf, X[:4], y[:4], generate=vae.decode, invert=vae.encode,
                                           n_samples=500, step=0.05, random_state=0)
    found = np.isfinite(distances)
    assert found.sum() >= 3 and np.all(clf.predict(X_adv[found]) != y[:4][found])
    assert X_adv.min() >= 0 and X_adv.max() <= 1  # the decoder's means are images
    again = natural_adversarial(clf, X[:4], y[:4], generate=vae.decode, invert=vae.encode, n_samples=500,
                                step=0.05, random_state=0)
    np.testing.assert_array_equal(again[1], distances)


def test_bad_arguments_are_named():
    X, y, clf = _identity_problem()
    with pytest.raises(ValueError, match="generate must be a callable"):
        natural_adversarial(clf, X[:2], y[:2], generate=None, invert=lambda x: x)
    with pytest.raises(ValueError, match="y must be one class label per row"):
        natural_adversarial(clf, X[:2], y[:3], generate=lambda z: z, invert=lambda x: x)
    with pytest.raises(ValueError, match="search must be one of"):
        natural_adversarial(clf, X[:2], y[:2], generate=lambda z: z, invert=lambda x: x, search="grid")
    with pytest.raises(ValueError, match="invert must be a function returning one latent code per row"):
        natural_adversarial(clf, X[:2], y[:2], generate=lambda z: z, invert=lambda x: x[0])
    vae = VAEDetector(epochs=1, latent_dim=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="Z must be codes of latent_dim=2"):
        vae.decode(np.zeros((3, 5)))
