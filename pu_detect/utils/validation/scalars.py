"""Checks of scalar parameters: integers, reals in a range, options, tuples, devices, seeds."""

import numbers
import os

import numpy as np


def _fail(name, expected, value):
    raise ValueError(f"{name} must be {expected}; got {value!r}.")


def check_path(value, name):
    """Return ``value`` if it is a file-system path (``str`` or ``os.PathLike``)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike); got {type(value).__name__}.")
    return value


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


def check_milestones(value, *, allow_auto=False):
    """``lr_milestones``: None, a sequence of fractions of the epochs in (0, 1) (or ``"auto"`` where allowed)."""
    if value is None or (allow_auto and isinstance(value, str) and value == "auto"):
        return value
    expected = ("'auto', None" if allow_auto else "None") + " or a sequence of fractions of the epochs in (0, 1)"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        _fail("lr_milestones", expected, value)
    return tuple(check_float(m, "lr_milestones", 0.0, 1.0) for m in value)


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
    """Resolve the ``device`` parameter to a torch device string: a CPU, or a GPU present here."""
    import torch

    expected = "'cpu', 'cuda', 'cuda:N', 'mps', 'auto' or a torch.device of those"
    if isinstance(value, str) and value == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(value, (str, torch.device)):
        _fail("device", expected, value)
    try:
        device = torch.device(value)
    except (RuntimeError, ValueError):
        _fail("device", expected, value)
    if device.type not in ("cpu", "cuda", "mps"):
        _fail("device", expected, value)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            _fail("device", "a device present on this machine (CUDA is not available)", value)
        if device.index is not None and device.index >= torch.cuda.device_count():
            _fail("device", f"a CUDA device present on this machine ({torch.cuda.device_count()} found)", value)
    if device.type == "mps" and not torch.backends.mps.is_available():
        _fail("device", "a device present on this machine (MPS is not available)", value)
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
