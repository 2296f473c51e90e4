"""The Square Attack: its pattern, windows and schedule by hand; the bound; strength without gradients."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from pu_detect import attacks
from pu_detect.attacks._core import Target
from pu_detect.attacks.square import _p_schedule, _pseudo_gaussian, _window_size

DIGIT = (1, 8, 8)


@pytest.fixture(scope="module")
def rows(digits, undefended):
    X, y = digits
    X, y = X[1300:1500], y[1300:1500]
    keep = undefended.predict(X) == y
    return X[keep], y[keep]


def test_pseudo_gaussian_by_hand():
    # 3 x 3: the top half (1 row) is [1/4, 1 + 1/4, 1/4]; the bottom half (2 rows, centre (1, 1)) has
    # Chebyshev distance 1 everywhere but its centre cell
    by_hand = torch.tensor([[0.25, 1.25, 0.25], [-0.25, -0.25, -0.25], [-0.25, -1.25, -0.25]])
    torch.testing.assert_close(_pseudo_gaussian(3, 3), by_hand / by_hand.norm())
    torch.testing.assert_close(_pseudo_gaussian(1, 3), _pseudo_gaussian(3, 1).T)  # a segment splits its columns
    assert _pseudo_gaussian(1, 1).item() == 1.0
    for shape in [(5, 5), (4, 7), (1, 12)]:
        pattern = _pseudo_gaussian(*shape)
        assert pattern.shape == shape and pattern.norm().item() == pytest.approx(1.0)
        first, second = (pattern[: shape[0] // 2], pattern[shape[0] // 2:]) if shape[0] > 1 else (
            pattern[:, : shape[1] // 2], pattern[:, shape[1] // 2:])
        assert (first > 0).all() and (second < 0).all()


def test_window_size_and_schedule_by_hand():
    assert _window_size(0.8, 28, 28) == (25, 25)  # round(sqrt(0.8 * 784)) = 25
    assert _window_size(0.001, 28, 28) == (1, 1)
    assert _window_size(0.001, 28, 28, minimum=3, odd=True) == (3, 3)
    assert _window_size(0.1, 28, 28, minimum=3, odd=True) == (9, 9)  # round(8.85) = 9, already odd
    assert _window_size(0.05, 8, 8, minimum=3, odd=True) == (3, 3)
    assert _window_size(1.0, 8, 8) == (8, 8)
    assert _window_size(0.1, 1, 64) == (1, 6)
    assert _window_size(1.0, 1, 64, odd=True) == (1, 64)  # 65 would overflow the row
    # p halves after queries 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 of 10,000, rescaled
    assert [_p_schedule(q, 10000, 0.8) for q in (10, 11, 50, 51, 8000, 8001)] == [0.8, 0.4, 0.4, 0.2, 0.8 / 256,
                                                                               0.8 / 512]
    assert _p_schedule(1, 100, 0.8) == 0.2  # query 1 of 100 is query 100 of 10,000


@pytest.mark.parametrize("norm, eps", [("linf", 0.1), ("l2", 1.0)])
def test_more_queries_fool_more_and_the_ball_holds(undefended, rows, norm, eps):
    X, y = rows
    accuracy = []
    for n_queries in (10, 300):
        X_adv = attacks.square(undefended, X, y, eps, norm=norm, n_queries=n_queries, input_shape=DIGIT,
                               random_state=0)
        distance = np.abs(X_adv - X).max(1) if norm == "linf" else np.linalg.norm(X_adv - X, axis=1)
        assert distance.max() <= eps + 1e-5 and X_adv.min() >= 0 and X_adv.max() <= 1
        accuracy.append(undefended.score(X_adv, y))
    # measured: L-inf 0.1 from 0.98 to 0.66, L2 1.0 from 0.88 to 0.22 of the 185 correctly classified rows
    assert accuracy[1] < accuracy[0] - 0.15


def test_no_gradient_needed(digits, undefended, rows):
    """A network behind a rounding step has a zero gradient: PGD cannot move, Square does not need it."""
    X, y = rows
    network = torch.nn.Sequential(undefended.module_.features, undefended.module_.head)

    class Quantised(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = network

        def forward(self, x):
            return self.network(torch.round(x * 4) / 4)

    quantised = Quantised()
    with torch.no_grad():
        clean = quantised(torch.as_tensor(X)).argmax(1).numpy() == y
    X, y = X[clean], y[clean]

    def accuracy(X_adv):
        with torch.no_grad():
            return float((quantised(torch.as_tensor(X_adv)).argmax(1).numpy() == y).mean())

    assert accuracy(attacks.fgsm(quantised, X, y, eps=0.2)) == 1.0  # the sign of a zero gradient is zero
    X_adv = attacks.square(quantised, X, y, 0.2, n_queries=300, input_shape=DIGIT, random_state=0)
    assert accuracy(X_adv) < 0.3  # measured: 0.02


def test_scikit_learn_classifiers_and_flat_rows(digits):
    X, y = digits
    model = LogisticRegression(max_iter=1000).fit(X[:1000], y[:1000])
    X_test, y_test = X[1000:1100], y[1000:1100]
    for shape in (DIGIT, None):  # None: the rows are one line of 64 pixels, windows are segments
        X_adv = attacks.square(model, X_test, y_test, 0.2, n_queries=200, input_shape=shape, random_state=0)
        assert np.abs(X_adv - X_test).max() <= 0.2 + 1e-6
        assert model.score(X_adv, y_test) < model.score(X_test, y_test) - 0.3  # measured: 0.99 -> 0.10 / 0.13
    with pytest.raises(NotFittedError):
        attacks.square(LogisticRegression(), X_test, y_test, 0.2)


def test_same_seed_same_output_other_seed_other_output(undefended, rows):
    X, y = rows
    first = attacks.square(undefended, X[:20], y[:20], 0.1, n_queries=50, input_shape=DIGIT, random_state=0)
    np.testing.assert_array_equal(first, attacks.square(undefended, X[:20], y[:20], 0.1, n_queries=50,
                                                        input_shape=DIGIT, random_state=0))
    assert not np.array_equal(first, attacks.square(undefended, X[:20], y[:20], 0.1, n_queries=50,
                                                    input_shape=DIGIT, random_state=1))


def test_tensor_core_agrees_with_the_wrapper(undefended, rows):
    X, y = rows
    target = Target(undefended)
    images, labels = torch.as_tensor(X[:30]).view(30, *DIGIT), target.class_index(y[:30], 30)
    core = attacks.square_tensor(lambda x: target.logits(x.flatten(1)), images, labels, eps=0.1, n_queries=50,
                                 p_init=0.8, clip=(0.0, 1.0), generator=torch.Generator().manual_seed(0))
    wrapper = attacks.square(undefended, X[:30], y[:30], 0.1, n_queries=50, input_shape=DIGIT, random_state=0)
    np.testing.assert_array_equal(core.flatten(1).numpy(), wrapper)


@pytest.mark.parametrize("norm, eps", [("linf", 0.1), ("l2", 1.0)])
def test_at_least_as_strong_as_the_reference_square(undefended, rows, norm, eps):
    pytest.importorskip("pyautoattack")
    from pyautoattack.square import SquareAttack

    X, y = rows
    target = Target(undefended)

    class Images(torch.nn.Module):
        def forward(self, images):
            return target.logits(images.flatten(1))

    reference = SquareAttack(Images().eval(), norm="Linf" if norm == "linf" else "L2", eps=eps, n_queries=300,
                             p_init=0.8, seed=0, device="cpu")
    X_ref = reference.perturb(torch.as_tensor(X).view(-1, *DIGIT), target.class_index(y, len(y))).flatten(1)
    ours = attacks.square(undefended, X, y, eps, norm=norm, n_queries=300, input_shape=DIGIT, random_state=0)
    # measured at 1,000 queries: ours 0.57 / 0.16 accuracy left at L-inf 0.1 / L2 1.0, the reference 0.71 / 0.27
    assert undefended.score(ours, y) <= undefended.score(X_ref.numpy(), y) + 0.03


def test_bad_parameters_are_named(undefended, rows):
    X, y = rows
    square = attacks.square
    with pytest.raises(ValueError, match="n_queries must be an integer >= 1"):
        square(undefended, X[:2], y[:2], 0.1, n_queries=0)
    with pytest.raises(ValueError, match="p_init must be a real number"):
        square(undefended, X[:2], y[:2], 0.1, p_init=1.5)
    with pytest.raises(ValueError, match="norm must be one of"):
        square(undefended, X[:2], y[:2], 0.1, norm="l1")
    with pytest.raises(ValueError, match="eps must be a real number"):
        square(undefended, X[:2], y[:2], -0.1)
    with pytest.raises(ValueError, match="input_shape must be a"):
        square(undefended, X[:2], y[:2], 0.1, input_shape=(1, 7, 7))
    with pytest.raises(ValueError, match="model must be a fitted pu_detect classifier"):
        square("forest", X[:2], y[:2], 0.1)
