"""Bad input gets a ValueError that names the parameter and the value received."""

import re

import numpy as np
import pytest
from sklearn.base import clone

from helpers import ESTIMATORS, PU_ESTIMATORS, ids
from pu_detect import Autoencoder, PUAutoencoder
from pu_detect.utils.validation import check_pu_labels


@pytest.fixture(params=ESTIMATORS, ids=ids(ESTIMATORS))
def estimator(request):
    return clone(request.param)


@pytest.fixture(params=PU_ESTIMATORS, ids=ids(PU_ESTIMATORS))
def pu_estimator(request):
    return clone(request.param)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.r_[np.ones(4, dtype=int), np.zeros(36, dtype=int)]
    return X, y


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_X(estimator, data, bad, match):
    X, y = data
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=f"X contains {match}"):
        estimator.fit(X, y)
    estimator.fit(data[0], y)
    with pytest.raises(ValueError, match=f"X contains {match}"):
        estimator.decision_function(X)


def test_values_overflowing_float32(estimator, data):
    X, y = data
    X = X.copy()
    X[0, 0] = 1e300
    with pytest.raises(ValueError, match="X must be values within float32 range"):
        estimator.fit(X, y)


def test_one_dimensional_X(estimator, data):
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        estimator.fit(data[0][:, 0], data[1])


def test_empty_X(estimator):
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        estimator.fit(np.empty((0, 3)))


def test_feature_count_mismatch_at_predict(estimator, data):
    estimator.fit(*data)
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3 features"):
        estimator.decision_function(data[0][:, :2])
    with pytest.raises(ValueError, match="X has 2 features"):
        estimator.predict(data[0][:, :2])


def test_all_rows_labeled_anomalies(estimator, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"X must hold at least one unlabeled row .* 40 sample\(s\)"):
        estimator.fit(X, np.ones(len(X), dtype=int))


@pytest.mark.parametrize(
    "labels, match",
    [
        ([-1, 1], r"y must be 0/1 labels .* not sklearn's -1/\+1; got 'negative values \[-1\]'"),
        ([0.5, 1.0], r"y must be integer 0/1 labels .*; got 'fractional values \[0.5\]'"),
        ([np.nan, 1.0], "y must be finite 0/1 labels"),
        (["a", "b"], "y must be numeric or boolean values"),
    ],
)
def test_bad_labels(estimator, data, labels, match):
    X, _ = data
    y = np.resize(np.asarray(labels), len(X))
    with pytest.raises(ValueError, match=match):
        estimator.fit(X, y)


def test_label_count_mismatch(estimator, data):
    X, y = data
    with pytest.raises(ValueError, match=r"y must be one label per row of X \(40 labels\); got '39 labels'"):
        estimator.fit(X, y[:-1])


def test_X_anom_with_other_feature_count(estimator, data):
    X, _ = data
    with pytest.raises(ValueError, match="X_anom must be an array with 3 features, like X; got '2 features'"):
        estimator.fit(X, X[:5, :2])


def test_X_anom_with_nan(estimator, data):
    X, _ = data
    X_anom = X[:5].copy()
    X_anom[0, 0] = np.nan
    with pytest.raises(ValueError, match="X_anom contains NaN"):
        estimator.fit(X, X_anom)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("epochs", 0, r"epochs must be an integer >= 1; got 0"),
        ("epochs", 2.5, r"epochs must be an integer >= 1; got 2.5"),
        ("batch_size", 0, r"batch_size must be an integer >= 1; got 0"),
        ("batch_size", -8, r"batch_size must be an integer >= 1; got -8"),
        ("lr", 0.0, r"lr must be a real number in \(0.0, inf\); got 0.0"),
        ("lr", -1e-3, r"lr must be a real number in \(0.0, inf\); got -0.001"),
        ("lr", "fast", r"lr must be a real number in \(0.0, inf\); got 'fast'"),
        ("weight_decay", -1.0, r"weight_decay must be a real number in \[0.0, inf\); got -1.0"),
        ("lr_milestones", 0.5, r"lr_milestones must be None or a sequence of fractions of the epochs in \(0, 1\); got 0.5"),
        ("lr_milestones", (0.5, 1.0), r"lr_milestones must be a real number in \(0.0, 1.0\); got 1.0"),
        ("latent_dim", 0, r"latent_dim must be an integer >= 1; got 0"),
        ("hidden_dims", (8, 0), r"hidden_dims must be a sequence of integers >= 1; got \(8, 0\)"),
        ("hidden_dims", 8, r"hidden_dims must be a sequence of integers >= 1; got 8"),
        ("contamination", 0.7, r"contamination must be a real number in \(0.0, 0.5\]; got 0.7"),
        ("validation_fraction", 1.0, r"validation_fraction must be a real number in \(0.0, 1.0\); got 1.0"),
        ("random_state", "seed", r"random_state must be None, an integer >= 0 or a numpy random generator; got 'seed'"),
        ("device", "tpu", r"device must be 'cpu', 'cuda', 'cuda:N', 'mps', 'auto' or a torch.device of those; got 'tpu'"),
        ("verbose", "yes", r"verbose must be an integer >= 0; got 'yes'"),
        ("input_shape", (1, 2), r"input_shape must be a sequence of 3 integers >= 1; got \(1, 2\)"),
        ("input_shape", (1, 2, 2), r"input_shape must be a shape whose product is the number of features \(3\); got \(1, 2, 2\)"),
    ],
)
def test_bad_parameters(estimator, data, param, value, match):
    estimator.set_params(**{param: value})
    with pytest.raises(ValueError, match=match):
        estimator.fit(*data)


@pytest.mark.parametrize("prior", [0.0, 1.0, -0.1, 1.5, "auto?"])
def test_prior_outside_unit_interval(pu_estimator, data, prior):
    expected = re.escape(f"prior must be 'auto' or a real number in (0.0, 1.0); got {prior!r}.")
    with pytest.raises(ValueError, match=expected):
        pu_estimator.set_params(prior=prior).fit(*data)


def test_bad_correction(pu_estimator, data):
    with pytest.raises(ValueError, match=r"correction must be one of 'abs', 'nnpu'; got 'relu'"):
        pu_estimator.set_params(correction="relu").fit(*data)


def test_parameters_are_stored_untouched_and_checked_in_fit(pu_estimator):
    model = pu_estimator.set_params(epochs=-1, prior=3.0, hidden_dims=[4, 2])
    assert model.epochs == -1 and model.prior == 3.0 and model.hidden_dims == [4, 2]


@pytest.mark.parametrize(
    "name, param, value, match",
    [
        ("DeepSVDD", "pretrain_epochs", -1, r"pretrain_epochs must be an integer >= 0; got -1"),
        ("DeepSAD", "eta", 0.0, r"eta must be a real number in \(0.0, inf\); got 0.0"),
    ],
)
def test_hypersphere_parameters(data, name, param, value, match):
    model = clone(next(e for e in ESTIMATORS if type(e).__name__ == name))
    with pytest.raises(ValueError, match=match):
        model.set_params(**{param: value}).fit(*data)


def test_unfitted_estimator_raises_not_fitted(estimator, data):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        estimator.decision_function(data[0])


def test_check_pu_labels_accepts_bools_and_floats():
    np.testing.assert_array_equal(check_pu_labels(np.array([True, False]), 2), [True, False])
    np.testing.assert_array_equal(check_pu_labels(np.array([1.0, 0.0]), 2), [True, False])


@pytest.mark.parametrize("n_features", [1, 3])
def test_a_one_column_label_array_is_y_not_anomaly_rows(n_features):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_features))
    y = (np.arange(40) < 4).astype(int)
    model = PUAutoencoder(hidden_dims=(4,), latent_dim=1, epochs=2, random_state=0)
    expected = clone(model).fit(X, y).decision_scores_
    np.testing.assert_array_equal(clone(model).fit(X, y.reshape(-1, 1)).decision_scores_, expected)
    np.testing.assert_array_equal(clone(model).fit(X, y.reshape(-1, 1).astype(bool)).decision_scores_, expected)
    pd = pytest.importorskip("pandas")
    np.testing.assert_array_equal(clone(model).fit(X, pd.DataFrame({"label": y})).decision_scores_, expected)


def test_a_one_column_array_of_other_values_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match=r"y must be 0/1 labels .* or X_anom with 3 features like X; got "
                                         r"'an array of shape \(40, 1\) holding values other than 0/1'"):
        PUAutoencoder(epochs=1).fit(X, np.arange(40).reshape(-1, 1))
    # anomaly rows of one feature are still anomaly rows when they are not a 0/1 column of X's length
    X1 = X[:, :1]
    model = PUAutoencoder(hidden_dims=(4,), latent_dim=1, epochs=1, random_state=0).fit(X1, X1[:5] + 3)
    assert len(model.decision_scores_) == 45


def test_verbose_takes_integers_like_sklearn():
    X = np.random.default_rng(0).normal(size=(30, 3))
    assert Autoencoder(epochs=1, verbose=2, random_state=0).fit(X).verbose == 2
    with pytest.raises(ValueError, match="verbose must be an integer >= 0; got 1.5"):
        Autoencoder(epochs=1, verbose=1.5).fit(X)
