"""The resumable CSVs of the benchmark scripts: append one row at a time, skip what a file already holds."""

import csv
import os


def append_row(path, row, quiet=False):
    """Append ``row`` (a dict) to the CSV at ``path``, writing the header first when the file is new, and print it
    (unless ``quiet``)."""
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
    if not quiet:
        print(row, flush=True)


def finished(path, *columns):
    """The tuples of ``columns`` of every row already in the CSV at ``path`` (empty when there is none);
    a column named ``seed`` is read as an int."""
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {tuple(int(r[c]) if c == "seed" else r[c] for c in columns) for r in csv.DictReader(f)}
