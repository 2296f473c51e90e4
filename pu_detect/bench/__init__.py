"""The benchmark behind ``pu-detect bench``: the tabular PU protocol against the peers.

* :mod:`~pu_detect.bench.models`: every model it can run (ours and the peers);
* :mod:`~pu_detect.bench.runner`: one run, and resumable parallel sweeps to a CSV;
* :mod:`~pu_detect.bench.summary`: the markdown summary;
* :mod:`~pu_detect.bench.plots`: the two charts;
* :mod:`~pu_detect.bench.datasets`: which ``.npz`` files a sweep takes.
"""

from .datasets import find_datasets, resolve_names
from .models import MODELS, ModelSpec, available, versions
from .plots import plot
from .runner import FIELDS, dataset_name, evaluate, fit_on_split, read_results, run, run_one
from .summary import mean_ranks, summarise

__all__ = ["FIELDS", "MODELS", "ModelSpec", "available", "dataset_name", "evaluate", "find_datasets",
           "fit_on_split", "mean_ranks", "plot", "read_results", "resolve_names", "run", "run_one",
           "summarise", "versions"]
