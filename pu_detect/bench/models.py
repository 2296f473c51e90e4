"""Every model ``pu-detect bench`` can run: ours and the peers, with how each learns.

Peers: PyOD's IForest, AutoEncoder, DeepSVDD and XGBOD, sklearn's
HistGradientBoostingClassifier trained on the PU labels, and DeepOD's
DeepSAD, DevNet, PReNet and RoSAS when ``deepod`` is importable
(``pip install --no-deps deepod``; PyOD's own DevNet passes its loss
arguments in the wrong order).
"""

import importlib
import importlib.metadata
import importlib.util
import platform
from dataclasses import dataclass
from typing import Callable

from ..utils import validation as v



@dataclass(frozen=True)
class ModelSpec:
    """How to build a model, whether it learns from labels, and what it needs.

    ``make(seed, n_features)`` returns an unfitted detector whose
    ``decision_function`` is higher for more anomalous rows.
    ``semi_supervised`` models are fitted on ``(X_train, y_pu)``, the others
    on the unlabeled training rows only. ``package`` is the distribution the
    model comes from (its version is recorded with each result).

    Examples
    --------
    >>> spec = MODELS["IForest"]
    >>> spec.semi_supervised, spec.package, type(spec.make(0, 4)).__name__
    (False, 'pyod', 'IForest')
    """

    make: Callable[[int, int], object]
    semi_supervised: bool
    package: str = "pu-detect"
    family: str = "pu_detect"


class _ProbabilityScores:
    """A classifier as a detector: its score is the predicted anomaly probability."""

    def __init__(self, classifier):
        self.classifier = classifier

    def fit(self, X, y):
        self.classifier.fit(X, y)
        return self

    def decision_function(self, X):
        return self.classifier.predict_proba(X)[:, 1]


def _pyod(name, **params):
    def make(seed, n_features):
        module = importlib.import_module(f"pyod.models.{name[0]}")
        return getattr(module, name[1])(random_state=seed, **params)

    return make


def _pyod_deep_svdd(seed, n_features):
    from pyod.models.deep_svdd import DeepSVDD as PyODDeepSVDD

    return PyODDeepSVDD(n_features=n_features, random_state=seed, verbose=0)


def _hgb(seed, n_features):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return _ProbabilityScores(HistGradientBoostingClassifier(random_state=seed))


def _deepod(name):
    def make(seed, n_features):
        module = importlib.import_module("deepod.models.tabular")
        return getattr(module, name)(device="cpu", verbose=0, random_state=seed)

    return make


def _ours():
    """Our detectors, found by discovery: each family's PU estimator, then its other semi-supervised one,
    then its unsupervised baseline (the autoencoder family first)."""
    from ..utils.discovery import all_estimators

    def kind(cls):
        return 0 if "prior" in cls().get_params() else 1 if cls._semi_supervised else 2

    found = sorted(all_estimators("detector"), key=lambda item: (item[1].__module__, kind(item[1])))
    return {name: ModelSpec(lambda seed, d, cls=cls: cls(random_state=seed), cls._semi_supervised)
            for name, cls in found}


#: Every model ``pu-detect bench`` can run, ours first.
MODELS = {
    **_ours(),
    "IForest": ModelSpec(_pyod(("iforest", "IForest")), False, "pyod", "PyOD"),
    "PyOD-AutoEncoder": ModelSpec(
        _pyod(("auto_encoder", "AutoEncoder"), verbose=0, device="cpu"), False, "pyod", "PyOD"
    ),
    "PyOD-DeepSVDD": ModelSpec(_pyod_deep_svdd, False, "pyod", "PyOD"),
    "XGBOD": ModelSpec(_pyod(("xgbod", "XGBOD")), True, "xgboost", "PyOD"),
    "HGB": ModelSpec(_hgb, True, "scikit-learn", "sklearn"),
    "DeepOD-DeepSAD": ModelSpec(_deepod("DeepSAD"), True, "deepod", "DeepOD"),
    "DevNet": ModelSpec(_deepod("DevNet"), True, "deepod", "DeepOD"),
    "PReNet": ModelSpec(_deepod("PReNet"), True, "deepod", "DeepOD"),
    "RoSAS": ModelSpec(_deepod("RoSAS"), True, "deepod", "DeepOD"),
}


def check_model_name(name):
    """Return ``name`` if it is one of ``MODELS``."""
    return v.check_option(name, "model", tuple(MODELS))


def available(name):
    """Whether model ``name``'s package can be imported here.

    Examples
    --------
    >>> available("PUAutoencoder"), available("IForest")
    (True, True)
    """
    package = MODELS[check_model_name(name)].package
    module = {"pu-detect": "pu_detect", "scikit-learn": "sklearn"}.get(package, package)
    return importlib.util.find_spec(module) is not None


def versions(package):
    """``"pu-detect=...;torch=...;..."``: the versions a result was produced with.

    Examples
    --------
    >>> versions("pyod").split(";")[0].startswith("pu-detect=")
    True
    """
    if not isinstance(package, str) or not package:
        v._fail("package", "a distribution name such as 'pyod'", package)
    names = ["pu-detect", "torch", "scikit-learn", "pyod", "numpy"]
    if package not in names:
        names.append(package)
    found = []
    for name in names:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # e.g. xgboost installed as xgboost-cpu
            spec = importlib.util.find_spec(name.replace("-", "_"))
            version = getattr(importlib.import_module(spec.name), "__version__", "?") if spec else "?"
        found.append(f"{name}={version}")
    return ";".join(found + [f"python={platform.python_version()}"])
