"""Benchmark runner for the tabular PU protocol (DESIGN 5.1).

One function evaluates one model on one PU split; :func:`run` loops over
datasets, seeds and models. The command line's ``demo`` and the scripts in
``benchmarks/`` both use it.
"""

import time
from dataclasses import dataclass
from typing import Callable

from sklearn.metrics import average_precision_score, roc_auc_score

from . import _validation as v
from .autoencoders import ABC, Autoencoder, PUAutoencoder
from .hypersphere import DeepSAD, DeepSVDD, PUDeepSVDD
from .datasets import pu_split, resolve_dataset


@dataclass(frozen=True)
class ModelSpec:
    """How to build a model for a seed, and whether it learns from labels."""

    make: Callable[[int], object]
    semi_supervised: bool


def _iforest(seed):
    from pyod.models.iforest import IForest

    return IForest(random_state=seed)


MODELS = {
    "PUAutoencoder": ModelSpec(lambda seed: PUAutoencoder(random_state=seed), True),
    "ABC": ModelSpec(lambda seed: ABC(random_state=seed), True),
    "Autoencoder": ModelSpec(lambda seed: Autoencoder(random_state=seed), False),
    "PUDeepSVDD": ModelSpec(lambda seed: PUDeepSVDD(random_state=seed), True),
    "DeepSAD": ModelSpec(lambda seed: DeepSAD(random_state=seed), True),
    "DeepSVDD": ModelSpec(lambda seed: DeepSVDD(random_state=seed), False),
    "IForest": ModelSpec(_iforest, False),
}


def fit_on_split(model, split, semi_supervised):
    """Fit ``model`` on a PU split's training part and return the seconds it took.

    Semi-supervised models see ``(X_train, y_pu)``; unsupervised ones only the
    unlabeled rows, as the papers run their baselines.
    """
    start = time.perf_counter()
    if semi_supervised:
        model.fit(split.X_train, split.y_pu)
    else:
        model.fit(split.X_train[split.y_pu == 0])
    return time.perf_counter() - start


def evaluate(name, split, seed, model=None):
    """Fit model ``name`` on a :func:`~pu_detect.datasets.pu_split` and score its test part.

    Unsupervised models see only the unlabeled training rows; semi-supervised
    ones see ``(X_train, y_pu)``.

    Returns
    -------
    result : dict
        ``roc_auc``, ``average_precision``, ``fit_seconds``, ``score_seconds``.
    model : the fitted estimator
    """
    spec = MODELS[v.check_option(name, "model", tuple(MODELS))]
    model = spec.make(seed) if model is None else model
    fit_seconds = fit_on_split(model, split, spec.semi_supervised)
    start = time.perf_counter()
    scores = model.decision_function(split.X_test)
    score_seconds = time.perf_counter() - start
    result = {
        "roc_auc": roc_auc_score(split.y_test, scores),
        "average_precision": average_precision_score(split.y_test, scores),
        "fit_seconds": fit_seconds,
        "score_seconds": score_seconds,
    }
    return result, model


def run(datasets, models, seeds, labeled_fraction=0.1, on_result=None):
    """Run protocol 5.1 over ``datasets`` x ``seeds`` x ``models``.

    Parameters
    ----------
    datasets : iterable of str
        Shipped dataset names or ``.npz`` paths.
    models : iterable of str
        Keys of :data:`MODELS`.
    seeds : iterable of int
    labeled_fraction : float
    on_result : callable or None
        Called with each result row as it is produced.

    Returns
    -------
    list of dict
        One row per (dataset, model, seed) with the metrics of :func:`evaluate`.
    """
    rows = []
    for dataset in datasets:
        X, y = resolve_dataset(dataset)
        for seed in seeds:
            split = pu_split(X, y, labeled_fraction=labeled_fraction, random_state=seed)
            for name in models:
                result, _ = evaluate(name, split, seed)
                row = {"dataset": str(dataset), "model": name, "seed": seed, **result}
                rows.append(row)
                if on_result is not None:
                    on_result(row)
    return rows
