"""The markdown summary of a results CSV: per-dataset means, mean ranks, head-to-head, coverage."""

import warnings

import numpy as np

from .models import MODELS

#: The columns every benchmark row needs to be summarised, and those a successful one adds.
REQUIRED_COLUMNS = ("dataset", "model", "status")
SCORE_COLUMNS = ("roc_auc", "average_precision")


def _check_rows(rows):
    """``rows`` a sequence of mappings with ``REQUIRED_COLUMNS`` (and ``SCORE_COLUMNS`` where ``status`` is ``"ok"``)."""
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a list of result rows (dicts, as read_results returns); got {type(rows).__name__}.")
    for i, row in enumerate(rows):
        if not hasattr(row, "keys"):
            raise TypeError(f"rows[{i}] must be a result row (a dict); got {type(row).__name__}.")
        needed = REQUIRED_COLUMNS + (SCORE_COLUMNS if row.get("status") == "ok" else ())
        missing = [c for c in needed if c not in row]
        if missing:
            raise ValueError(f"rows[{i}] must be a result row with the columns {list(needed)}; "
                             f"missing {missing} in {str(row)[:120]}.")


def _mean_table(rows, metric):
    """datasets, models and the (dataset x model) mean of ``metric`` over successful runs."""
    datasets = sorted({r["dataset"] for r in rows})
    present = {r["model"] for r in rows}
    models = [m for m in MODELS if m in present] + sorted(present - set(MODELS))
    cells = {}
    for r in rows:
        if r["status"] == "ok":
            cells.setdefault((r["dataset"], r["model"]), []).append(float(r[metric]))
    means = np.array(
        [[np.mean(cells[d, m]) if (d, m) in cells else np.nan for m in models] for d in datasets]
    ).reshape(len(datasets), len(models))
    return datasets, models, means


def mean_ranks(means):
    """Mean rank of each column over the rows without a missing value (1 = best; ties share).

    Examples
    --------
    >>> import numpy as np
    >>> mean_ranks(np.array([[0.9, 0.8], [0.7, 0.75], [np.nan, 0.6]]))  # the third row has a gap
    (array([1.5, 1.5]), 2)
    """
    from scipy.stats import rankdata

    try:
        means = np.asarray(means, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"means must be a 2-D array of numbers (datasets x models); got {str(means)[:80]!r}.") from None
    if means.ndim != 2:
        raise ValueError(f"means must be a 2-D array (datasets x models); got shape {means.shape}.")
    complete = means[~np.isnan(means).any(axis=1)]
    if len(complete) == 0:
        return np.full(means.shape[1], np.nan), 0
    return np.mean([rankdata(-row) for row in complete], axis=0), len(complete)


def summarise(rows):
    """A markdown summary of benchmark rows: mean AUROC per dataset, mean, mean rank, failures.

    Examples
    --------
    >>> rows = [dict(dataset="a", model="IForest", status="ok", roc_auc=0.9, average_precision=0.5)]
    >>> summarise(rows).splitlines()[0]
    '## ROC AUC on the test split, mean over seeds (1 successful runs per cell)'
    """
    _check_rows(rows)
    lines = []
    for metric, title in (("roc_auc", "ROC AUC"), ("average_precision", "Average precision")):
        datasets, models, means = _mean_table(rows, metric)
        if metric == "roc_auc":
            roc_table = models, means
        ranks, n_complete = mean_ranks(means)
        counts = {}
        for r in rows:
            if r["status"] == "ok":
                counts[r["dataset"], r["model"]] = counts.get((r["dataset"], r["model"]), 0) + 1
        runs = sorted(set(counts.values())) or [0]
        lines += [
            f"## {title} on the test split, mean over seeds "
            f"({'/'.join(map(str, runs))} successful runs per cell)", "",
            "| dataset | " + " | ".join(models) + " |",
            "|:--|" + "--:|" * len(models),
        ]
        for d, values in zip(datasets, means):
            best = np.nanmax(values) if not np.isnan(values).all() else np.nan
            cells = ["—" if np.isnan(x) else (f"**{x:.3f}**" if x == best else f"{x:.3f}") for x in values]
            lines.append(f"| {d} | " + " | ".join(cells) + " |")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a model with no successful run
            column_means = np.nanmean(means, axis=0) if len(means) else np.full(len(models), np.nan)
        lines.append("| **mean** (sets it ran on) | " + " | ".join(f"{x:.3f}" for x in column_means) + " |")
        complete = ~np.isnan(means).any(axis=1)
        if not complete.all() and complete.any():
            lines.append(f"| **mean** ({complete.sum()} sets with every model) | "
                         + " | ".join(f"{x:.3f}" for x in means[complete].mean(axis=0)) + " |")
        lines.append(f"| **mean rank** ({n_complete} sets with every model) | "
                     + " | ".join(f"{x:.2f}" for x in ranks) + " |")
        gaps = np.isnan(means).any(axis=0)
        if gaps.any() and (~gaps).sum() >= 2:  # again without the models that miss some set
            ranks_full, n_full = mean_ranks(means[:, ~gaps])
            cells = iter(f"{x:.2f}" for x in ranks_full)
            lines.append(f"| **mean rank**, models with every set ({n_full} sets) | "
                         + " | ".join("—" if gap else next(cells) for gap in gaps) + " |")
        lines.append("")
    lines += _head_to_head(*roc_table)
    lines += _coverage(rows, roc_table[0])
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        lines += ["## Failed runs", "", "| dataset | model | seed | error |", "|:--|:--|--:|:--|"]
        lines += [f"| {r['dataset']} | {r['model']} | {r['seed']} | {r['error'][:160]} |" for r in failed]
    return "\n".join(lines)


def _head_to_head(models, means, reference="PUAutoencoder"):
    """Markdown rows: ``reference`` against every other model on the datasets both completed.

    ``models`` and ``means`` are the ROC AUC table of ``_mean_table``. The
    last column is the two-sided Wilcoxon signed-rank p-value of the
    per-dataset differences (exact for small tables; "—" when every
    difference is zero), so that a lead on a few sets is not read as a
    difference between the models.
    """
    from scipy.stats import wilcoxon

    if reference not in models or len(models) < 2:
        return []
    ref = means[:, models.index(reference)]
    lines = [f"## Head to head: {reference} against each model, on the datasets both ran", "",
             f"| model | datasets | {reference} mean AUROC | model mean AUROC | {reference} higher on "
             "| Wilcoxon p |",
             "|:--|--:|--:|--:|--:|--:|"]
    for j, model in enumerate(models):
        both = ~np.isnan(ref) & ~np.isnan(means[:, j])
        if model == reference or not both.any():
            continue
        differences = ref[both] - means[both, j]
        p_value = wilcoxon(differences).pvalue if np.any(differences != 0) else np.nan
        lines.append(f"| {model} | {both.sum()} | {ref[both].mean():.3f} | {means[both, j].mean():.3f} | "
                     f"{int(np.sum(differences > 0))} | {'—' if np.isnan(p_value) else f'{p_value:.3f}'} |")
    return lines + [""]


def _coverage(rows, models):
    """Markdown rows: runs per model that succeeded and failed, and on how many datasets."""
    lines = ["## Runs per model", "", "| model | successful | failed | datasets with a successful run |",
             "|:--|--:|--:|--:|"]
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        ok = [r for r in mine if r["status"] == "ok"]
        lines.append(f"| {model} | {len(ok)} | {len(mine) - len(ok)} | {len({r['dataset'] for r in ok})} |")
    return lines + [""]
