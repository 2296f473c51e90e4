"""The benchmark behind ``pu-detect bench``: the tabular PU protocol against the peers.

* ``models``: every model it can run (ours and the peers);
* ``runner``: one run, and resumable parallel sweeps to a CSV;
* ``summary``: the markdown summary;
* ``plots``: the two charts;
* ``datasets``: which ``.npz`` files a sweep takes.
"""

from .datasets import find_datasets, resolve_names
from .models import MODELS, ModelSpec, available, versions
from .plots import plot
from .runner import FIELDS, dataset_name, evaluate, fit_on_split, read_results, run, run_one
from .summary import mean_ranks, summarise

__all__ = ["FIELDS", "MODELS", "ModelSpec", "available", "dataset_name", "evaluate", "find_datasets",
           "fit_on_split", "mean_ranks", "plot", "read_results", "resolve_names", "run", "run_one",
           "summarise", "versions"]
