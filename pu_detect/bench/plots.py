"""The benchmark's two charts, drawn without touching matplotlib's global state."""

from pathlib import Path

import numpy as np

from ..utils.files import atomic_write
from ..utils.validation import check_path
from .models import MODELS
from .summary import _check_rows, _mean_table, mean_ranks

def plot(rows, directory):
    """Write ``auroc_by_dataset.png`` (dot plot) and ``mean_rank.png`` to ``directory``.

    Returns the paths written.
    """
    from matplotlib import colormaps

    _check_rows(rows)
    directory = Path(check_path(directory, "directory"))
    datasets, models, means = _mean_table(rows, "roc_auc")
    ours = [MODELS[m].family == "pu_detect" if m in MODELS else False for m in models]
    colours = list(colormaps["tab20"](np.linspace(0, 1, 20))[: len(models)])
    markers, sizes = ["o" if mine else "D" for mine in ours], [30] * len(models)
    for j, model in enumerate(models):  # the PU estimators stand out
        if model in ("PUAutoencoder", "PUDeepSVDD"):
            colours[j] = "black" if model == "PUAutoencoder" else "crimson"
            markers[j], sizes[j] = "*", 130

    fig, ax = _figure((9, 0.38 * len(datasets) + 1.8))
    for j, model in enumerate(models):
        ax.scatter(means[:, j], np.arange(len(datasets)), color=colours[j], marker=markers[j],
                   s=sizes[j], alpha=0.9 if sizes[j] > 30 else 0.6, label=model, zorder=4 if sizes[j] > 30 else 3)
    ax.set_yticks(np.arange(len(datasets)), datasets)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set(xlabel="test ROC AUC (mean over seeds)",
           title="Tabular PU protocol per dataset (stars: PU estimators, circles: our baselines, diamonds: peers)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    by_dataset = directory / "auroc_by_dataset.png"
    save_figure(fig, by_dataset)

    ranks, n_complete = mean_ranks(means)
    order = np.argsort(ranks)
    fig, ax = _figure((7, 0.35 * len(models) + 1.4))
    ax.barh(np.arange(len(models)), ranks[order], color=[colours[j] for j in order])
    ax.set_yticks(np.arange(len(models)), [models[j] for j in order])
    ax.invert_yaxis()
    for i, j in enumerate(order):
        ax.text(ranks[j], i, f" {ranks[j]:.2f}", va="center", fontsize=8)
    ax.set(xlabel=f"mean rank over {n_complete} datasets (1 = best)", title="Mean rank, test ROC AUC")
    rank_path = directory / "mean_rank.png"
    save_figure(fig, rank_path)
    return [by_dataset, rank_path]


def _figure(size):
    """A figure and its axes, outside pyplot: no backend is chosen and no global state changes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def save_figure(fig, path, dpi=110):
    """Write ``fig`` as a PNG to ``path`` atomically (``pu_detect.utils.files.atomic_write``)."""
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=dpi)
