"""Every input and parameter check of pu_detect, with one message style.

Messages name the parameter, say what was expected and show what was
received: ``"epochs must be an integer >= 1; got 0."``.
"""

import numbers
import warnings

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data


def _fail(name, expected, value):
    raise ValueError(f"{name} must be {expected}; got {value!r}.")


def check_int(value, name, min_value=1):
    """Return ``value`` as an int if it is an integer >= ``min_value``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        _fail(name, f"an integer >= {min_value}", value)
    if value < min_value:
        _fail(name, f"an integer >= {min_value}", value)
    return int(value)


def check_float(value, name, low, high, *, low_inclusive=False, high_inclusive=False):
    """Return ``value`` as a float if it is a real number in the given interval."""
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    expected = f"a real number in {left}{low}, {high}{right}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        _fail(name, expected, value)
    value = float(value)
    too_low = value < low if low_inclusive else value <= low
    too_high = value > high if high_inclusive else value >= high
    if np.isnan(value) or too_low or too_high:
        _fail(name, expected, value)
    return value


def check_option(value, name, options):
    """Return ``value`` if it is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        _fail(name, "one of " + ", ".join(repr(o) for o in options), value)
    return value


def check_int_tuple(value, name, *, length=None):
    """Return ``value`` as a tuple of positive ints (optionally of a fixed length)."""
    expected = "a sequence of integers >= 1"
    if length is not None:
        expected = f"a sequence of {length} integers >= 1"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        _fail(name, expected, value)
    items = tuple(value)
    if length is not None and len(items) != length:
        _fail(name, expected, value)
    for item in items:
        if (
            isinstance(item, (bool, np.bool_))
            or not isinstance(item, numbers.Integral)
            or item < 1
        ):
            _fail(name, expected, value)
    return tuple(int(item) for item in items)


def check_verbose(value):
    """``verbose``: an integer >= 0 (or a bool), as in sklearn, PyOD and DeepOD."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    return check_int(value, "verbose", min_value=0)


def check_bool(value, name):
    """Return ``value`` if it is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, "True or False", value)
    return bool(value)


def check_device(value):
    """Resolve the ``device`` parameter to a torch device string."""
    import torch

    if value == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(value, (str, torch.device)):
        _fail("device", "'cpu', 'cuda', 'cuda:N', 'auto' or a torch.device", value)
    try:
        device = torch.device(value)
    except (RuntimeError, ValueError):
        _fail("device", "'cpu', 'cuda', 'cuda:N', 'auto' or a torch.device", value)
    if device.type == "cuda" and not torch.cuda.is_available():
        _fail("device", "a device present on this machine (CUDA is not available)", value)
    return str(device)


def check_seed(random_state):
    """Turn ``random_state`` into an int seed without touching global RNG state.

    ``None`` draws fresh OS entropy; an int is used as is; a
    ``numpy.random.RandomState`` or ``Generator`` (the caller's own object) is
    drawn from once.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            _fail("random_state", "None, an integer >= 0 or a numpy random generator", random_state)
        return int(random_state) % (2**63)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    _fail("random_state", "None, an integer >= 0 or a numpy random generator", random_state)


def check_contamination(value):
    """PyOD's rule: a float in (0, 0.5]."""
    return check_float(value, "contamination", 0.0, 0.5, high_inclusive=True)


def _as_float32(X, name):
    with np.errstate(over="ignore"):
        X32 = X.astype(np.float32, copy=False)
    if X32 is not X and not np.all(np.isfinite(X32)):
        _fail(name, "values within float32 range (about +-3.4e38)", "values that overflow float32")
    return X32


def _from_torch(X):
    """A torch tensor (even one that requires grad, or on a GPU) as a numpy array; anything else as is."""
    import torch

    if isinstance(X, torch.Tensor):
        return X.detach().cpu().numpy()
    return X


def check_X(estimator, X, *, reset):
    """Validate a feature matrix: 2-D, non-empty, finite, numeric, float32."""
    X = validate_data(
        estimator, _from_torch(X), reset=reset, dtype=(np.float32, np.float64), ensure_all_finite=True
    )
    return _as_float32(X, "X")


def check_rows(X, name="X"):
    """Validate a feature matrix outside an estimator (attacks, helpers): 2-D, non-empty, finite, float32."""
    X = check_array(_from_torch(X), dtype=(np.float32, np.float64), ensure_all_finite=True, input_name=name)
    return _as_float32(X, name)


def check_pu_labels(y, n_samples):
    """Validate PU labels: 1 = labeled anomaly, 0 = unlabeled.

    Negative or fractional labels raise (this catches sklearn's -1/+1 outlier
    convention); integers above 1 warn and count as unlabeled, so sklearn's
    common checks, which fit with y in {0, 1, 2}, still run.

    Returns
    -------
    labeled : ndarray of bool, shape (n_samples,)
        True where the row is a labeled anomaly.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        _fail("y", "a 1-D array of 0/1 labels (1 = labeled anomaly)", f"an array of shape {y.shape}")
    if y.shape[0] != n_samples:
        _fail("y", f"one label per row of X ({n_samples} labels)", f"{y.shape[0]} labels")
    if y.dtype == bool:
        return y.copy()
    if y.dtype.kind not in "iuf":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            _fail("y", "numeric 0/1 labels (1 = labeled anomaly)", f"labels of dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            _fail("y", "finite 0/1 labels", "labels containing NaN or inf")
        fractional = np.unique(y[y != np.round(y)])
        if fractional.size:
            _fail("y", "integer 0/1 labels (1 = labeled anomaly, 0 = unlabeled)", f"fractional values {fractional[:5].tolist()}")
    negative = np.unique(y[y < 0])
    if negative.size:
        _fail(
            "y",
            "0/1 labels (1 = labeled anomaly, 0 = unlabeled), not sklearn's -1/+1",
            f"negative values {negative[:5].tolist()}",
        )
    above = np.unique(y[y > 1])
    if above.size:
        warnings.warn(
            f"y holds values above 1 ({above[:5].tolist()}); they are treated as "
            "unlabeled (0). Use 1 for a labeled anomaly and 0 for unlabeled.",
            UserWarning,
            stacklevel=3,
        )
    return y == 1


def check_X_anom(X_anom, n_features):
    """Validate the labeled anomalies given as a second 2-D array."""
    X_anom = check_array(
        X_anom, dtype=(np.float32, np.float64), ensure_all_finite=True,
        ensure_min_samples=0, input_name="X_anom",
    )
    X_anom = _as_float32(X_anom, "X_anom")
    if X_anom.shape[1] != n_features:
        _fail("X_anom", f"an array with {n_features} features, like X", f"{X_anom.shape[1]} features")
    return X_anom


def _is_label_column(y, n_samples):
    """Whether a 2-D second argument of ``fit`` is a column of labels rather than ``X_anom``.

    A single column with one value per row of X, every value 0 or 1 (or
    bool), is ``y`` (a one-column DataFrame or a column vector); anything
    else 2-D is the labeled anomalies.
    """
    y = np.asarray(y)
    if y.shape[1:] != (1,) or y.shape[0] != n_samples:
        return False
    if y.dtype == bool:
        return True
    if y.dtype.kind not in "iuf":
        return False
    return bool(np.isin(y, (0, 1)).all())


def split_unlabeled_anomalies(estimator, X, y):
    """Validate ``fit``'s inputs in either spelling and split them.

    ``fit(X, y)`` with 1-D ``y`` (1 = labeled anomaly, 0 = unlabeled) and
    ``fit(X_unlabeled, X_anom)`` with a 2-D second argument are the two
    spellings of one call. A ``(n_samples, 1)`` column of 0/1 values (a
    one-column DataFrame) is ``y``, never one-feature anomaly rows.

    Returns
    -------
    X_all : ndarray (n_samples, n_features)
        Every training row, in the order ``decision_scores_`` reports them.
    labeled : ndarray of bool (n_samples,)
        Which rows of ``X_all`` are labeled anomalies.
    """
    if y is not None and np.asarray(_from_torch(y)).ndim == 2:
        X = check_X(estimator, X, reset=True)
        y_array = np.asarray(_from_torch(y))
        if _is_label_column(y_array, len(X)):
            return X, check_pu_labels(y_array[:, 0], len(X))
        if y_array.shape[1] == 1 and X.shape[1] != 1:
            _fail("y", f"0/1 labels (1-D, or one column of 0/1 values), or X_anom with {X.shape[1]} "
                  "features like X", f"an array of shape {y_array.shape} holding values other than 0/1")
        X_anom = check_X_anom(y, X.shape[1])
        labeled = np.r_[np.zeros(len(X), bool), np.ones(len(X_anom), bool)]
        return np.concatenate([X, X_anom]), labeled
    X = check_X(estimator, X, reset=True)
    if y is None:
        return X, np.zeros(len(X), bool)
    return X, check_pu_labels(y, len(X))


def check_params(estimator):
    """Every parameter of ``estimator`` through its ``_parameter_checks``, as a namespace."""
    from types import SimpleNamespace

    return SimpleNamespace(
        **{name: check(getattr(estimator, name)) for name, check in estimator._parameter_checks.items()}
    )


def check_input_shape_fits(input_shape, checked_shape, n_features):
    """Refuse an ``input_shape`` whose product is not the number of features."""
    if checked_shape is not None and int(np.prod(checked_shape)) != n_features:
        _fail("input_shape", f"a shape whose product is the number of features ({n_features})", input_shape)
