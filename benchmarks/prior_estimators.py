"""Class-prior estimators on the tabular PU protocol (BBE, Elkan-Noto, a density-ratio bound) against the truth.

Usage: python benchmarks/prior_estimators.py OUT.csv [--data-dir DIR] [--seeds 0 1 2 3 4]
       [--labeled-fractions 0.1] [--max-rows 60000] [--classifiers smooth sklearn]
       [--methods density_ratio bbe elkan_noto] [--n-repeats 3]

For every ADBench set of --data-dir (default $PU_DETECT_DATA/adbench) and seed, splits it with
``pu_split`` and estimates the anomaly fraction of the unlabeled training rows with
``estimate_prior(method=...)`` for each method, with the library's classifier (``smooth``, the
default) and with scikit-learn's default gradient boosting (``sklearn``, the same class weights);
the true fraction is known from the split. Writes one row per (dataset, seed, labeled fraction,
classifier, method) with the estimate, the truth and the number of labeled anomalies. Resumable.
"""

import argparse
import csv
import os
import time
import warnings
from pathlib import Path

from _paths import add_data_dir_argument, data_dir

from sklearn.ensemble import HistGradientBoostingClassifier

from pu_detect.anomaly.prior import METHODS, estimate_prior
from pu_detect.bench import find_datasets
from pu_detect.datasets import load_npz, pu_split

FIELDS = ["dataset", "seed", "labeled_fraction", "classifier", "method", "estimate", "true_prior", "n_labeled", "seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "adbench")
    parser.add_argument("out")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--labeled-fractions", nargs="+", type=float, default=[0.1])
    parser.add_argument("--max-rows", type=int, default=60000)
    parser.add_argument("--classifiers", nargs="+", choices=["smooth", "sklearn"], default=["smooth", "sklearn"])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--n-repeats", type=int, default=3, help="cross-fits averaged per estimate")
    args = parser.parse_args()
    datasets = find_datasets(data_dir(parser, args), args.max_rows)
    done = set()
    if os.path.exists(args.out):
        with open(args.out, newline="") as f:
            done = {(r["dataset"], int(r["seed"]), float(r["labeled_fraction"]), r["classifier"], r["method"])
                    for r in csv.DictReader(f)}
    for seed in args.seeds:
        for fraction in args.labeled_fractions:
            for path in datasets:
                name = Path(path).stem
                split = pu_split(*load_npz(path), labeled_fraction=fraction, random_state=seed)
                unlabeled = split.y_pu == 0
                truth = float(split.y_train[unlabeled].mean())
                for kind, method in [(kind, method) for kind in args.classifiers for method in args.methods]:
                    if (name, seed, fraction, kind, method) in done:
                        continue
                    classifier = None if kind == "smooth" else HistGradientBoostingClassifier(
                        class_weight=None if method == "elkan_noto" else "balanced", random_state=seed)
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        estimate = estimate_prior(split.X_train[unlabeled], split.X_train[~unlabeled], seed, method,
                                                  classifier, args.n_repeats)
                    row = dict(dataset=name, seed=seed, labeled_fraction=fraction, classifier=kind, method=method,
                               estimate=f"{estimate:.4f}", true_prior=f"{truth:.4f}",
                               n_labeled=int(split.y_pu.sum()), seconds=f"{time.perf_counter() - start:.1f}")
                    new = not os.path.exists(args.out)
                    with open(args.out, "a", newline="") as f:
                        writer = csv.DictWriter(f, FIELDS)
                        if new:
                            writer.writeheader()
                        writer.writerow(row)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
