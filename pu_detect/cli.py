"""Command line: ``pu-detect demo`` and ``pu-detect bench``."""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .bench import evaluate
from .datasets import SHIPPED_DATASETS, load_dataset, pu_split

#: The environment variable naming a data folder; ``pu-detect bench`` reads the ``.npz`` files of
#: its ``adbench/`` subfolder by default.
DATA_ENV = "PU_DETECT_DATA"


def _default_data_dir():
    root = os.environ.get(DATA_ENV)
    return str(Path(root) / "adbench") if root else None

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
    from matplotlib.figure import Figure
    from sklearn.metrics import roc_curve

    from .bench.plots import save_figure

    fig = Figure(figsize=(15, 4.4), layout="constrained")
    axes = fig.subplots(1, 3)
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
    save_figure(fig, path)


def demo(dataset="cardio", seed=0, output="pu_detect_demo.png", out=sys.stdout):
    """Run the tabular PU protocol on a shipped dataset, print a table and save a PNG.

    The protocol: a stratified 70/30 split, MinMax scaling, 10% of the
    training anomalies labeled and the rest hidden in the unlabeled set.
    """
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="fit PUAutoencoder, ABC, an autoencoder and IForest on a shipped dataset"
    )
    demo_parser.add_argument("--dataset", choices=SHIPPED_DATASETS, default="cardio",
                             help="shipped dataset (default: %(default)s)")
    demo_parser.add_argument("--seed", type=int, default=0)
    demo_parser.add_argument("--output", type=Path, default=Path("pu_detect_demo.png"))
    demo_parser.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads for this run (default 1: tiny training steps are "
        "fastest single-threaded)",
    )
    bench_parser = _add_bench_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "bench":
        _check_bench_arguments(bench_parser, args)
        return bench(args)
    import torch

    torch.set_num_threads(args.threads)
    demo(args.dataset, args.seed, args.output)
    return 0


def _items(values, convert=str):
    """Values given space- or comma-separated: ``--seeds 0 1`` or ``--seeds 0,1``."""
    return [convert(item) for value in values for item in value.split(",") if item]


def _add_bench_parser(commands):
    from .bench import MODELS

    ours = [name for name, spec in MODELS.items() if spec.family == "pu_detect"]
    parser = commands.add_parser(
        "bench",
        help="the tabular PU protocol (PU split of tabular .npz sets) for our estimators and peers",
        description="Run the tabular PU protocol (stratified 70/30 split, MinMax scaling, a fraction of "
        "the training anomalies labeled, the rest hidden in the unlabeled set) for every dataset x "
        "model x seed x labeled fraction not yet in OUT/results.csv, then write OUT/summary.md, "
        "OUT/auroc_by_dataset.png and OUT/mean_rank.png. Models: " + ", ".join(MODELS) + ".",
    )
    parser.add_argument("--data-dir", default=_default_data_dir(),
                        help=f"folder of .npz files (keys X, y) (default: ${DATA_ENV}/adbench where "
                        f"{DATA_ENV} is set, else the shipped sets)")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="shipped names, .npz paths or stems of files in --data-dir "
                        "(default: every file in --data-dir with at most --max-rows rows, or the "
                        "shipped sets without --data-dir)")
    parser.add_argument("--max-rows", type=int, default=60000)
    parser.add_argument("--models", nargs="+", default=[",".join(ours + ["IForest"])],
                        help="comma- or space-separated (default: ours and IForest; 'all' for "
                        "every model whose package is installed)")
    parser.add_argument("--seeds", nargs="+", default=["0,1,2,3,4"])
    parser.add_argument("--labeled-fractions", nargs="+", default=["0.1"])
    parser.add_argument("--out", type=Path, default=Path("bench"), help="output folder")
    parser.add_argument("--jobs", type=int, default=1, help="parallel runs (-1: one per core)")
    parser.add_argument("--threads", type=int, default=1, help="threads per run")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address (tcp://host:8786): send the runs to its workers")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="kill a run still going after SECONDS and record it as failed "
                        "(each run then starts its own Python process)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run again the runs OUT/results.csv records as failed (replacing their "
                        "rows), for example with a longer --time-limit")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--summary-only", action="store_true",
                        help="run nothing: summarise and plot what OUT/results.csv holds (for example "
                        "after concatenating the CSVs of several machines)")
    return parser


def _check_bench_arguments(parser, args):
    """Refuse, as argparse errors, what would otherwise fail run by run or deep in a run."""
    from .bench import MODELS, available

    models = _items(args.models)
    if models == ["all"]:
        models = [name for name in MODELS if available(name)]
    unknown = [name for name in models if name not in MODELS]
    if unknown:
        parser.error(f"argument --models: unknown model(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(MODELS)} or 'all'")
    missing = [name for name in models if not available(name)]
    if missing:
        parser.error("argument --models: " + "; ".join(
            f"{name} needs the package {MODELS[name].package}, which is not installed" for name in missing)
            + " (pip install 'pu-detect[bench]', and pip install --no-deps deepod for DeepOD's models)")
    args.models = [",".join(models)]
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"argument --data-dir: {args.data_dir} is not a folder")
    if args.max_rows < 1:
        parser.error(f"argument --max-rows: must be an integer >= 1; got {args.max_rows}")


def bench(args, out=None):
    """``pu-detect bench``: run, then summarise everything in the results file."""
    from .bench import MODELS, available, find_datasets, plot, read_results, resolve_names, run, summarise
    from .utils.files import atomic_write

    models = _items(args.models)
    if models == ["all"]:
        models = [name for name in MODELS if available(name)]
    if args.datasets:
        datasets = resolve_names(_items(args.datasets), args.data_dir)
    elif args.data_dir is not None:
        datasets = find_datasets(args.data_dir, args.max_rows)
    else:
        datasets = list(SHIPPED_DATASETS)
    if not datasets:
        print(f"pu-detect bench: error: no .npz file in {args.data_dir} has at most --max-rows "
              f"{args.max_rows} rows", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.csv"
    added = [] if args.summary_only else run(
        datasets, models, _items(args.seeds, int), _items(args.labeled_fractions, float),
        results=results, n_jobs=args.jobs, scheduler=args.scheduler, threads=args.threads,
        time_limit=args.time_limit, retry_failed=args.retry_failed, progress=not args.no_progress)
    rows = read_results(results)
    summary = summarise(rows)
    with atomic_write(args.out / "summary.md", "w") as f:
        f.write(summary + "\n")
    written = plot(rows, args.out)
    failed = sum(r["status"] != "ok" for r in added)
    print(summary, file=out)
    print(f"\n{len(added)} new runs ({failed} failed), {len(rows)} in {results}; wrote "
          f"{args.out / 'summary.md'}, " + ", ".join(map(str, written)), file=out)
    return 0

