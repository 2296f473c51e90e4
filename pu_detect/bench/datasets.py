"""Which datasets a benchmark runs: the ``.npz`` files of a folder, or names resolved against it."""

import os
import warnings
from pathlib import Path

import numpy as np

from ..datasets import SHIPPED_DATASETS
from ..utils import validation as v


def find_datasets(data_dir, max_rows=None):
    """The ``.npz`` files in ``data_dir`` (with at most ``max_rows`` rows), sorted by size.

    A file whose size cannot be read (damaged, or without ``y``) is kept, last,
    with a warning that names it: its runs are then recorded as failed with
    the loader's error, and the other datasets still run.

    Examples
    --------
    >>> import pathlib
    >>> import pu_detect
    >>> [pathlib.Path(p).name for p in find_datasets(pathlib.Path(pu_detect.__file__).parent / "data")]
    ['cardio.npz', 'thyroid.npz']
    """
    folder = Path(v.check_path(data_dir, "data_dir"))
    if not folder.is_dir():
        raise FileNotFoundError(f"data_dir must be a folder of .npz datasets; got {str(data_dir)!r}, which is not a folder.")
    if max_rows is not None:
        v.check_int(max_rows, "max_rows")
    paths = sorted(folder.glob("*.npz"))
    sizes = {}
    for path in paths:
        try:
            with np.load(path, allow_pickle=False) as data:
                sizes[path] = data["y"].shape[0]
        except Exception as error:  # numpy raises several types for damaged files
            warnings.warn(f"{path} cannot be read ({type(error).__name__}: {error}); its runs will be "
                          "recorded as failed.", UserWarning, stacklevel=2)
            sizes[path] = None
    readable = [p for p in paths if sizes[p] is not None and (max_rows is None or sizes[p] <= max_rows)]
    return [str(p) for p in sorted(readable, key=lambda p: (sizes[p], p.name))] + \
        [str(p) for p in paths if sizes[p] is None]


def resolve_names(names, data_dir):
    """Dataset names as given to ``pu-detect bench``: paths, shipped names, or stems in ``data_dir``.

    A name ``cardio`` also matches ``6_cardio.npz`` (ADBench's numbered files)
    when exactly one file does; a shipped name wins over a file.

    Examples
    --------
    >>> resolve_names(["thyroid"], data_dir=None)  # a shipped name stays a name
    ['thyroid']
    """
    if isinstance(names, (str, bytes, os.PathLike)) or not isinstance(names, (list, tuple)):
        raise TypeError(f"names must be a list of dataset names or paths; got {v.describe(names)}.")
    if data_dir is not None:
        v.check_path(data_dir, "data_dir")
    resolved = []
    for i, name in enumerate(names):
        v.check_path(name, f"names[{i}]")
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
