"""Benchmark runner for the tabular PU protocol (DESIGN 5.1), behind ``pu-detect bench``.

A *run* is one (dataset, model, seed, labeled fraction): :func:`run_one` splits
the data with :func:`~pu_detect.datasets.pu_split`, fits the model on the
training part and scores the untouched test part. :func:`run` fans runs out
with joblib (processes, or a Dask cluster through joblib's ``dask`` backend),
appends each finished run to a CSV, and skips runs the CSV already holds.
:func:`summarise` and :func:`plot` turn the CSV into a markdown table and
PNG charts.

Peers run in the same harness: PyOD's IForest, AutoEncoder, DeepSVDD and
XGBOD, sklearn's HistGradientBoostingClassifier trained on the PU labels, and
DeepOD's DeepSAD, DevNet, PReNet and RoSAS when ``deepod`` is importable
(``pip install --no-deps deepod``; PyOD's own DevNet passes its loss
arguments in the wrong order). A run that raises is recorded as failed with
its error, never dropped.
"""

import csv
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from . import _validation as v
from .autoencoders import ABC, Autoencoder, PUAutoencoder
from .datasets import SHIPPED_DATASETS, pu_split, resolve_dataset
from .hypersphere import DeepSAD, DeepSVDD, PUDeepSVDD


@dataclass(frozen=True)
class ModelSpec:
    """How to build a model, whether it learns from labels, and what it needs.

    ``make(seed, n_features)`` returns an unfitted detector whose
    ``decision_function`` is higher for more anomalous rows.
    ``semi_supervised`` models are fitted on ``(X_train, y_pu)``, the others
    on the unlabeled training rows only. ``package`` is the distribution the
    model comes from (its version is recorded with each result).
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


#: Every model ``pu-detect bench`` can run, ours first.
MODELS = {
    "PUAutoencoder": ModelSpec(lambda seed, d: PUAutoencoder(random_state=seed), True),
    "ABC": ModelSpec(lambda seed, d: ABC(random_state=seed), True),
    "Autoencoder": ModelSpec(lambda seed, d: Autoencoder(random_state=seed), False),
    "PUDeepSVDD": ModelSpec(lambda seed, d: PUDeepSVDD(random_state=seed), True),
    "DeepSAD": ModelSpec(lambda seed, d: DeepSAD(random_state=seed), True),
    "DeepSVDD": ModelSpec(lambda seed, d: DeepSVDD(random_state=seed), False),
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

#: Columns of the results CSV.
FIELDS = (
    "dataset", "model", "seed", "labeled_fraction", "status", "roc_auc", "average_precision",
    "fit_seconds", "score_seconds", "n_train", "n_labeled", "versions", "error",
)
_KEY = ("dataset", "model", "seed", "labeled_fraction")


def available(name):
    """Whether model ``name``'s package can be imported here."""
    module = {"pu-detect": "pu_detect", "scikit-learn": "sklearn"}.get(
        MODELS[name].package, MODELS[name].package
    )
    return importlib.util.find_spec(module) is not None


def versions(package):
    """``"pu-detect=...;torch=...;..."``: the versions a result was produced with."""
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

    Returns
    -------
    result : dict
        ``roc_auc``, ``average_precision``, ``fit_seconds``, ``score_seconds``.
    model : the fitted estimator

    Examples
    --------
    >>> from pu_detect.datasets import load_dataset, pu_split
    >>> X, y = load_dataset("thyroid")
    >>> result, model = evaluate("IForest", pu_split(X, y, random_state=0), seed=0)
    >>> round(result["roc_auc"], 2) > 0.9
    True
    """
    spec = MODELS[v.check_option(name, "model", tuple(MODELS))]
    model = spec.make(seed, split.X_train.shape[1]) if model is None else model
    fit_seconds = fit_on_split(model, split, spec.semi_supervised)
    start = time.perf_counter()
    scores = np.asarray(model.decision_function(split.X_test), dtype=np.float64)
    score_seconds = time.perf_counter() - start
    if not np.all(np.isfinite(scores)):
        raise FloatingPointError(f"{name} returned {np.sum(~np.isfinite(scores))} non-finite scores.")
    result = {
        "roc_auc": roc_auc_score(split.y_test, scores),
        "average_precision": average_precision_score(split.y_test, scores),
        "fit_seconds": fit_seconds,
        "score_seconds": score_seconds,
    }
    return result, model


def dataset_name(dataset):
    """The name a dataset is reported under: a shipped name or the file's stem."""
    return str(dataset) if str(dataset) in SHIPPED_DATASETS else Path(dataset).stem


def run_one(dataset, model, seed, labeled_fraction, threads=1, time_limit=None):
    """One benchmark run; never raises: a failure becomes a row with ``status="failed"``.

    ``threads`` caps torch's and the BLAS/OpenMP thread pools for this run
    (a benchmark's setting, made here because each run may land in a fresh
    worker process). With ``time_limit`` (seconds) the run happens in a child
    Python process that is killed when the limit passes; the row then records
    a ``TimeoutError``, so one peer that needs hours cannot stall a sweep.

    Examples
    --------
    >>> row = run_one("thyroid", "IForest", seed=0, labeled_fraction=0.1)
    >>> row["status"], row["roc_auc"] > 0.9
    ('ok', True)
    """
    if time_limit is not None:
        return _run_in_child(dataset, model, seed, labeled_fraction, threads, time_limit)
    import torch
    from threadpoolctl import threadpool_limits

    row = _row(dataset, model, seed, labeled_fraction)
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # peers' chatter would bury the progress bar
            X, y = resolve_dataset(dataset)
            split = pu_split(X, y, labeled_fraction=labeled_fraction, random_state=seed)
            row.update(n_train=len(split.X_train), n_labeled=int(split.y_pu.sum()))
            result, _ = evaluate(model, split, seed)
        row.update(result, status="ok", error="")
    except Exception as error:  # a peer that raises is recorded, not dropped
        last = traceback.extract_tb(error.__traceback__)[-1]
        row.update(status="failed", error=f"{type(error).__name__}: {error} "
                   f"({Path(last.filename).name}:{last.lineno})"[:500])
    return row


def _row(dataset, model, seed, labeled_fraction):
    return dict(dataset=dataset_name(dataset), model=model, seed=seed,
                labeled_fraction=labeled_fraction, versions=versions(MODELS[model].package))


_CHILD = (
    "import json, sys\n"
    "from pu_detect.benchmark import run_one\n"
    "row = run_one(*json.loads(sys.argv[1]))\n"
    "open(sys.argv[2], 'w').write(json.dumps(row))\n"
)


def _run_in_child(dataset, model, seed, labeled_fraction, threads, time_limit):
    """:func:`run_one` in a fresh interpreter, killed after ``time_limit`` seconds."""
    arguments = json.dumps([str(dataset), model, seed, labeled_fraction, threads])
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "row.json"
        try:
            child = subprocess.run([sys.executable, "-c", _CHILD, arguments, str(result)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   timeout=time_limit, check=False)
        except subprocess.TimeoutExpired:
            error = f"TimeoutError: no result within time_limit={time_limit:g} s; the run was killed"
        else:
            if result.exists():
                return json.loads(result.read_text())
            tail = child.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            error = f"ChildProcessError: the run's process exited with code {child.returncode}: {tail[0]}"
    return _row(dataset, model, seed, labeled_fraction) | dict(status="failed", error=error[:500])


def read_results(path):
    """The rows of a results CSV (an empty list when it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _key(row):
    return (row["dataset"], row["model"], int(row["seed"]), float(row["labeled_fraction"]))


def _format(value):
    return f"{value:.6g}" if isinstance(value, float) else value


def run(datasets, models, seeds, labeled_fractions=(0.1,), *, results, n_jobs=1,
        scheduler=None, threads=1, time_limit=None, retry_failed=False, progress=True):
    """Run protocol 5.1 for every (dataset, model, seed, labeled fraction) not yet in ``results``.

    Parameters
    ----------
    datasets : list of str
        Shipped dataset names or ``.npz`` paths (keys ``X`` and ``y``).
    models : list of str
        Keys of :data:`MODELS`.
    seeds : list of int
    labeled_fractions : list of float
        Fractions of the training anomalies that are labeled.
    results : str or Path
        CSV to append finished runs to; runs already in it are skipped, so an
        interrupted benchmark resumes where it stopped.
    n_jobs : int
        Parallel runs (joblib processes; ``-1`` for one per core).
    scheduler : str or None
        Address of a Dask distributed scheduler (``"tcp://host:8786"``): runs
        go to its workers through joblib's ``dask`` backend. Dataset paths
        must be readable by the workers.
    threads : int
        Threads per run.
    time_limit : float or None
        Seconds a run may take; a run still going then is killed and recorded
        as failed (each run then starts its own Python process, about two
        seconds of imports). ``None``: no limit, runs share worker processes.
    retry_failed : bool
        Run again the requested runs that ``results`` records as failed (for
        example killed by an earlier, shorter ``time_limit``); their failed
        rows are removed from ``results`` first, so each run keeps one row.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of dict
        The rows this call added.
    """
    from joblib import Parallel, delayed, parallel_config
    from tqdm.auto import tqdm

    for name in models:
        v.check_option(name, "model", tuple(MODELS))
    seeds = [v.check_int(s, "seed", min_value=0) for s in seeds]
    labeled_fractions = [
        v.check_float(f, "labeled_fraction", 0, 1, high_inclusive=True) for f in labeled_fractions
    ]
    n_jobs = v.check_int(n_jobs, "n_jobs", min_value=-1)
    threads = v.check_int(threads, "threads")
    if time_limit is not None:
        time_limit = v.check_float(time_limit, "time_limit", 0, np.inf)
    previous = read_results(results)
    done = {_key(row) for row in previous if row["status"] == "ok" or not retry_failed}
    todo = [
        (dataset, model, seed, fraction)
        for seed in seeds  # seed-major: an interrupted run has covered every dataset evenly
        for fraction in labeled_fractions
        for dataset in datasets
        for model in models
        if (dataset_name(dataset), model, seed, fraction) not in done
    ]
    added = []
    if not todo:
        return added
    Path(results).parent.mkdir(parents=True, exist_ok=True)
    retried = {(dataset_name(d), m, seed, fraction) for d, m, seed, fraction in todo}
    if any(_key(row) in retried for row in previous):  # failed rows about to be retried
        with open(results, "w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS)
            writer.writeheader()
            writer.writerows(row for row in previous if _key(row) not in retried)
    new_file = not os.path.exists(results) or os.path.getsize(results) == 0
    with open(results, "a", newline="") as f, _backend(scheduler) as backend:
        writer = csv.DictWriter(f, FIELDS)
        if new_file:
            writer.writeheader()
        jobs = (delayed(run_one)(*task, threads=threads, time_limit=time_limit) for task in todo)
        with parallel_config(backend=backend, n_jobs=n_jobs if scheduler is None else -1):
            stream = Parallel(return_as="generator_unordered")(jobs)
            for row in tqdm(stream, total=len(todo), desc="bench", disable=not progress):
                writer.writerow({k: _format(row.get(k, "")) for k in FIELDS})
                f.flush()
                added.append(row)
    return added


class _backend:
    """``"loky"``, or ``"dask"`` with a client connected to ``scheduler`` while in use."""

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.client = None

    def __enter__(self):
        if self.scheduler is None:
            return "loky"
        try:
            from distributed import Client
        except ImportError as error:
            raise ImportError(
                "scheduler needs the dask distributed package: pip install 'pu-detect[bench]'"
            ) from error
        self.client = Client(self.scheduler)
        return "dask"

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()


def _mean_table(rows, metric):
    """datasets, models and the (dataset x model) mean of ``metric`` over successful runs."""
    datasets = sorted({r["dataset"] for r in rows})
    present = {r["model"] for r in rows}
    models = [m for m in MODELS if m in present] + sorted(present - set(MODELS))
    cells = {}
    for r in rows:
        if r["status"] == "ok":
            cells.setdefault((r["dataset"], r["model"]), []).append(float(r[metric]))
    means = np.array(
        [[np.mean(cells[d, m]) if (d, m) in cells else np.nan for m in models] for d in datasets]
    ).reshape(len(datasets), len(models))
    return datasets, models, means


def mean_ranks(means):
    """Mean rank of each column over the rows without a missing value (1 = best; ties share)."""
    from scipy.stats import rankdata

    complete = means[~np.isnan(means).any(axis=1)]
    if len(complete) == 0:
        return np.full(means.shape[1], np.nan), 0
    return np.mean([rankdata(-row) for row in complete], axis=0), len(complete)


def summarise(rows):
    """A markdown summary of benchmark rows: mean AUROC per dataset, mean, mean rank, failures."""
    lines = []
    for metric, title in (("roc_auc", "ROC AUC"), ("average_precision", "Average precision")):
        datasets, models, means = _mean_table(rows, metric)
        if metric == "roc_auc":
            roc_table = models, means
        ranks, n_complete = mean_ranks(means)
        counts = {}
        for r in rows:
            if r["status"] == "ok":
                counts[r["dataset"], r["model"]] = counts.get((r["dataset"], r["model"]), 0) + 1
        runs = sorted(set(counts.values())) or [0]
        lines += [
            f"## {title} on the test split, mean over seeds "
            f"({'/'.join(map(str, runs))} successful runs per cell)", "",
            "| dataset | " + " | ".join(models) + " |",
            "|:--|" + "--:|" * len(models),
        ]
        for d, values in zip(datasets, means):
            best = np.nanmax(values) if not np.isnan(values).all() else np.nan
            cells = ["—" if np.isnan(x) else (f"**{x:.3f}**" if x == best else f"{x:.3f}") for x in values]
            lines.append(f"| {d} | " + " | ".join(cells) + " |")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a model with no successful run
            column_means = np.nanmean(means, axis=0) if len(means) else np.full(len(models), np.nan)
        lines.append("| **mean** (sets it ran on) | " + " | ".join(f"{x:.3f}" for x in column_means) + " |")
        complete = ~np.isnan(means).any(axis=1)
        if not complete.all() and complete.any():
            lines.append(f"| **mean** ({complete.sum()} sets with every model) | "
                         + " | ".join(f"{x:.3f}" for x in means[complete].mean(axis=0)) + " |")
        lines.append(f"| **mean rank** ({n_complete} sets with every model) | "
                     + " | ".join(f"{x:.2f}" for x in ranks) + " |")
        gaps = np.isnan(means).any(axis=0)
        if gaps.any() and (~gaps).sum() >= 2:  # again without the models that miss some set
            ranks_full, n_full = mean_ranks(means[:, ~gaps])
            cells = iter(f"{x:.2f}" for x in ranks_full)
            lines.append(f"| **mean rank**, models with every set ({n_full} sets) | "
                         + " | ".join("—" if gap else next(cells) for gap in gaps) + " |")
        lines.append("")
    lines += _head_to_head(*roc_table)
    lines += _coverage(rows, roc_table[0])
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        lines += ["## Failed runs", "", "| dataset | model | seed | error |", "|:--|:--|--:|:--|"]
        lines += [f"| {r['dataset']} | {r['model']} | {r['seed']} | {r['error'][:160]} |" for r in failed]
    return "\n".join(lines)


def _head_to_head(models, means, reference="PUAutoencoder"):
    """Markdown rows: ``reference`` against every other model on the datasets both completed.

    ``models`` and ``means`` are the ROC AUC table of :func:`_mean_table`. The
    last column is the two-sided Wilcoxon signed-rank p-value of the
    per-dataset differences (exact for small tables; "—" when every
    difference is zero), so that a lead on a few sets is not read as a
    difference between the models.
    """
    from scipy.stats import wilcoxon

    if reference not in models or len(models) < 2:
        return []
    ref = means[:, models.index(reference)]
    lines = [f"## Head to head: {reference} against each model, on the datasets both ran", "",
             f"| model | datasets | {reference} mean AUROC | model mean AUROC | {reference} higher on "
             "| Wilcoxon p |",
             "|:--|--:|--:|--:|--:|--:|"]
    for j, model in enumerate(models):
        both = ~np.isnan(ref) & ~np.isnan(means[:, j])
        if model == reference or not both.any():
            continue
        differences = ref[both] - means[both, j]
        p_value = wilcoxon(differences).pvalue if np.any(differences != 0) else np.nan
        lines.append(f"| {model} | {both.sum()} | {ref[both].mean():.3f} | {means[both, j].mean():.3f} | "
                     f"{int(np.sum(differences > 0))} | {'—' if np.isnan(p_value) else f'{p_value:.3f}'} |")
    return lines + [""]


def _coverage(rows, models):
    """Markdown rows: runs per model that succeeded and failed, and on how many datasets."""
    lines = ["## Runs per model", "", "| model | successful | failed | datasets with a successful run |",
             "|:--|--:|--:|--:|"]
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        ok = [r for r in mine if r["status"] == "ok"]
        lines.append(f"| {model} | {len(ok)} | {len(mine) - len(ok)} | {len({r['dataset'] for r in ok})} |")
    return lines + [""]


def plot(rows, directory):
    """Write ``auroc_by_dataset.png`` (dot plot) and ``mean_rank.png`` to ``directory``.

    Returns the paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory = Path(directory)
    datasets, models, means = _mean_table(rows, "roc_auc")
    ours = [MODELS[m].family == "pu_detect" if m in MODELS else False for m in models]
    colours = list(plt.get_cmap("tab20")(np.linspace(0, 1, 20))[: len(models)])
    markers, sizes = ["o" if mine else "D" for mine in ours], [30] * len(models)
    for j, model in enumerate(models):  # the PU estimators stand out
        if model in ("PUAutoencoder", "PUDeepSVDD"):
            colours[j] = "black" if model == "PUAutoencoder" else "crimson"
            markers[j], sizes[j] = "*", 130

    fig, ax = plt.subplots(figsize=(9, 0.38 * len(datasets) + 1.8), constrained_layout=True)
    for j, model in enumerate(models):
        ax.scatter(means[:, j], np.arange(len(datasets)), color=colours[j], marker=markers[j],
                   s=sizes[j], alpha=0.9 if sizes[j] > 30 else 0.6, label=model, zorder=4 if sizes[j] > 30 else 3)
    ax.set_yticks(np.arange(len(datasets)), datasets)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set(xlabel="test ROC AUC (mean over seeds)",
           title="Protocol 5.1 per dataset (stars: PU estimators, circles: our baselines, diamonds: peers)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    by_dataset = directory / "auroc_by_dataset.png"
    fig.savefig(by_dataset, dpi=110)
    plt.close(fig)

    ranks, n_complete = mean_ranks(means)
    order = np.argsort(ranks)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(models) + 1.4), constrained_layout=True)
    ax.barh(np.arange(len(models)), ranks[order], color=[colours[j] for j in order])
    ax.set_yticks(np.arange(len(models)), [models[j] for j in order])
    ax.invert_yaxis()
    for i, j in enumerate(order):
        ax.text(ranks[j], i, f" {ranks[j]:.2f}", va="center", fontsize=8)
    ax.set(xlabel=f"mean rank over {n_complete} datasets (1 = best)", title="Mean rank, test ROC AUC")
    rank_path = directory / "mean_rank.png"
    fig.savefig(rank_path, dpi=110)
    plt.close(fig)
    return [by_dataset, rank_path]


def find_datasets(data_dir, max_rows=None):
    """The ``.npz`` files in ``data_dir`` (with at most ``max_rows`` rows), sorted by size."""
    paths = sorted(Path(data_dir).glob("*.npz"))
    sizes = {}
    for path in paths:
        with np.load(path) as data:
            sizes[path] = data["y"].shape[0]
    return [str(p) for p in sorted(paths, key=lambda p: (sizes[p], p.name))
            if max_rows is None or sizes[p] <= max_rows]


def resolve_names(names, data_dir):
    """Dataset names as given to ``pu-detect bench``: paths, shipped names, or stems in ``data_dir``.

    A name ``cardio`` also matches ``6_cardio.npz`` (ADBench's numbered files)
    when exactly one file does; a shipped name wins over a file.
    """
    resolved = []
    for name in names:
        if os.path.isfile(name) or name in SHIPPED_DATASETS:
            resolved.append(name)
            continue
        matches = []
        if data_dir is not None and Path(data_dir).is_dir():
            matches = [p for p in Path(data_dir).glob("*.npz")
                       if p.stem == name or p.stem.split("_", 1)[-1] == name]
        if len(matches) != 1:
            v._fail("dataset", f"a shipped name ({', '.join(SHIPPED_DATASETS)}), an .npz path or "
                    f"the stem of exactly one .npz file in {data_dir}", name)
        resolved.append(str(matches[0]))
    return resolved
