"""Runs of the tabular PU protocol, behind ``pu-detect bench``.

A *run* is one (dataset, model, seed, labeled fraction): ``run_one`` splits
the data with ``pu_split`` (stratified 70/30, MinMax
scaling, a fraction of the training anomalies labeled and the rest hidden in
the unlabeled set), fits the model on the training part and scores the
untouched test part. ``run`` fans runs out with joblib (processes, or a
Dask cluster through joblib's ``dask`` backend), appends each finished run to
a CSV, and skips runs the CSV already holds. A run that raises is recorded as
failed with its error, never dropped.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from ..datasets import SHIPPED_DATASETS, pu_split, resolve_dataset
from ..utils import validation as v
from ..utils.files import atomic_write
from .models import MODELS, check_model_name, versions

#: Columns of the results CSV.
FIELDS = (
    "dataset", "model", "seed", "labeled_fraction", "status", "roc_auc", "average_precision",
    "fit_seconds", "score_seconds", "n_train", "n_labeled", "versions", "error",
)


def fit_on_split(model, split, semi_supervised):
    """Fit ``model`` on a PU split's training part and return the seconds it took.

    Semi-supervised models see ``(X_train, y_pu)``; unsupervised ones only the
    unlabeled rows, as the papers run their baselines.

    Examples
    --------
    >>> from pu_detect import Autoencoder
    >>> from pu_detect.datasets import load_dataset, pu_split
    >>> split = pu_split(*load_dataset("thyroid"), random_state=0)
    >>> fit_on_split(Autoencoder(epochs=1, random_state=0), split, semi_supervised=False) > 0
    True
    """
    if not callable(getattr(model, "fit", None)):
        v._fail("model", "an estimator with a fit method", model)
    if not (hasattr(split, "X_train") and hasattr(split, "y_pu")):
        v._fail("split", "a PU split with X_train and y_pu (pu_detect.datasets.pu_split)", split)
    start = time.perf_counter()
    if semi_supervised:
        model.fit(split.X_train, split.y_pu)
    else:
        model.fit(split.X_train[split.y_pu == 0])
    return time.perf_counter() - start


def evaluate(name, split, seed, model=None):
    """Fit model ``name`` on a ``pu_split`` and score its test part.

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
    spec = MODELS[check_model_name(name)]
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
    """The name a dataset is reported under: a shipped name or the file's stem.

    Examples
    --------
    >>> dataset_name("thyroid"), dataset_name("/data/adbench/6_cardio.npz")
    ('thyroid', '6_cardio')
    """
    return str(dataset) if str(dataset) in SHIPPED_DATASETS else Path(v.check_path(dataset, "dataset")).stem


def run_one(dataset, model, seed, labeled_fraction, threads=1, time_limit=None):
    """One benchmark run; never raises: a failure becomes a row with ``status="failed"``.

    ``threads`` caps torch's and the BLAS/OpenMP thread pools for this run
    (a benchmark's setting, made here because each run may land in a fresh
    worker process); torch's thread count is restored when the run ends. With ``time_limit`` (seconds) the run happens in a child
    Python process that is killed when the limit passes; the row then records
    a ``TimeoutError``, so one peer that needs hours cannot stall a sweep.

    Examples
    --------
    >>> row = run_one("thyroid", "IForest", seed=0, labeled_fraction=0.1)
    >>> row["status"], row["roc_auc"] > 0.9
    ('ok', True)
    """
    check_model_name(model)
    threads = v.check_int(threads, "threads")
    if time_limit is not None:
        return _run_in_child(dataset, model, seed, labeled_fraction, threads, time_limit)
    import torch
    from threadpoolctl import threadpool_limits

    row = _row(dataset, model, seed, labeled_fraction)
    threads_before = torch.get_num_threads()
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
    finally:
        torch.set_num_threads(threads_before)
    return row


def _row(dataset, model, seed, labeled_fraction):
    return dict(dataset=dataset_name(dataset), model=model, seed=seed,
                labeled_fraction=labeled_fraction, versions=versions(MODELS[model].package))


_CHILD = (
    "import json, sys\n"
    "from pu_detect.bench.runner import run_one\n"
    "row = run_one(*json.loads(sys.argv[1]))\n"
    "open(sys.argv[2], 'w').write(json.dumps(row))\n"
)


def _run_in_child(dataset, model, seed, labeled_fraction, threads, time_limit):
    """``run_one`` in a fresh interpreter, killed after ``time_limit`` seconds."""
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
    """The rows of a results CSV (an empty list when it does not exist).

    Header lines repeated inside the file (CSVs of several machines
    concatenated) are skipped, and a file whose header is not the results
    header is refused with its name.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> read_results(pathlib.Path(tempfile.mkdtemp()) / "results.csv")  # nothing run yet
    []
    """
    if not os.path.exists(v.check_path(path, "path")):
        return []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None:
            return []
        missing = set(_KEY_FIELDS) - set(reader.fieldnames)
        if missing:
            v._fail("results", f"a results CSV with the columns {', '.join(FIELDS)}",
                    f"{path} without {sorted(missing)}")
        return [row for row in reader if [row.get(k) for k in reader.fieldnames] != reader.fieldnames]


_KEY_FIELDS = ("dataset", "model", "seed", "labeled_fraction", "status")


def _key(row):
    return (row["dataset"], row["model"], int(row["seed"]), float(row["labeled_fraction"]))


def _format(value):
    return f"{value:.6g}" if isinstance(value, float) else value


def run(datasets, models, seeds, labeled_fractions=(0.1,), *, results, n_jobs=1,
        scheduler=None, threads=1, time_limit=None, retry_failed=False, progress=True):
    """Run the tabular PU protocol for every (dataset, model, seed, labeled fraction) not yet in ``results``.

    Parameters
    ----------
    datasets : list of str
        Shipped dataset names or ``.npz`` paths (keys ``X`` and ``y``).
    models : list of str
        Keys of ``MODELS``.
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

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results.csv"
    >>> rows = run(["thyroid"], ["IForest"], [0], results=out, progress=False)
    >>> [(r["dataset"], r["model"], r["status"]) for r in read_results(out)]
    [('thyroid', 'IForest', 'ok')]
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
        _rewrite_atomically(results, [row for row in previous if _key(row) not in retried])
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


def _rewrite_atomically(path, rows):
    """Replace the CSV at ``path`` by ``rows``; a failure part-way leaves the previous file as it was."""
    with atomic_write(path, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


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
