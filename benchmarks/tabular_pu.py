"""Protocol 5.1 (tabular PU) for the estimators of pu_detect and PyOD's IForest.

Usage:
    python benchmarks/tabular_pu.py OUT.csv --datasets thyroid cardio PATH.npz ... [--seeds 0 1 2 3 4]

Dataset names are the shipped sets or paths to ADBench-style .npz files. Rows already in OUT.csv
are skipped, so an interrupted run resumes. Prints the mean ROC AUC per dataset and model.
"""

import argparse
import csv
import os

import numpy as np
import torch
from scipy.stats import rankdata

from pu_detect.benchmark import MODELS, run

FIELDS = ["dataset", "model", "seed", "roc_auc", "average_precision", "fit_seconds", "score_seconds"]


def summarise(*paths):
    """Markdown table of mean ROC AUC per dataset and model, with the mean and mean rank."""
    rows = []
    for path in paths:
        with open(path) as f:
            rows += list(csv.DictReader(f))
    datasets = sorted({r["dataset"] for r in rows}, key=lambda d: os.path.basename(d))
    models = [m for m in MODELS if any(r["model"] == m for r in rows)]
    table = {}
    for r in rows:
        table.setdefault((r["dataset"], r["model"]), []).append(float(r["roc_auc"]))
    means = np.array([[np.mean(table.get((d, m), [np.nan])) for m in models] for d in datasets])
    seeds = {len(v) for v in table.values()}
    lines = [f"ROC AUC, mean over seeds ({'/'.join(map(str, sorted(seeds)))} per cell)", "",
             "| dataset | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
    for d, values in zip(datasets, means):
        lines.append(f"| {os.path.basename(d).removesuffix('.npz')} | " + " | ".join(f"{x:.3f}" for x in values) + " |")
    complete = ~np.isnan(means).any(axis=1)
    ranks = np.array([rankdata(-row) for row in means[complete]])  # 1 = best, ties share
    lines.append("| **mean** | " + " | ".join(f"**{x:.3f}**" for x in np.nanmean(means, axis=0)) + " |")
    lines.append(f"| **mean rank** ({complete.sum()} complete sets) | " + " | ".join(f"{x:.2f}" for x in ranks.mean(axis=0)) + " |")
    return "\n".join(lines)


def main():
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--datasets", nargs="+", default=["thyroid", "cardio"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            done = {(r["dataset"], r["model"], int(r["seed"])) for r in csv.DictReader(f)}
    with open(args.out, "a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if not done:
            writer.writeheader()

        def record(row):
            writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()})
            f.flush()
            print(row["dataset"], row["model"], row["seed"], f"{row['roc_auc']:.4f}", f"{row['fit_seconds']:.1f}s", flush=True)

        for dataset in args.datasets:
            for seed in args.seeds:
                todo = [m for m in args.models if (dataset, m, seed) not in done]
                if todo:
                    run([dataset], todo, [seed], on_result=record)
    print(summarise(args.out))


if __name__ == "__main__":
    main()
