"""Two changes to PUEnsemble's members, measured on the tabular PU protocol: seed-bagging the autoencoder, and
stacking its out-of-fold score into the boosting.

Usage: python benchmarks/pu_ensemble_members.py OUT.csv [--labeled-fraction 0.25] [--seeds 0 1 2 3 4]
       [--skip 5_campaign 32_shuttle] [--bag 5] [--max-rows 60000] [--data-dir DIR]

For every ADBench set of --data-dir (default $PU_DETECT_DATA/adbench) with at most --max-rows rows, except
--skip, and every seed, on ``pu_split``'s training part, writes the test ROC AUC of:

- ``ae``, ``gb``, ``mean``: PUEnsemble's default members, ``PUAutoencoder(lr_milestones=(0.5, 0.75))`` and
  ``PUGradientBoosting()`` seeded by the seed, and the mean of their training percentiles (``PUEnsemble(cv=None)``);
- ``ae_bag``, ``mean_bag``: the mean training percentile of --bag such autoencoders (random states
  ``seed + 1000 * i``; the first is ``ae``), alone and averaged with ``gb`` as one member (``ae_each``: each
  autoencoder's own test ROC AUC);
- ``stack``, ``mean_stack``: XGBOD's idea taken one step further. The boosting of ``PUGradientBoosting`` (the same
  trees, the same detectors' scores) also gets the autoencoder's out-of-fold training percentile as a feature, from
  three stratified folds (the folds of ``PUEnsemble(cv=3)``; with a single labeled anomaly, the in-sample percentile);
  a test row gets the mean of the three fold models' percentiles. Alone, and averaged with ``ae``.

Resumable: runs already in OUT.csv are skipped.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from pu_detect import PUAutoencoder, PUGradientBoosting
from pu_detect.anomaly.boosting import DetectorScores
from pu_detect.anomaly.selection import _mean_percentile, _percentile, _stratified_folds
from pu_detect.bench import find_datasets
from pu_detect.datasets import load_npz, pu_split


def protocol_parser(description):
    """The arguments of a run over the tabular PU protocol at one labeled fraction."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "adbench")
    parser.add_argument("out")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--labeled-fraction", type=float, default=0.25)
    parser.add_argument("--max-rows", type=int, default=60000)
    parser.add_argument("--skip", nargs="*", default=[])
    return parser


def run_protocol(parser, args, measure):
    """Append to ``args.out`` one row per (set, seed) not there yet: ``measure(split, seed)``'s columns."""
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", UserWarning)
    datasets = find_datasets(data_dir(parser, args), args.max_rows)
    done = finished(args.out, "dataset", "seed")
    for seed in args.seeds:
        for path in datasets:
            name = Path(path).stem
            if (name, seed) in done or name in args.skip:
                continue
            start = time.perf_counter()
            split = pu_split(*load_npz(path), labeled_fraction=args.labeled_fraction, random_state=seed)
            row = dict(dataset=name, seed=seed, labeled_fraction=args.labeled_fraction,
                       n_labeled=int(split.y_pu.sum()), **measure(split, seed),
                       fit_seconds=f"{time.perf_counter() - start:.1f}")
            append_row(args.out, row)


def main():
    parser = protocol_parser(__doc__)
    parser.add_argument("--bag", type=int, default=5)
    args = parser.parse_args()
    run_protocol(parser, args, lambda split, seed: member_aucs(split, seed, args.bag))


def autoencoder(seed):
    return PUAutoencoder(lr_milestones=(0.5, 0.75), random_state=seed)


def percentile(model, scores):
    """``scores`` as percentiles of ``model``'s training scores (PUEnsemble's rank normalisation)."""
    return _percentile(np.sort(model.decision_scores_), scores)


def member_aucs(split, seed, bag):
    X, y, X_test = split.X_train, split.y_pu, split.X_test

    def auc(scores):
        return f"{roc_auc_score(split.y_test, scores):.4f}"

    def mean_of(train_scores, test_scores):
        return _mean_percentile([np.sort(s) for s in train_scores], test_scores)

    autoencoders = [autoencoder(seed + 1000 * i).fit(X, y) for i in range(bag)]
    ae, gb = autoencoders[0], PUGradientBoosting(random_state=seed).fit(X, y)
    ae_test, gb_test = ae.decision_function(X_test), gb.decision_function(X_test)
    bag_train = mean_of([m.decision_scores_ for m in autoencoders], [m.decision_scores_ for m in autoencoders])
    bag_tests = [m.decision_function(X_test) for m in autoencoders]
    bag_test = mean_of([m.decision_scores_ for m in autoencoders], bag_tests)

    out_of_fold, fold_tests = np.empty(len(y)), []
    folds = _stratified_folds(3, y, seed)
    for train, held_out in folds:
        model = autoencoder(seed).fit(X[train], y[train])
        out_of_fold[held_out] = percentile(model, model.decision_function(X[held_out]))
        fold_tests.append(percentile(model, model.decision_function(X_test)))
    if not folds:
        out_of_fold, fold_tests = percentile(ae, ae.decision_scores_), [percentile(ae, ae_test)]
    scores = DetectorScores(seed % 2**32)
    features = np.column_stack([X, scores.fit_transform(X), out_of_fold])
    test_features = np.column_stack([X_test, scores.transform(X_test), np.mean(fold_tests, axis=0)])
    trees = clone(gb.classifier_).fit(features, y)  # the boosting's own settings, with one more column
    stack_train, stack_test = trees.predict_proba(features)[:, 1], trees.predict_proba(test_features)[:, 1]
    return dict(
        ae=auc(ae_test), gb=auc(gb_test), mean=auc(mean_of([ae.decision_scores_, gb.decision_scores_],
                                                           [ae_test, gb_test])),
        ae_bag=auc(bag_test), mean_bag=auc(mean_of([bag_train, gb.decision_scores_], [bag_test, gb_test])),
        ae_each=";".join(auc(s) for s in bag_tests),
        stack=auc(stack_test), mean_stack=auc(mean_of([ae.decision_scores_, stack_train], [ae_test, stack_test])))


if __name__ == "__main__":
    main()
