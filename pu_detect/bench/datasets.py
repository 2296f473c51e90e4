"""Which datasets a benchmark runs: the ``.npz`` files of a folder, or names resolved against it."""

import os
from pathlib import Path

import numpy as np

from ..datasets import SHIPPED_DATASETS
from ..utils import validation as v

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
