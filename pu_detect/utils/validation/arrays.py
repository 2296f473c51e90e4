"""Checks of arrays: features, labels and scores, and the two spellings of ``fit``'s labeled anomalies."""

import warnings

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from .scalars import _fail


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


#: dtype kinds refused as features or labels, with what they are.
_REFUSED_KINDS = {"M": "datetimes", "m": "time differences", "c": "complex numbers (Complex data not supported)", "S": "bytes",
                  "U": "strings", "V": "raw records"}


def check_input_array(X, name):
    """Refuse inputs that numpy or sklearn would silently turn into wrong numbers, or crash on.

    A masked array whose mask hides values (the mask would be ignored),
    datetime, complex or string values (read as day counts, real parts or
    nothing) and ragged nested lists get a ``ValueError`` naming ``name``
    (object arrays of non-numbers get sklearn's ``TypeError``). Returns ``X`` unchanged otherwise
    (a torch tensor as a numpy array).
    """
    X = _from_torch(X)
    if isinstance(X, np.ma.MaskedArray):
        if np.ma.getmaskarray(X).any():
            _fail(name, "a plain array (the mask of a masked array would be ignored)", "a masked array with masked values")
        return np.ma.getdata(X)
    dtypes = getattr(X, "dtypes", None)  # pandas
    if dtypes is not None and not isinstance(dtypes, np.dtype):
        kinds = {str(column): np.dtype(dtype).kind if isinstance(dtype, np.dtype) else _pandas_kind(dtype)
                 for column, dtype in getattr(dtypes, "items", lambda: [])()}
        bad = {column: kind for column, kind in kinds.items() if kind in _REFUSED_KINDS}
        if bad:
            column, kind = next(iter(bad.items()))
            _fail(name, "numeric or boolean columns", f"column {column!r} of {_REFUSED_KINDS[kind]}")
        return X
    if not hasattr(X, "dtype") and not hasattr(X, "__array__"):
        try:
            array = np.asarray(X)
        except ValueError as error:  # ragged nested sequences
            _fail(name, "a rectangular array-like of numbers", f"a ragged sequence ({error})")
    else:
        array = X if hasattr(X, "dtype") else np.asarray(X)
    kind = getattr(getattr(array, "dtype", None), "kind", None)
    if kind in _REFUSED_KINDS:
        _fail(name, "numeric or boolean values", f"an array of {_REFUSED_KINDS[kind]} (dtype {array.dtype})")
    return X


def _pandas_kind(dtype):
    """The numpy kind of a pandas extension dtype (datetime with time zone, category, string ...)."""
    text = str(dtype)
    if text.startswith("datetime"):
        return "M"
    if text.startswith("timedelta") or text.startswith("period"):
        return "m"
    if text in ("string", "str") or text.startswith("string"):
        return "U"
    return getattr(getattr(dtype, "numpy_dtype", None), "kind", "O")


def check_X(estimator, X, *, reset):
    """Validate a feature matrix: 2-D, non-empty, finite, numeric, float32."""
    X = validate_data(
        estimator, check_input_array(X, "X"), reset=reset, dtype=(np.float32, np.float64),
        ensure_all_finite=True,
    )
    return _as_float32(X, "X")


def check_rows(X, name="X", dtype=np.float32):
    """Validate a feature matrix outside an estimator (attacks, helpers): 2-D, non-empty, finite.

    Returned as float32 (what the networks take), as float64 with
    ``dtype=np.float64``, or as given (float32 or float64) with ``dtype=None``.
    """
    X = check_array(check_input_array(X, name), dtype=(np.float32, np.float64), ensure_all_finite=True,
                    input_name=name)
    if dtype is None:
        return X
    return _as_float32(X, name) if dtype == np.float32 else X.astype(np.float64, copy=False)


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
    y = check_input_array(y, "y")
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


def check_X_anom(X_anom, n_features, feature_names=None):
    """Validate the labeled anomalies given as a second 2-D array.

    When X had feature names (a DataFrame), a DataFrame ``X_anom`` must have
    the same columns in the same order.
    """
    X_anom = check_input_array(X_anom, "X_anom")
    columns = getattr(X_anom, "columns", None)
    if feature_names is not None and columns is not None and list(map(str, columns)) != list(feature_names):
        _fail("X_anom", f"columns named as X's, in X's order ({list(feature_names)[:5]}...)",
              f"columns {list(map(str, columns))[:5]}...")
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


def require_pu_labels(estimator, y):
    """Refuse ``fit(X)`` without ``y`` for an estimator that learns from labeled anomalies."""
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None: pass "
                         "PU labels (1 = labeled anomaly, 0 = unlabeled) or the labeled anomalies X_anom.")


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
        X_anom = check_X_anom(y, X.shape[1], getattr(estimator, "feature_names_in_", None))
        labeled = np.r_[np.zeros(len(X), bool), np.ones(len(X_anom), bool)]
        return np.concatenate([X, X_anom]), labeled
    X = check_X(estimator, X, reset=True)
    if y is None:
        return X, np.zeros(len(X), bool)
    return X, check_pu_labels(y, len(X))


def check_params(estimator, skip=()):
    """Every parameter of ``estimator`` through its ``_parameter_checks``, as a namespace.

    Parameters named in ``skip`` are passed through unchecked (loading a file
    checks ``device`` against the machine that loads it instead).
    """
    from types import SimpleNamespace

    return SimpleNamespace(**{
        name: getattr(estimator, name) if name in skip else check(getattr(estimator, name))
        for name, check in estimator._parameter_checks.items()
    })


def check_within(X, name, low, high, expected, tolerance=0.0):
    """Refuse rows ``X`` (array or tensor) with a value outside ``[low - tolerance, high + tolerance]``.

    The message names ``name``, says ``expected`` and gives the range found.
    """
    if len(X) == 0:
        return
    bottom, top = float(X.min()), float(X.max())
    if bottom < low - tolerance or top > high + tolerance:
        _fail(name, expected, f"values in [{bottom:.4g}, {top:.4g}]")


def check_input_shape_fits(input_shape, checked_shape, n_features):
    """Refuse an ``input_shape`` whose product is not the number of features."""
    if checked_shape is not None and int(np.prod(checked_shape)) != n_features:
        _fail("input_shape", f"a shape whose product is the number of features ({n_features})", input_shape)


def check_anomaly_labels(y, n_samples, name="y"):
    """True anomaly labels of a dataset: one per row, every value 0 (normal) or 1 (anomaly).

    Refuses what would silently become other labels: 2, -1/+1, NaN, 0.7,
    datetimes or strings. Returns an int64 array.
    """
    y = np.asarray(check_input_array(y, name))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n_samples:
        _fail(name, f"one 0/1 label per row ({n_samples})", f"an array of shape {y.shape}")
    if y.dtype == bool:
        return y.astype(np.int64)
    try:
        values = y.astype(np.float64)
    except (TypeError, ValueError):
        _fail(name, "0/1 labels (1 = anomaly)", f"labels of dtype {y.dtype}")
    bad = np.unique(values[~np.isin(values, (0.0, 1.0))])
    if bad.size:
        _fail(name, "0/1 labels (1 = anomaly, 0 = normal)", f"values {bad[:5].tolist()}")
    return values.astype(np.int64)


def check_targets_1d(y, n_samples, name="y"):
    """Integer class labels, one per row (digits, say)."""
    y = np.asarray(check_input_array(y, name))
    if y.ndim != 1 or len(y) != n_samples:
        _fail(name, f"one class label per row ({n_samples})", f"an array of shape {y.shape}")
    if y.dtype.kind not in "iub":
        if y.dtype.kind != "f" or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            _fail(name, "integer class labels", f"labels of dtype {y.dtype}")
    return y.astype(np.int64)


def check_scores(scores, name="scores", n_samples=None):
    """A 1-D array of finite real scores (``n_samples`` of them where given), as float64."""
    scores = np.asarray(check_input_array(scores, name))
    if scores.ndim != 1 or len(scores) == 0:
        _fail(name, "a non-empty 1-D array of scores", f"an array of shape {scores.shape}")
    if n_samples is not None and len(scores) != n_samples:
        _fail(name, f"one score per label ({n_samples})", f"{len(scores)} scores")
    try:
        scores = scores.astype(np.float64)
    except (TypeError, ValueError):
        _fail(name, "real numbers", f"values of dtype {scores.dtype}")
    if not np.all(np.isfinite(scores)):
        _fail(name, "finite values", "NaN or infinity")
    return scores
