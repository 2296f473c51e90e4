"""PU model selection on the tabular PU protocol: the chosen detector, and ensembles of the best few.

Usage: python benchmarks/pu_selection.py OUT.csv [--data-dir DIR] [--seeds 0 1] [--max-rows 60000]
       [--estimator PUSearchCV|PUEnsemble] [--cv 3]

For every ADBench set of --data-dir (default $PU_DETECT_DATA/adbench) with at most --max-rows rows
and every seed, fits ``PUSearchCV(ensemble=3)`` with the default candidates (PUAutoencoder,
PUDeepSVDD, PUGradientBoosting) on the training part of ``pu_split`` and writes, per run, each
candidate's PU ROC AUC on every fold (``cv_NAME``, semicolon-separated) and its test ROC AUC when
refitted on all rows (``test_NAME``), and the test ROC AUC of the rank-normalised mean of every
subset of the candidates (``test_A+B``), so that selection rules and ensembles can be compared on the
whole collection afterwards.

With ``--estimator PUEnsemble``, fits ``PUEnsemble(cv=CV)`` instead and writes the PU ROC AUC on every
fold and the test ROC AUC of its equally weighted mean (``cv_mean``, ``test_mean``) and of each member
alone, its stacked weights (``weights``) and its own test ROC AUC (``test_stacked``). Resumable: runs
already in OUT.csv are skipped.

``--rules BENCH.csv`` fits nothing: from the ``--estimator PUEnsemble`` rows of OUT.csv it prints, per
rule for choosing between the mean and a member from the fold AUCs, the mean test ROC AUC and its paired
difference from the model ``--against`` (default XGBOD) in BENCH.csv (``pu-detect bench`` rows at the same
splits and labeled fraction): the one-sided paired t-test over the folds at several levels (at 0.05,
PUEnsemble's rule before its stacked weights, ``significant_winner``), the best fold mean, each fixed
choice, and the best of the three on each run's test set, a bound no rule from the folds can pass.
"""

import argparse
import csv
import functools
import itertools
import time
from pathlib import Path

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from scipy.stats import t as student_t
from sklearn.metrics import roc_auc_score

from pu_detect import PUEnsemble, PUSearchCV
from pu_detect.anomaly.selection import _mean_percentile
from pu_detect.bench import find_datasets
from pu_detect.datasets import load_npz, pu_split

NAMES = ("PUAutoencoder", "PUDeepSVDD", "PUGradientBoosting")
SUBSETS = [c for k in (2, 3) for c in itertools.combinations(NAMES, k)]
FIELDS = (["dataset", "seed", "labeled_fraction", "n_labeled", "order"] + [f"cv_{n}" for n in NAMES]
          + [f"test_{n}" for n in NAMES] + ["test_" + "+".join(c) for c in SUBSETS] + ["fit_seconds"])
ENSEMBLE = ("mean", "PUAutoencoder", "PUGradientBoosting")
ENSEMBLE_FIELDS = (["dataset", "seed", "labeled_fraction", "n_labeled", "selected"] + [f"cv_{n}" for n in ENSEMBLE]
                   + [f"test_{n}" for n in ENSEMBLE] + ["fit_seconds"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "adbench")
    parser.add_argument("out")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--labeled-fraction", type=float, default=0.1)
    parser.add_argument("--max-rows", type=int, default=60000)
    parser.add_argument("--estimator", choices=["PUSearchCV", "PUEnsemble"], default="PUSearchCV")
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--rules", metavar="BENCH.csv", help="print the selection rules' table instead of fitting")
    parser.add_argument("--against", default="XGBOD")
    args = parser.parse_args()
    if args.rules:
        print_rules(args.out, args.rules, args.against)
        return
    torch.set_num_threads(1)
    datasets = find_datasets(data_dir(parser, args), args.max_rows)
    done = finished(args.out, "dataset", "seed")
    for seed in args.seeds:
        for path in datasets:
            name = Path(path).stem
            if (name, seed) in done:
                continue
            split = pu_split(*load_npz(path), labeled_fraction=args.labeled_fraction, random_state=seed)
            start = time.perf_counter()
            if args.estimator == "PUEnsemble":
                row, fields = ensemble_row(split, seed, args.cv), ENSEMBLE_FIELDS
            else:
                row, fields = search_row(split, seed), FIELDS
            row.update(dataset=name, seed=seed, labeled_fraction=args.labeled_fraction,
                       n_labeled=int(split.y_pu.sum()), fit_seconds=f"{time.perf_counter() - start:.0f}")
            append_row(args.out, {field: row.get(field, "") for field in fields})


def search_row(split, seed):
    """Fold and test ROC AUCs of ``PUSearchCV(ensemble=3)``'s candidates and of their subsets' means."""
    search = PUSearchCV(ensemble=3, random_state=seed).fit(split.X_train, split.y_pu)
    members = {type(m).__name__: m for m in search.estimators_}
    row = dict(order=">".join(members))
    folds = sorted(k for k in search.cv_results_ if k.startswith("split"))
    for i, estimator in enumerate(search.cv_results_["estimator"]):
        row[f"cv_{estimator}"] = ";".join(f"{search.cv_results_[k][i]:.4f}" for k in folds)
    scores = {n: members[n].decision_function(split.X_test) for n in members}
    for n in members:
        row[f"test_{n}"] = f"{roc_auc_score(split.y_test, scores[n]):.4f}"
    for subset in SUBSETS:
        if all(n in members for n in subset):
            references = [np.sort(members[n].decision_scores_) for n in subset]
            combined = _mean_percentile(references, [scores[n] for n in subset])
            row["test_" + "+".join(subset)] = f"{roc_auc_score(split.y_test, combined):.4f}"
    return row


def ensemble_row(split, seed, cv):
    """Fold and test ROC AUCs of ``PUEnsemble(cv=cv)``'s mean and of each member alone."""
    ensemble = PUEnsemble(cv=cv, random_state=seed).fit(split.X_train, split.y_pu)
    results = ensemble.cv_results_
    folds = sorted(k for k in results if k.startswith("split"))
    row = dict(weights=";".join(f"{w:.3f}" for w in ensemble.weights_),
               test_stacked=f"{roc_auc_score(split.y_test, ensemble.decision_function(split.X_test)):.4f}")
    scores = [m.decision_function(split.X_test) for m in ensemble.estimators_]
    scores.insert(0, _mean_percentile(ensemble._reference_, scores))
    for i, name in enumerate(ENSEMBLE):
        row[f"cv_{name}"] = ";".join(f"{results[k][i]:.4f}" for k in folds)
        row[f"test_{name}"] = f"{roc_auc_score(split.y_test, scores[i]):.4f}"
    return row


def significant_winner(scores, alpha):
    """Row 0 of ``scores`` (the mean, then the members; columns: folds) unless another row beats it by a
    one-sided paired t-test over the folds at level ``alpha``; then the one that beats it most on the mean
    (PUEnsemble's rule at 0.05 before its stacked weights)."""
    differences = scores[1:] - scores[0]
    means = differences.mean(axis=1)
    errors = differences.std(axis=1, ddof=1) / np.sqrt(scores.shape[1])
    significant = (means > 0) & (means > student_t.ppf(1 - alpha, scores.shape[1] - 1) * errors)
    return int(np.argmax(np.where(significant, means, -np.inf))) + 1 if significant.any() else 0


#: Rules choosing 0 (the mean) or a member (1, 2) from the fold AUCs (rows: mean, members; columns: folds);
#: without folds (a single labeled anomaly) the mean, as ``PUEnsemble`` does.
FOLD_RULES = {f"t-test at {alpha:g}" + (" (the former default)" if alpha == 0.05 else ""):
              functools.partial(significant_winner, alpha=alpha) for alpha in (0.025, 0.05, 0.1, 0.2)}
FOLD_RULES["best fold mean"] = lambda scores: int(np.argmax(scores.mean(axis=1)))
#: Fixed choices, whatever the folds say.
FIXED = {"always the mean": 0, "always PUAutoencoder": 1, "always PUGradientBoosting": 2}


def print_rules(path, bench_path, against):
    """The selection rules' mean test ROC AUC and paired difference from ``against``, as a markdown table."""
    def key(r):
        return r["dataset"], r["seed"], float(r["labeled_fraction"])

    with open(bench_path, newline="") as handle:
        reference = {key(r): float(r["roc_auc"]) for r in csv.DictReader(handle)
                     if r["model"] == against and r["status"] == "ok"}
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if key(r) in reference]
    if not rows:
        raise SystemExit(f"no run of {path} has a {against} row in {bench_path} (same dataset, seed, labeled fraction)")
    tests = np.array([[float(r[f"test_{n}"]) for n in ENSEMBLE] for r in rows])
    baseline = np.array([reference[key(r)] for r in rows])
    folds = [None if not r["cv_mean"] else np.array([[float(x) for x in r[f"cv_{n}"].split(";")] for n in ENSEMBLE])
             for r in rows]
    choices = {name: [0 if scores is None else rule(scores) for scores in folds] for name, rule in FOLD_RULES.items()}
    choices.update({name: [choice] * len(rows) for name, choice in FIXED.items()})
    choices["best of the three on the test set (a bound)"] = list(tests.argmax(axis=1))
    print(f"{len(rows)} runs with a {against} row\n")
    print(f"| rule | mean ROC AUC | minus {against} (paired) | SE | runs where a member replaces the mean |")
    print("|:--|--:|--:|--:|--:|")
    for name, picks in choices.items():
        chosen = tests[np.arange(len(rows)), picks]
        difference = chosen - baseline
        print(f"| {name} | {chosen.mean():.4f} | {difference.mean():+.4f} | "
              f"{difference.std(ddof=1) / np.sqrt(len(rows)):.4f} | {int(np.count_nonzero(picks))} |")


if __name__ == "__main__":
    main()
