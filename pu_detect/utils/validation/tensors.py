"""Checks of the tensor and module arguments of the building blocks (losses, attack cores, networks)."""

import numbers

import numpy as np
import torch

from .scalars import _fail, check_int_tuple

_KINDS = {
    "float": (lambda t: t.is_floating_point(), "a floating-point torch.Tensor"),
    "index": (lambda t: not (t.is_floating_point() or t.is_complex() or t.dtype == torch.bool),
              "an integer torch.Tensor of class indices"),
}


def describe(value):
    """A short description of ``value`` for error messages: its type, and its dtype and shape where it has them."""
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    kind = type(value)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    shape = getattr(value, "shape", None)
    return f"{name} of shape {tuple(shape)}" if isinstance(shape, tuple) else f"{name} {value!r}"[:200]


def check_tensor(value, name, kind="float", dim=None, rows=False):
    """Return ``value`` if it is a torch.Tensor of ``kind`` ("float" or "index") with ``dim`` axes.

    ``dim`` is an int, a tuple of allowed ints, or None for any; ``rows=True``
    requires a batch: one row per sample, so at least 2 axes.

    Examples
    --------
    >>> import torch
    >>> check_tensor(torch.zeros(2, 3), "logits", dim=2).shape
    torch.Size([2, 3])
    >>> check_tensor([1.0], "logits")
    Traceback (most recent call last):
    ...
    TypeError: logits must be a floating-point torch.Tensor; got list [1.0].
    """
    accepts, expected = _KINDS[kind]
    if not isinstance(value, torch.Tensor) or not accepts(value):
        raise TypeError(f"{name} must be {expected}; got {describe(value)}.")
    allowed = (dim,) if isinstance(dim, numbers.Integral) else dim
    if allowed is not None and value.dim() not in allowed:
        axes = " or ".join(str(d) for d in allowed)
        raise ValueError(f"{name} must have {axes} dimensions; got {describe(value)}.")
    if rows and value.dim() < 2:
        raise ValueError(f"{name} must have one row per sample (2 or more dimensions); got {describe(value)}.")
    return value


def check_class_indices(value, name, n_rows, rows_of, n_classes=None):
    """Return ``value`` if it is a 1-D integer tensor of one class index per row of ``rows_of``.

    Each index must be ``>= 0``, and ``< n_classes`` where the class count is
    known (a loss has the logits; an attack core has none before its first
    forward pass).

    Examples
    --------
    >>> import torch
    >>> check_class_indices(torch.tensor([0, 2]), "target", 2, "logits", n_classes=3)
    tensor([0, 2])
    >>> check_class_indices(torch.tensor([0, 3]), "target", 2, "logits", n_classes=3)
    Traceback (most recent call last):
    ...
    ValueError: target must hold one class index in [0, 3) per row of logits (2 rows); got a torch.int64 tensor of shape (2,) with values in [0, 3].
    """
    check_tensor(value, name, "index", dim=1)
    low, high = (int(value.min()), int(value.max())) if len(value) else (0, 0)
    if len(value) != n_rows or low < 0 or (n_classes is not None and high >= n_classes):
        expected = ">= 0" if n_classes is None else f"in [0, {n_classes})"
        values = f" with values in [{low}, {high}]" if len(value) else ""
        raise ValueError(f"{name} must hold one class index {expected} per row of {rows_of} ({n_rows} rows); "
                         f"got {describe(value)}{values}.")
    return value


def check_image_shape(value, n_features, name="image_shape"):
    """Return ``value`` as a ``(C, H, W)`` tuple of positive ints whose product is ``n_features``."""
    shape = check_int_tuple(value, name, length=3)
    if int(np.prod(shape)) != n_features:
        _fail(name, f"a (C, H, W) shape of x's {n_features} features", shape)
    return shape


def check_generator(value, name="generator"):
    """Return ``value`` if it is a ``torch.Generator``."""
    if not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator; got {describe(value)}.")
    return value


def check_module(value, name):
    """Return ``value`` if it is a ``torch.nn.Module``."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {describe(value)}.")
    return value
