"""Every public estimator of pu_detect, found by walking the package (in the spirit of sklearn's).

Persistence, the benchmark's model registry, the common tests and the API
reference use ``all_estimators`` instead of hand-kept lists, so a new
estimator family is covered everywhere as soon as its module exists.
"""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

#: Subpackages whose modules hold the estimators.
_FAMILIES = ("anomaly", "classifiers", "adversarial")
#: ``type_filter`` values and the base each one selects.
TYPES = ("detector", "classifier", "adversarial")


def _is_type(cls, kind):
    from pyod.models.base import BaseDetector

    from ..adversarial.detectors import _AdversarialDetector
    from ..classifiers.base import BaseNeuralClassifier

    if kind == "detector":
        return issubclass(cls, BaseDetector) and cls.__module__.startswith("pu_detect.anomaly.")
    return issubclass(cls, {"classifier": BaseNeuralClassifier, "adversarial": _AdversarialDetector}[kind])


def all_estimators(type_filter=None):
    """The public estimator classes of pu_detect, sorted by name.

    Parameters
    ----------
    type_filter : {"detector", "classifier", "adversarial"}, list of them, or None
        ``"detector"``: anomaly detectors (the PU family, its baselines and
        the PU model selection);
        ``"classifier"``: neural classifiers; ``"adversarial"``: detectors of
        adversarial examples over a fitted classifier. ``None``: all.

    Returns
    -------
    list of (name, class)

    Examples
    --------
    >>> [name for name, _ in all_estimators("classifier")]
    ['ABSClassifier', 'ADPEnsembleClassifier', 'ConfidenceCalibratedClassifier', 'RCEClassifier', 'RobustClassifier']
    """
    import pu_detect

    if type_filter is None:
        kinds = TYPES
    else:
        kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        for kind in kinds:
            if kind not in TYPES:
                raise ValueError(f"type_filter must be None or one of {', '.join(map(repr, TYPES))} "
                                 f"(or a list of them); got {kind!r}.")
    found = {}
    for family in _FAMILIES:
        package = importlib.import_module(f"pu_detect.{family}")
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if (name.startswith("_") or not issubclass(cls, BaseEstimator) or inspect.isabstract(cls)
                        or not cls.__module__.startswith("pu_detect.") or name.startswith("Base")):
                    continue
                if any(_is_type(cls, kind) for kind in kinds):
                    found[name] = cls
    assert all(hasattr(pu_detect, name) for name in found), "every estimator is exported by pu_detect"
    return sorted(found.items())
