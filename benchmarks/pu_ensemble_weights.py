"""PUEnsemble's members weighted by their out-of-fold scores, against its former choice between the mean and a
member, on the tabular PU protocol.

Usage: python benchmarks/pu_ensemble_weights.py OUT.csv [--labeled-fraction 0.25] [--seeds 0 1 2 3 4]
       [--skip ...] [--max-rows 60000] [--data-dir DIR]

For every ADBench set of --data-dir (default $PU_DETECT_DATA/adbench) with at most --max-rows rows, except
--skip, and every seed, on ``pu_split``'s training part: the default members of ``PUEnsemble`` (seeded by the
seed) are fitted on the three stratified folds of ``PUEnsemble(cv=3)`` and on all rows, as ``PUEnsemble`` fits
them. Each fold model scores its held-out rows as a percentile of its own training scores, so every training row
gets an out-of-fold percentile from each member. A test row's score is ``(1 - w) * p_autoencoder + w * p_boosting``
(percentiles of the members fitted on all rows), with the boosting's weight ``w``:

- ``default``: what ``PUEnsemble()`` scored before its stacked weights (``w = 0.5``, or a member alone where the
  one-sided paired t-test over the folds at 0.05 switches: ``selected``), recomputed here from the same fits;
- ``grid``: the ``w`` of 0, 0.25, 0.5, 0.75, 1 whose out-of-fold combination has the highest mean PU ROC AUC over
  the folds (ties: the one nearest 0.5);
- ``logistic``: the weights ``PUEnsemble()`` fits now (``_stacked_weights``): a logistic regression (sklearn's
  default L2, ``C=1``) of the PU labels on the two out-of-fold percentiles, refitted without a member of negative
  coefficient, its coefficients normalised to sum to 1 (none positive: ``w = 0.5``). The stored rows were made with
  the coefficients floored at 0 instead of refitted, which for two members gives the same weights.

With a single labeled anomaly there are no folds and every rule gives the mean. Writes the test ROC AUC of each,
of the mean and of each member, and the two weights. Resumable: runs already in OUT.csv are skipped.
"""

import numpy as np
from pu_ensemble_members import autoencoder, percentile, protocol_parser, run_protocol
from pu_selection import significant_winner
from sklearn.metrics import roc_auc_score

from pu_detect import PUGradientBoosting
from pu_detect.anomaly.selection import _stacked_weights, _stratified_folds
from pu_detect.metrics import pu_roc_auc

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def main():
    parser = protocol_parser(__doc__)
    run_protocol(parser, parser.parse_args(), weighted_aucs)


def members(seed):
    """PUEnsemble's default members."""
    return [autoencoder(seed), PUGradientBoosting(random_state=seed)]


def grid_weight(out_of_fold, y, folds):
    """The boosting's weight in ``WEIGHTS`` with the best mean fold PU ROC AUC (ties: nearest 0.5)."""
    means = [np.mean([pu_roc_auc(y[held], (1 - w) * out_of_fold[held, 0] + w * out_of_fold[held, 1])
                      for _, held in folds]) for w in WEIGHTS]
    best = max(means)
    return min((abs(w - 0.5), w) for w, m in zip(WEIGHTS, means) if m >= best - 1e-12)[1]


def weighted_aucs(split, seed):
    X, y, X_test = split.X_train, split.y_pu.astype(int), split.X_test
    folds = _stratified_folds(3, y, seed)
    out_of_fold, fold_aucs = np.empty((len(y), 2)), []
    for train, held in folds:
        fold = [m.fit(X[train], y[train]) for m in members(seed)]
        raw = [m.decision_function(X[held]) for m in fold]
        out_of_fold[held] = np.column_stack([percentile(m, s) for m, s in zip(fold, raw)])
        fold_aucs.append([pu_roc_auc(y[held], s) for s in (out_of_fold[held].mean(axis=1), *raw)])
    full = [m.fit(X, y) for m in members(seed)]
    raw = [m.decision_function(X_test) for m in full]
    test = np.column_stack([percentile(m, s) for m, s in zip(full, raw)])
    winner = significant_winner(np.array(fold_aucs).T, 0.05) if folds else 0
    w_grid = grid_weight(out_of_fold, y, folds) if folds else 0.5
    w_logistic = float(_stacked_weights(out_of_fold, y)[1]) if folds else 0.5

    def auc(scores):
        return f"{roc_auc_score(split.y_test, scores):.4f}"

    def weighted(w):
        return auc((1 - w) * test[:, 0] + w * test[:, 1])

    return dict(selected=("mean", "PUAutoencoder", "PUGradientBoosting")[winner],
                default=weighted(0.5) if winner == 0 else auc(raw[winner - 1]), mean=weighted(0.5),
                ae=auc(raw[0]), gb=auc(raw[1]), w_grid=w_grid, grid=weighted(w_grid),
                w_logistic=f"{w_logistic:.3f}", logistic=weighted(w_logistic))


if __name__ == "__main__":
    main()
