"""Atomic file writes: a failure part-way leaves the previous file as it was."""

import contextlib
import os
import tempfile
from pathlib import Path

from .validation import check_path


@contextlib.contextmanager
def atomic_write(path, mode="wb", **options):
    """Open a temporary file beside ``path`` for writing; on success sync it and rename it over ``path``.

    If the block raises (a full disk, a file-size limit, an interrupted
    write), the temporary file is removed and whatever was at ``path`` before
    is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(folder / "a.txt", "w") as f:
    ...     _ = f.write("kept")
    >>> (folder / "a.txt").read_text()
    'kept'
    """
    path = Path(check_path(path, "path"))
    handle = tempfile.NamedTemporaryFile(mode, dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False, **options)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
