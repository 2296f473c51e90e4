"""Command line: ``pu-detect demo``."""

import argparse
import sys
from pathlib import Path

import numpy as np

from .benchmark import evaluate
from .datasets import SHIPPED_DATASETS, load_dataset, pu_split

DEMO_MODELS = ("PUAutoencoder", "ABC", "Autoencoder", "IForest")


def _format_table(rows):
    header = f"{'model':<14} {'ROC AUC':>8} {'avg prec':>9} {'fit s':>7}"
    lines = [header, "-" * len(header)]
    for name, result in rows:
        lines.append(
            f"{name:<14} {result['roc_auc']:>8.3f} {result['average_precision']:>9.3f} "
            f"{result['fit_seconds']:>7.2f}"
        )
    return "\n".join(lines)


def _plot_demo(path, dataset, split, fitted, results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    ax = axes[0]
    for name, model in fitted.items():
        fpr, tpr, _ = roc_curve(split.y_test, model.decision_function(split.X_test))
        ax.plot(fpr, tpr, label=f"{name} (AUC {results[name]['roc_auc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=f"Test ROC, {dataset}")
    ax.legend(loc="lower right", fontsize=8)

    groups = {
        "unlabeled normals": (split.y_train == 0),
        "unlabeled anomalies (hidden)": (split.y_train == 1) & (split.y_pu == 0),
        "labeled anomalies": split.y_pu == 1,
    }
    colours = ("tab:blue", "tab:red", "tab:orange")
    for ax, name in zip(axes[1:], ("Autoencoder", "PUAutoencoder")):
        scores = fitted[name].decision_function(split.X_train)
        bins = np.geomspace(max(scores.min(), 1e-4), scores.max() * 1.01, 40)
        for (label, mask), colour in zip(groups.items(), colours):
            ax.hist(scores[mask], bins=bins, weights=np.full(mask.sum(), 1 / max(mask.sum(), 1)),
                    alpha=0.55, color=colour, label=f"{label} (n={mask.sum()})")
        ax.set_xscale("log")
        ax.set(xlabel="reconstruction error (training rows)", ylabel="share of the group",
               title=f"{name}: training-score distributions")
        ax.legend(fontsize=8)
    fig.suptitle(
        "Anomalies hidden in the unlabeled training set (red) should score right of the "
        "normals (blue): a detector that learns to reconstruct them misses their kind",
        fontsize=10,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def demo(dataset="thyroid", seed=0, output="pu_detect_demo.png", out=sys.stdout):
    """Run protocol 5.1 on a shipped dataset, print a table and save a PNG."""
    X, y = load_dataset(dataset)
    split = pu_split(X, y, random_state=seed)
    print(
        f"{dataset}: {len(split.X_train)} training rows, {int(split.y_train.sum())} anomalies among "
        f"them of which {int(split.y_pu.sum())} labeled; {len(split.X_test)} test rows "
        f"({int(split.y_test.sum())} anomalies). Seed {seed}.\n",
        file=out,
    )
    results, fitted = {}, {}
    for name in DEMO_MODELS:
        results[name], fitted[name] = evaluate(name, split, seed)
    print(_format_table(results.items()), file=out)
    _plot_demo(output, dataset, split, fitted, results)
    print(f"\nPlot written to {output}", file=out)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="pu-detect", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="fit PUAutoencoder, ABC, an autoencoder and IForest on a shipped dataset"
    )
    demo_parser.add_argument("--dataset", choices=SHIPPED_DATASETS, default="thyroid")
    demo_parser.add_argument("--seed", type=int, default=0)
    demo_parser.add_argument("--output", type=Path, default=Path("pu_detect_demo.png"))
    demo_parser.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads for this run (default 1: tiny training steps are "
        "fastest single-threaded)",
    )
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    demo(args.dataset, args.seed, args.output)
    return 0

