"""Property-based and extreme-input tests: whatever users pass, a clear error or finite scores."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from helpers import ESTIMATORS, ids
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from pu_detect import Autoencoder, PUAutoencoder
from pu_detect.engine.inference import ACTIVATION_BUDGET

DTYPES = [np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_]


def quiet_fit(estimator, X, y=None):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*got no labeled anomaly")
        return estimator.fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
# derandomize: the same examples on every run, so CI cannot pass or fail by the draw.
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_rows=st.integers(2, 40), n_features=st.integers(1, 6), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**16), with_labels=st.booleans())
def test_any_shape_and_dtype_gives_finite_scores(estimator, n_rows, n_features, dtype, seed, with_labels):
    # Two rows with one labeled leave one unlabeled row, which the batch-normalised SVDD
    # encoders refuse with a clear error (tested in test_hypersphere); not this test's subject.
    assume(not (with_labels and n_rows < 3))
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n_rows, n_features)) * 3).astype(dtype)
    y = None
    if with_labels:
        y = np.zeros(n_rows, dtype=int)
        y[: max(1, n_rows // 5)] = 1
        y[-1] = 0  # at least one unlabeled row
    model = quiet_fit(clone(estimator).set_params(epochs=1), X, y)
    scores = model.decision_function(X)
    assert scores.shape == (n_rows,) and np.all(np.isfinite(scores))
    assert model.decision_function(X[:1]).shape == (1,)  # a single row at predict time
    assert set(np.unique(model.predict(X))) <= {0, 1}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
def test_constant_and_duplicated_columns(estimator):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(60, 3))
    X = np.c_[base, base[:, :1], np.full(60, 7.0), np.zeros(60)]  # a duplicate, two constants
    model = quiet_fit(clone(estimator), X)
    assert np.all(np.isfinite(model.decision_function(X)))


def test_sparse_input_gets_a_clear_error():
    X = scipy.sparse.random(30, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match="dense data is required"):
        Autoencoder(epochs=1).fit(X)
    model = Autoencoder(epochs=1).fit(X.toarray())
    with pytest.raises(TypeError, match="dense data is required"):
        model.decision_function(X)


def test_values_near_float32_limits():
    rng = np.random.default_rng(0)
    huge = rng.uniform(size=(50, 3)) * 3e38  # representable in float32, but squares overflow
    with pytest.raises(FloatingPointError, match="Scale the features .* or lower lr"):
        Autoencoder(epochs=2).fit(huge)
    with pytest.raises(ValueError, match="float32"):
        Autoencoder(epochs=2).fit(np.full((5, 2), 1e39))  # beyond float32
    model = Autoencoder(epochs=2, random_state=0).fit(rng.uniform(size=(50, 3)))
    scores = model.decision_function(np.full((2, 3), 3e38))  # scored in float64: finite
    assert np.all(np.isfinite(scores))
    tiny = rng.uniform(size=(50, 3)) * 1e-38  # subnormal-scale values train and score
    assert np.all(np.isfinite(Autoencoder(epochs=2).fit(tiny).decision_scores_))


def test_non_finite_training_loss_stops_with_advice_not_nan_scores():
    rng = np.random.default_rng(0)
    with pytest.raises(FloatingPointError, match=r"became (nan|inf) at epoch \d+\. Scale the features .* or lower lr \(now 1e\+30\)"):
        PUAutoencoder(epochs=3, lr=1e30).fit(rng.normal(size=(64, 4)), rng.normal(3, size=(4, 4)))


def test_scoring_a_million_rows_holds_a_bounded_number_of_rows():
    model = Autoencoder(hidden_dims=(64,), latent_dim=8, epochs=1, random_state=0).fit(
        np.random.default_rng(0).uniform(size=(500, 10)))
    seen = []
    handles = [layer.register_forward_hook(lambda m, i, o: seen.append(o.shape[0]))
               for layer in model.module_.modules() if isinstance(layer, type(model.module_.encoder[0]))]
    X = np.random.default_rng(1).uniform(size=(1_000_000, 10)).astype(np.float32)
    try:
        scores = model.decision_function(X)
    finally:
        for handle in handles:
            handle.remove()
    assert scores.shape == (1_000_000,)
    # every layer output in a batch holds at most ACTIVATION_BUDGET values: 1,024 rows of 64 units
    assert max(seen) == ACTIVATION_BUDGET // 64 and sum(seen) == 4 * 1_000_000 + 4 * 2


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
def test_feature_names_are_checked_at_predict_time(estimator):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    model = quiet_fit(clone(estimator), frame)
    with pytest.raises(ValueError, match="feature names"):
        model.decision_function(frame.rename(columns={"a": "z"}))
    with pytest.raises(ValueError, match="feature names"):
        model.decision_function(frame[["c", "b", "a"]])
    np.testing.assert_array_equal(model.decision_function(frame), model.decision_scores_)
