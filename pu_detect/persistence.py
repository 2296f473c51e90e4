"""Saving and loading fitted estimators without pickle.

A model file is a zip archive with two members:

* ``meta.json``: the format name and version, the estimator's class, the
  pu_detect version that wrote it, its parameters and its plain fitted
  attributes (numbers, strings, lists, dicts such as ``history_``);
* ``tensors.pt``: the network weights and numeric fitted arrays, a dict of
  tensors written by ``torch.save`` and read back with
  ``torch.load(..., weights_only=True)``, which never executes code.

An adversarial detector's file also holds its fitted classifier, nested in
the same form (its description under the detector's ``classifier``
parameter, its tensors under ``classifier/``), and its per-class arrays
(K-density's kernel centres). Loading rebuilds each network from the
parameters, loads the weights strictly (every tensor must match) and gives
the same scores as the saved model. Files are written atomically: a save
that fails part-way leaves whatever was at the path intact. A file of a
format version this pu_detect does not read, a truncated or damaged file,
one with repeated members, or a file that is not a pu_detect model raises a
``ValueError`` that says which. Pickle keeps working as well.
"""

import io
import json
import os
import re
import stat
import warnings
import zipfile
import zlib

import numpy as np
import torch

FORMAT = "pu_detect-model"
#: Incremented whenever the file layout changes. Version 2 added nested estimators and
#: per-class arrays (adversarial detectors); it reads version 1 files as they are.
FORMAT_VERSION = 2
#: The versions this pu_detect reads.
READABLE_VERSIONS = (1, 2)
_MEMBERS = ("meta.json", "tensors.pt")


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


def _is_numeric_array(value):
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def _describe(estimator, prefix, tensors):
    """The JSON description of fitted ``estimator``; its tensors go into ``tensors`` under ``prefix``."""
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "class": type(estimator).__name__,
        "pu_detect_version": __version__, "params": {}, "estimators": {},
        "attributes": {}, "arrays": {}, "modules": [], "object_arrays": {}, "array_dicts": {},
    }
    for name, value in params.items():
        if isinstance(value, PersistenceMixin):
            meta["estimators"][name] = _describe(value, f"{prefix}{name}/", tensors)
        elif isinstance(value, torch.nn.Module) or hasattr(value, "get_params"):
            raise TypeError(f"{name} cannot be saved: it is a {type(value).__name__}, not a pu_detect "
                            "estimator; a model file holds only pu_detect estimators. Use pickle (or save "
                            "the network with torch.save and refit the detector).")
        elif callable(value):
            raise TypeError(f"{name} cannot be saved: it is a callable ({value!r}), and a model file holds "
                            "no code; save with the default (None), or use pickle.")
        else:
            meta["params"][name] = _encode(value, name)
    for name, value in vars(estimator).items():
        if name in params:
            continue
        if isinstance(value, torch.nn.Module):
            _check_architecture(estimator, name, value)
            meta["modules"].append(name)
            tensors.update({f"{prefix}{name}.{k}": t.detach().cpu() for k, t in value.state_dict().items()})
        elif _is_numeric_array(value):
            meta["arrays"][name] = str(value.dtype)
            tensors[prefix + name] = torch.from_numpy(np.ascontiguousarray(value).copy())
        elif isinstance(value, np.ndarray):  # strings or objects: feature names, class labels
            meta["object_arrays"][name] = _encode(value.tolist(), name)
        elif isinstance(value, dict) and value and all(_is_numeric_array(a) for a in value.values()):
            meta["array_dicts"][name] = {str(k): str(a.dtype) for k, a in value.items()}
            tensors.update({f"{prefix}{name}/{k}": torch.from_numpy(np.ascontiguousarray(a).copy())
                            for k, a in value.items()})
        else:
            meta["attributes"][name] = _encode(value, name)
    return meta


def _check_architecture(estimator, name, module):
    """Refuse to save a network that the saved parameters would not rebuild (a file that cannot load)."""
    try:
        empty = estimator._empty_module(device="meta")
    except (ValueError, TypeError) as error:
        raise ValueError(f"{type(estimator).__name__} cannot be saved: its parameters no longer describe "
                         f"its fitted {name} ({error}). Refit, or set the parameters back.") from error
    expected = {k: tuple(t.shape) for k, t in empty.state_dict().items()}
    fitted = {k: tuple(t.shape) for k, t in module.state_dict().items()}
    if expected != fitted:
        raise ValueError(f"{type(estimator).__name__} cannot be saved: its parameters (changed by set_params "
                         f"after fit?) no longer describe its fitted {name}, so the file could never be "
                         "loaded. Refit, or set the parameters back.")


def save(estimator, path):
    """Write fitted ``estimator`` to ``path`` atomically (see the module docstring for the layout).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from pu_detect import Autoencoder
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.pud"
    >>> save(Autoencoder(epochs=2, random_state=0).fit(X), path)
    >>> bool(np.allclose(load(path).decision_function(X), Autoencoder(epochs=2, random_state=0).fit(X).decision_function(X)))
    True
    """
    from .utils.files import atomic_write

    tensors = {}
    meta = _describe(estimator, "", tensors)
    module = getattr(estimator, "module_", None)
    if isinstance(module, torch.nn.Module):  # where it was fitted, apart from the device parameter
        meta["fitted_device"] = str(next(module.parameters()).device)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    with atomic_write(path) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("tensors.pt", buffer.getvalue())


def _estimator_classes():
    from .utils.discovery import all_estimators

    return {name: cls for name, cls in all_estimators() if issubclass(cls, PersistenceMixin)}


#: Largest ``meta.json`` read (64 MiB), and the largest expansion of ``tensors.pt`` over its
#: compressed size that a model file may declare (weights deflate by far less; a zip bomb by far more).
MAX_META_BYTES = 2**26
MAX_EXPANSION = 100
_EXPANSION_ALLOWANCE = 2**24


def _read(path):
    """``meta.json`` (parsed) and ``tensors.pt`` (bytes) of the archive at ``path``, checked before reading.

    Only a regular file is opened (a FIFO or a device would block or never
    end); the archive must hold exactly the two members, once each, and their
    declared sizes are checked before anything is decompressed.
    """
    if isinstance(path, (str, os.PathLike)):
        mode = os.stat(path).st_mode  # a missing file: FileNotFoundError, naming it
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path} is not a regular file (a pu_detect model is a zip file on disk).")
    elif not all(callable(getattr(path, method, None)) for method in ("read", "seek", "tell")):
        raise TypeError(f"path must be a file path (str or os.PathLike) or a binary file object opened for reading; "
                        f"got {type(path).__name__}.")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{path} is not a valid pu_detect model file: its members {repeated} "
                                 "appear more than once.")
            unknown = sorted(set(names) - set(_MEMBERS))
            if unknown:
                raise ValueError(f"{path} is not a valid pu_detect model file: it holds members {unknown} "
                                 f"besides {list(_MEMBERS)}.")
            sizes = {info.filename: info for info in infos}
            meta_info, payload_info = sizes["meta.json"], sizes["tensors.pt"]
            if meta_info.file_size > MAX_META_BYTES:
                raise ValueError(f"{path} declares a meta.json of {meta_info.file_size:,} bytes, more than "
                                 f"{MAX_META_BYTES:,}: it is not a pu_detect model file.")
            if payload_info.file_size > MAX_EXPANSION * payload_info.compress_size + _EXPANSION_ALLOWANCE:
                raise ValueError(f"{path} declares a tensors.pt of {payload_info.file_size:,} bytes from "
                                 f"{payload_info.compress_size:,} compressed (more than {MAX_EXPANSION} times): "
                                 "refused before decompressing, as a zip bomb would be.")
            # zipfile decompresses a member up to its declared size only, then checks its CRC
            return json.loads(archive.read("meta.json")), archive.read("tensors.pt")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path} is not a readable pu_detect model file (a zip archive holding meta.json and "
            f"tensors.pt, as written by save): {type(error).__name__}: {error}"
        ) from error


def _check_meta(meta, path):
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a pu_detect model file: its format is {meta.get('format')!r}, "
                         f"expected {FORMAT!r}." if isinstance(meta, dict) else f"{path} is not a pu_detect model file.")
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise ValueError(
            f"{path} is a pu_detect model of format version {meta.get('format_version')!r} (written by "
            f"pu_detect {meta.get('pu_detect_version')}); this pu_detect reads version "
            f"{' or '.join(map(str, READABLE_VERSIONS))}. Load it with the version that wrote it, or refit."
        )


#: Fitted attributes that are not named like sklearn's (``name_``): PyOD's own.
_PYOD_ATTRIBUTES = ("_mu", "_sigma", "_classes")
_FITTED_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*_$")


def _check_names(cls, meta, path):
    """Every fitted attribute a file sets must be named as fitted state, and shadow nothing of the class."""
    params = set(meta["params"]) | set(meta.get("estimators", {}))
    for group in ("attributes", "arrays", "object_arrays", "array_dicts"):
        for name in meta.get(group, {}):
            _check_name(cls, name, params, path)
    for name in meta["modules"]:
        _check_name(cls, name, params, path)


def _check_name(cls, name, params, path):
    if not isinstance(name, str) or not (_FITTED_NAME.match(name) or name in _PYOD_ATTRIBUTES):
        raise ValueError(f"{path} sets an attribute {name!r}, which is not a fitted attribute's name "
                         "(letters, digits and underscores ending in '_').")
    if name in params or hasattr(cls, name):
        raise ValueError(f"{path} sets {name!r}, which would shadow a parameter, method or attribute of "
                         f"{cls.__name__}.")


def _check_finite(name, tensor, path):
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{path} holds non-finite values (NaN or infinity) in {name}: the model would "
                         "score NaN. Refit and save again.")


def _device_here(estimator, path):
    """The saved ``device`` where this machine has it, else the CPU (with a warning)."""
    from .utils import validation as v

    device = getattr(estimator, "device", "cpu")
    try:
        return v.check_device(device)
    except ValueError:
        warnings.warn(f"{path} was saved with device={device!r}, which this machine does not have; its "
                      "networks are loaded on the CPU. The device parameter keeps its value: "
                      "set_params(device='cpu') before refitting here.", UserWarning, stacklevel=4)
        return "cpu"


def _rebuild(meta, tensors, prefix, path):
    """The fitted estimator that ``meta`` describes, its tensors read from ``tensors`` under ``prefix``."""
    _check_meta(meta, path)
    classes = _estimator_classes()
    if meta.get("class") not in classes:
        raise ValueError(f"{path} holds a {meta.get('class')!r}, which is not a pu_detect estimator "
                         f"({', '.join(classes)}).")
    cls = classes[meta["class"]]
    _check_names(cls, meta, path)
    params = {k: _decode(v) for k, v in meta["params"].items()}
    if meta["format_version"] == 1:
        params = cls._parameters_of_0_1_0(params)
    for name, nested in meta.get("estimators", {}).items():
        params[name] = _rebuild(nested, tensors, f"{prefix}{name}/", path)
    unknown = sorted(set(params) - set(cls().get_params(deep=False)))
    if unknown:
        raise ValueError(f"{path} gives {cls.__name__} parameters it does not have: {unknown}.")
    estimator = cls(**params)
    for name, value in meta["attributes"].items():
        setattr(estimator, name, _decode(value))
    for name, value in meta["object_arrays"].items():
        setattr(estimator, name, np.array(_decode(value), dtype=object if name == "feature_names_in_" else None))
    try:
        for name, dtype in meta["arrays"].items():
            _check_finite(name, tensors[prefix + name], path)
            setattr(estimator, name, tensors[prefix + name].numpy().astype(dtype, copy=False))
        for name, items in meta.get("array_dicts", {}).items():
            for k in items:
                _check_finite(f"{name}[{k}]", tensors[f"{prefix}{name}/{k}"], path)
            setattr(estimator, name, {int(k) if k.lstrip("-").isdigit() else k:
                                      tensors[f"{prefix}{name}/{k}"].numpy().astype(dtype, copy=False)
                                      for k, dtype in items.items()})
        device = _device_here(estimator, path) if meta["modules"] else None
        for name in meta["modules"]:
            module = estimator._empty_module(device=device)
            start = f"{prefix}{name}."
            state = {k[len(start):]: t for k, t in tensors.items() if k.startswith(start)}
            for key, tensor in state.items():
                _check_finite(f"{name}.{key}", tensor, path)
            module.load_state_dict(state, strict=True)
            setattr(estimator, name, module.eval())
    except (KeyError, RuntimeError) as error:
        raise ValueError(f"{path} does not match the {meta['class']} it describes: {error}") from error
    try:
        estimator._check_loaded_state()
    except (ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{path} does not match the {meta['class']} it describes: {error}") from error
    return estimator


def load(path):
    """Read a model written by ``save``; returns the fitted estimator.

    Raises
    ------
    ValueError
        When ``path`` is not a pu_detect model file, is truncated or damaged,
        or was written in a format version this pu_detect does not read.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from pu_detect import PUAutoencoder
    >>> X = np.random.default_rng(0).normal(size=(60, 4))
    >>> model = PUAutoencoder(epochs=2, random_state=0).fit(X, np.arange(60) < 3)  # three labeled anomalies
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.pud"
    >>> model.save(path)
    >>> bool(np.array_equal(load(path).decision_function(X), model.decision_function(X)))
    True
    """
    meta, payload = _read(path)
    _check_meta(meta, path)
    if meta.get("class") not in _estimator_classes():
        return _rebuild(meta, {}, "", path)  # raises with the list of estimators
    try:
        tensors = torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
    except Exception as error:  # torch raises several types for damaged payloads
        raise ValueError(f"{path} has damaged weights (tensors.pt): {type(error).__name__}: {error}") from error
    return _rebuild(meta, tensors, "", path)


class PersistenceMixin:
    """``save(path)`` and ``load(path)`` for the estimators (see ``pu_detect.persistence``).

    An estimator with a network provides ``_make_module(n_features, params)``;
    its fitted ``module_`` must have that architecture (or override
    ``_empty_module``).
    """

    def _empty_module(self, device=None):
        """The fitted network's architecture, uninitialised, for the saved weights.

        ``device``: where to put it (``None``: the ``device`` parameter, checked).
        """
        from .utils import validation as v

        params = v.check_params(self, skip=() if device is None else ("device",))
        with torch.device("meta"):
            module = self._make_module(self.n_features_in_, params)
        return module.to_empty(device=params.device if device is None else device)

    def _check_loaded_state(self):
        """Raise when fitted state read from a file disagrees with the parameters (a hook; none here)."""

    @classmethod
    def _parameters_of_0_1_0(cls, params):
        """The parameters of a file written by pu_detect 0.1.0, with what later versions added set to
        the values that reproduce 0.1.0's model (a hook; the same parameters here)."""
        return params

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
