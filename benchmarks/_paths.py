"""Where the benchmark scripts read their data: ``--data-dir``, or the ``PU_DETECT_DATA`` folder.

``PU_DETECT_DATA`` names a folder holding ``adbench/`` (ADBench's ``.npz``
files) and ``mnist/`` (the MNIST IDX files ``t10k-images-idx3-ubyte.gz`` and
``t10k-labels-idx1-ubyte.gz``). Nothing is downloaded.
"""

import os
from pathlib import Path


def default_data_dir(name):
    """``$PU_DETECT_DATA/name``, or None when the variable is not set."""
    root = os.environ.get("PU_DETECT_DATA")
    return str(Path(root) / name) if root else None


def add_data_dir_argument(parser, name):
    """``--data-dir`` for the folder ``name`` (``adbench`` or ``mnist``) of the data root."""
    parser.add_argument("--data-dir", default=default_data_dir(name),
                        help=f"folder of the {name} files (default: $PU_DETECT_DATA/{name})")


def data_dir(parser, args):
    """The checked ``--data-dir``: an existing folder, or an argparse error saying how to give one."""
    if args.data_dir is None or not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir!r} is not a folder: pass --data-dir or set PU_DETECT_DATA "
                     "to a folder holding adbench/ and mnist/")
    return Path(args.data_dir)
