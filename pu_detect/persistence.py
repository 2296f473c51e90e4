"""Saving and loading fitted estimators without pickle.

A model file is a zip archive with two members:

* ``meta.json``: the format name and version, the estimator's class, the
  pu_detect version that wrote it, its parameters and its plain fitted
  attributes (numbers, strings, lists, dicts such as ``history_``);
* ``tensors.pt``: the network weights and numeric fitted arrays, a dict of
  tensors written by ``torch.save`` and read back with
  ``torch.load(..., weights_only=True)``, which never executes code.

Loading rebuilds the network from the parameters, loads the weights
strictly (every tensor must match) and gives the same scores as the saved
model. A file of another format version, a truncated file or a file that is
not a pu_detect model raises a ``ValueError`` that says which. Pickle keeps
working as well.
"""

import io
import json
import zipfile
import zlib

import numpy as np
import torch

FORMAT = "pu_detect-model"
#: Incremented whenever the file layout changes; files of another version are refused.
FORMAT_VERSION = 1


def _encode(value, name):
    """A JSON value for a parameter or plain attribute (tuples tagged so they come back as tuples)."""
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, name) for v in value]}
    if isinstance(value, list):
        return [_encode(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v, name) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"{name} cannot be saved: it is a {type(value).__name__}; set it to an int, float, string "
        "or tuple (for random_state: an int or None) before fitting, or use pickle."
    )


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_decode(v) for v in value["__tuple__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save(estimator, path):
    """Write fitted ``estimator`` to ``path`` (see the module docstring for the layout)."""
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    check_is_fitted(estimator, "module_")
    params = estimator.get_params(deep=False)
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "class": type(estimator).__name__,
        "pu_detect_version": __version__,
        "params": {k: _encode(v, k) for k, v in params.items()},
        "attributes": {}, "arrays": {}, "modules": [], "object_arrays": {},
    }
    tensors = {}
    for name, value in vars(estimator).items():
        if name in params:
            continue
        if isinstance(value, torch.nn.Module):
            meta["modules"].append(name)
            tensors.update({f"{name}.{k}": t.detach().cpu() for k, t in value.state_dict().items()})
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            meta["arrays"][name] = str(value.dtype)
            tensors[name] = torch.from_numpy(np.ascontiguousarray(value).copy())
        elif isinstance(value, np.ndarray):  # strings or objects: feature names, class labels
            meta["object_arrays"][name] = _encode(value.tolist(), name)
        else:
            meta["attributes"][name] = _encode(value, name)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("tensors.pt", buffer.getvalue())


def _estimator_classes():
    from .utils.discovery import all_estimators

    return {name: cls for name, cls in all_estimators() if issubclass(cls, PersistenceMixin)}


def load(path):
    """Read a model written by ``save``; returns the fitted estimator.

    Raises
    ------
    ValueError
        When ``path`` is not a pu_detect model file, is truncated or damaged,
        or was written in another format version.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("meta.json"))
            payload = archive.read("tensors.pt")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path} is not a readable pu_detect model file (a zip archive holding meta.json and "
            f"tensors.pt, as written by save): {type(error).__name__}: {error}"
        ) from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a pu_detect model file: its format is {meta.get('format')!r}, "
                         f"expected {FORMAT!r}." if isinstance(meta, dict) else f"{path} is not a pu_detect model file.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} is a pu_detect model of format version {meta.get('format_version')!r} (written by "
            f"pu_detect {meta.get('pu_detect_version')}); this pu_detect reads version {FORMAT_VERSION}. "
            "Load it with the version that wrote it, or refit."
        )
    classes = _estimator_classes()
    if meta.get("class") not in classes:
        raise ValueError(f"{path} holds a {meta.get('class')!r}, which is not a pu_detect estimator "
                         f"({', '.join(classes)}).")
    try:
        tensors = torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
    except Exception as error:  # torch raises several types for damaged payloads
        raise ValueError(f"{path} has damaged weights (tensors.pt): {type(error).__name__}: {error}") from error
    estimator = classes[meta["class"]](**{k: _decode(v) for k, v in meta["params"].items()})
    for name, value in meta["attributes"].items():
        setattr(estimator, name, _decode(value))
    for name, value in meta["object_arrays"].items():
        setattr(estimator, name, np.array(_decode(value), dtype=object if name == "feature_names_in_" else None))
    try:
        for name, dtype in meta["arrays"].items():
            setattr(estimator, name, tensors[name].numpy().astype(dtype, copy=False))
        for name in meta["modules"]:
            module = estimator._empty_module()
            prefix = f"{name}."
            module.load_state_dict({k[len(prefix):]: t for k, t in tensors.items() if k.startswith(prefix)},
                                   strict=True)
            setattr(estimator, name, module.eval())
    except (KeyError, RuntimeError) as error:
        raise ValueError(f"{path} does not match the {meta['class']} it describes: {error}") from error
    return estimator


class PersistenceMixin:
    """``save(path)`` and ``load(path)`` for the estimators (see ``pu_detect.persistence``).

    The estimator provides ``_make_module(n_features, params)``; its fitted
    ``module_`` must have that architecture (or override ``_empty_module``).
    """

    def _empty_module(self):
        """The fitted network's architecture, uninitialised, for the saved weights."""
        from .utils import validation as v

        params = v.check_params(self)
        with torch.device("meta"):
            module = self._make_module(self.n_features_in_, params)
        return module.to_empty(device=params.device)

    def save(self, path):
        """Write this fitted estimator to ``path`` without pickle (``pu_detect.persistence.save``)."""
        save(self, path)

    @classmethod
    def load(cls, path):
        """Read an estimator written by ``save``; it must be a ``cls``."""
        estimator = load(path)
        if not isinstance(estimator, cls):
            raise ValueError(f"{path} holds a {type(estimator).__name__}, not a {cls.__name__}.")
        return estimator
