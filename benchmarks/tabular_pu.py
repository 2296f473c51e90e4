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

from pu_detect.benchmark import MODELS, run

FIELDS = ["dataset", "model", "seed", "roc_auc", "average_precision", "fit_seconds", "score_seconds"]


def summarise(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    datasets = sorted({r["dataset"] for r in rows})
    models = [m for m in MODELS if any(r["model"] == m for r in rows)]
    table = {(r["dataset"], r["model"]): [] for r in rows}
    for r in rows:
        table[(r["dataset"], r["model"])].append(float(r["roc_auc"]))
    lines = ["| dataset | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
    means = {m: [] for m in models}
    for d in datasets:
        cells = []
        for m in models:
            values = table.get((d, m), [])
            cells.append(f"{np.mean(values):.3f} (n={len(values)})" if values else "-")
            if values:
                means[m].append(np.mean(values))
        lines.append(f"| {os.path.basename(d).removesuffix('.npz')} | " + " | ".join(cells) + " |")
    lines.append("| **mean** | " + " | ".join(f"**{np.mean(means[m]):.3f}**" for m in models) + " |")
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
