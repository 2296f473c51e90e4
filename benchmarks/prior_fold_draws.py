"""How much one cross-fit's prior estimate depends on its fold draw, and what averaging several buys.

Usage: python benchmarks/prior_fold_draws.py OUT.csv [--data-dir DIR] [--seeds 0 1 2 3 4] [--draws 5]

For every ADBench set of --data-dir (default $PU_DETECT_DATA/adbench) with at most 60,000 rows and
seed, splits it with ``pu_split`` (labeled fraction 0.1); where at least two anomalies are labeled,
estimates the anomaly fraction of the unlabeled training rows with the default ``estimate_prior``
from one cross-fit (``n_repeats=1``) for each of --draws random states ``1000 * seed + draw``. Writes
one row per (dataset, seed, draw) with the estimate and the truth; the mean absolute error of the mean
of any k of the draws is then the error of ``n_repeats=k``. Resumable.
"""

import argparse
import warnings
from pathlib import Path

from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished

from pu_detect.anomaly.prior import estimate_prior
from pu_detect.bench import find_datasets
from pu_detect.datasets import load_npz, pu_split


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "adbench")
    parser.add_argument("out")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args()
    datasets = find_datasets(data_dir(parser, args), 60000)
    done = finished(args.out, "dataset", "seed", "draw")
    for seed in args.seeds:
        for path in datasets:
            name = Path(path).stem
            split = pu_split(*load_npz(path), labeled_fraction=0.1, random_state=seed)
            unlabeled = split.y_pu == 0
            if split.y_pu.sum() < 2:  # the fallback prior: no cross-fit
                continue
            for draw in range(args.draws):
                if (name, seed, str(draw)) in done:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    estimate = estimate_prior(split.X_train[unlabeled], split.X_train[~unlabeled],
                                              1000 * seed + draw, n_repeats=1)
                append_row(args.out, dict(dataset=name, seed=seed, draw=draw, estimate=f"{estimate:.4f}",
                                          truth=f"{split.y_train[unlabeled].mean():.4f}",
                                          n_labeled=int(split.y_pu.sum())))


if __name__ == "__main__":
    main()
