"""PU model selection on the tabular PU protocol: the chosen detector, and ensembles of the best few.

Usage: python benchmarks/pu_selection.py OUT.csv [--data-dir DIR] [--seeds 0 1] [--max-rows 60000]

For every ADBench set of --data-dir (default $PU_DETECT_DATA/adbench) with at most --max-rows rows
and every seed, fits ``PUSearchCV(ensemble=3)`` with the default candidates (PUAutoencoder,
PUDeepSVDD, PUGradientBoosting) on the training part of ``pu_split`` and writes, per run, each
candidate's mean PU ROC AUC over the folds and the test ROC AUC of the best one alone (k=1), of the
rank-normalised mean of the best two (k=2) and of all three (k=3), so that the default of
``ensemble`` is chosen on the whole collection. Resumable: runs already in OUT.csv are skipped.
"""

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from sklearn.metrics import roc_auc_score

from pu_detect import PUSearchCV
from pu_detect.bench import find_datasets
from pu_detect.datasets import load_npz, pu_split

FIELDS = ["dataset", "seed", "labeled_fraction", "order", "cv_PUAutoencoder", "cv_PUDeepSVDD",
          "cv_PUGradientBoosting", "test_k1", "test_k2", "test_k3", "fit_seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "adbench")
    parser.add_argument("out")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--labeled-fraction", type=float, default=0.1)
    parser.add_argument("--max-rows", type=int, default=60000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    datasets = find_datasets(data_dir(parser, args), args.max_rows)
    done = set()
    if os.path.exists(args.out):
        with open(args.out, newline="") as f:
            done = {(r["dataset"], int(r["seed"])) for r in csv.DictReader(f)}
    for seed in args.seeds:
        for path in datasets:
            name = Path(path).stem
            if (name, seed) in done:
                continue
            split = pu_split(*load_npz(path), labeled_fraction=args.labeled_fraction, random_state=seed)
            start = time.perf_counter()
            search = PUSearchCV(ensemble=3, random_state=seed).fit(split.X_train, split.y_pu)
            seconds = time.perf_counter() - start
            members = [m.decision_function(split.X_test) for m in search.estimators_]
            row = dict(dataset=name, seed=seed, labeled_fraction=args.labeled_fraction,
                       order=">".join(type(m).__name__ for m in search.estimators_), fit_seconds=f"{seconds:.0f}")
            for estimator, score in zip(search.cv_results_["estimator"], search.cv_results_["mean_test_score"]):
                row[f"cv_{estimator}"] = f"{score:.4f}"
            for k in (1, 2, 3):  # the best k members' mean training percentile (k=1: the best alone)
                scores = search._combine(members[:k])
                row[f"test_k{k}"] = f"{roc_auc_score(split.y_test, scores):.4f}"
            new = not os.path.exists(args.out)
            with open(args.out, "a", newline="") as f:
                writer = csv.DictWriter(f, FIELDS)
                if new:
                    writer.writeheader()
                writer.writerow(row)
            print(row, flush=True)


if __name__ == "__main__":
    main()
