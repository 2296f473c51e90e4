"""The two analyses of adversarial training, checked: sharpness grows with eps; L2 is smooth, L-inf is not.

Usage:
    python benchmarks/adversarial_training_analysis.py OUT_DIR [--seeds 0 1 2] [--cnn-epochs 5]
        [--skip-cnn] [--data-dir DIR]

1. Sharpness, binary linear logistic regression (Yamada, Kanai et al.): sklearn's digits 0 vs 1
   (scaled to [0, 1]), labels -1 / +1, ``f(x) = w.x``, trained on the closed-form adversarial loss
   (``pu_detect.diagnostics.adversarial_logistic_loss``) with weight decay 1e-3 by full-batch
   L-BFGS, for L2 and L-inf eps grids; the top Hessian eigenvalue of the adversarial loss at each
   eps's own optimum (``hessian_top_eigenvalue``), checked against the eigenvalues of the
   closed-form L2 Hessian.
2. Smoothness (Kanai et al.): at the eps = 0.5 (L2) / 0.05 (L-inf) optimum with its
   smallest-magnitude weight (of a pixel that varies) set to 0, ``||grad L(w + h e_i) - grad L(w - h e_i)|| / (2 h)`` for h
   from 1e-1 to 1e-6 (``gradient_difference_ratios``): bounded under L2 and eps = 0, growing like
   1/h under L-inf.
3. Sharpness, the small CNN: ``RobustClassifier(input_shape=(1, 28, 28))`` on the 7,000-image part of
   the MNIST split, L2 PGD adversarial training at eps 0 / 0.5 / 1 / 2 for --cnn-epochs epochs, top
   Hessian eigenvalue of the adversarial training loss on 500 training rows
   (``classifier_sharpness``), seeds --seeds.

Writes OUT_DIR/sharpness_logistic.csv, smoothness.csv, sharpness_cnn.csv (rows appended as they
finish; rows already there are skipped) and OUT_DIR/analysis.png.
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from _paths import add_data_dir_argument, default_data_dir
from sklearn.datasets import load_digits

from pu_detect import RobustClassifier
from pu_detect.diagnostics import (adversarial_logistic_loss, classifier_sharpness, gradient_difference_ratios,
                                   hessian_top_eigenvalue)

WEIGHT_DECAY = 1e-3
GRIDS = {"l2": [0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0], "linf": [0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2]}
SMOOTHNESS_EPS = {"l2": 0.5, "linf": 0.05}
CNN_EPS = [0.0, 0.5, 1.0, 2.0]
STEPS = [10.0 ** -k for k in range(1, 7)]


def digits_binary():
    X, y = load_digits(return_X_y=True)
    keep = y < 2
    return torch.tensor(X[keep] / 16, dtype=torch.float64), torch.tensor(np.where(y[keep] == 1, 1.0, -1.0))


def train_linear(X, y, eps, norm):
    """The minimiser of the adversarial loss plus ``WEIGHT_DECAY / 2 ||w||^2`` (full-batch L-BFGS)."""
    w = torch.full((X.shape[1],), 1e-2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([w], lr=1, max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-14,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = adversarial_logistic_loss(w, X, y, eps, norm) + WEIGHT_DECAY / 2 * (w ** 2).sum()
        loss.backward()
        return loss

    for _ in range(5):
        optimizer.step(closure)
    return w.detach()


def closed_form_l2_hessian(w, X, y, eps):
    """``mean_i [s(1-s) g g^T + eps s (I - w w^T / |w|^2) / |w|]`` with ``g = y x - eps w/|w|``, ``s = sigmoid(-m)``."""
    norm = w.norm()
    w_hat = w / norm
    margin = y * (X @ w) - eps * norm
    s = torch.sigmoid(-margin)
    g = y[:, None] * X - eps * w_hat
    first = (g.T * (s * (1 - s))) @ g / len(X)
    second = eps * s.mean() * (torch.eye(len(w), dtype=w.dtype) - torch.outer(w_hat, w_hat)) / norm
    return first + second


def append(path, rows):
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        if new:
            writer.writeheader()
        writer.writerows(rows)


def done(path, *keys):
    if not path.exists():
        return set()
    with open(path, newline="") as f:
        return {tuple(r[k] for k in keys) for r in csv.DictReader(f)}


def logistic_part(out):
    X, y = digits_binary()
    rows = []
    for norm, grid in GRIDS.items():
        for eps in grid:
            w = train_linear(X, y, eps, norm)
            w_leaf = w.clone().requires_grad_(True)
            top = hessian_top_eigenvalue(lambda: adversarial_logistic_loss(w_leaf, X, y, eps, norm), [w_leaf],
                                         n_iter=500, tol=1e-10, random_state=0)
            exact = float(torch.linalg.eigvalsh(closed_form_l2_hessian(w, X, y, eps))[-1]) if norm == "l2" else np.nan
            margin = (y * (X @ w)).min() - eps * (w.norm() if norm == "l2" else w.abs().sum())
            rows.append(dict(norm=norm, eps=eps, top_eigenvalue=f"{top:.6g}", closed_form=f"{exact:.6g}",
                             weight_norm=f"{float(w.norm()):.4g}", min_adversarial_margin=f"{float(margin):.4g}",
                             loss=f"{float(adversarial_logistic_loss(w, X, y, eps, norm)):.4g}"))
            print("logistic", rows[-1], flush=True)
    with open(out / "sharpness_logistic.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def smoothness_part(out):
    X, y = digits_binary()
    rows = []
    for norm, eps in SMOOTHNESS_EPS.items():
        w = train_linear(X, y, eps, norm)
        varying = X.std(dim=0) > 0  # a pixel that is always 0 would make every loss flat along it
        i = int(torch.where(varying, w.abs(), torch.inf).argmin())
        w[i] = 0.0  # on the hyperplane w_i = 0, where the L-inf loss's gradient jumps
        direction = torch.zeros_like(w)
        direction[i] = 1.0
        for label, e in ((norm, eps), ("none", 0.0)):
            ratios = gradient_difference_ratios(lambda u: adversarial_logistic_loss(u, X, y, e, norm), w, direction,
                                                STEPS)
            rows += [dict(attack=label if e else f"eps=0 (at the {norm} optimum)", eps=e, h=h, ratio=f"{r:.6g}")
                     for h, r in zip(STEPS, ratios)]
            print("smoothness", label, e, [f"{r:.3g}" for r in ratios], flush=True)
    with open(out / "smoothness.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def cnn_part(out, seeds, epochs, mnist):
    from sklearn.model_selection import train_test_split

    from pu_detect.datasets import load_mnist

    path = out / "sharpness_cnn.csv"
    finished = done(path, "seed", "eps")
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        for eps in CNN_EPS:
            if (str(seed), str(eps)) in finished:
                continue
            start = time.perf_counter()
            training = dict(adversarial_training="pgd", loss="ce", norm="l2", eps=eps) if eps else {}
            clf = RobustClassifier(input_shape=(1, 28, 28), epochs=epochs, random_state=seed, **training)
            clf.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            sharpness = classifier_sharpness(clf, X_train[:500], y_train[:500], eps=eps, norm="l2", n_iter=50,
                                             random_state=seed)
            append(path, [dict(seed=seed, eps=eps, top_eigenvalue=f"{sharpness:.6g}",
                               clean_accuracy=f"{clf.score(X_test, y_test):.4f}", fit_seconds=f"{seconds:.0f}")])
            print("cnn", seed, eps, sharpness, f"{seconds:.0f} s", flush=True)
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot(logistic, smoothness, cnn, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
    for norm in GRIDS:
        r = [x for x in logistic if x["norm"] == norm]
        axes[0].plot([float(x["eps"]) for x in r], [float(x["top_eigenvalue"]) for x in r], "o-", label=norm)
    axes[0].set(title="Logistic regression (digits 0 vs 1)", xlabel="eps of adversarial training",
                ylabel="top Hessian eigenvalue", yscale="log")
    axes[0].legend()
    for label in dict.fromkeys(x["attack"] for x in smoothness):
        r = [x for x in smoothness if x["attack"] == label]
        axes[1].loglog([float(x["h"]) for x in r], [float(x["ratio"]) for x in r], "o-", label=label)
    axes[1].set(title="Gradient difference / 2h across w_i = 0", xlabel="h", ylabel="ratio")
    axes[1].legend(fontsize=8)
    if cnn:
        eps = sorted({float(x["eps"]) for x in cnn})
        values = [[float(x["top_eigenvalue"]) for x in cnn if float(x["eps"]) == e] for e in eps]
        axes[2].errorbar(eps, [np.mean(x) for x in values], yerr=[np.std(x) for x in values], fmt="o-", capsize=3)
        axes[2].set(title="Small CNN, MNIST, L2 PGD training", xlabel="eps (L2)", ylabel="top Hessian eigenvalue")
    else:
        axes[2].set_axis_off()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cnn-epochs", type=int, default=5)
    parser.add_argument("--skip-cnn", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    logistic, smoothness = logistic_part(args.out), smoothness_part(args.out)
    cnn = []
    if not args.skip_cnn:
        mnist = Path(args.data_dir or default_data_dir("mnist") or "")
        if not mnist.is_dir():
            parser.error(f"--data-dir {args.data_dir!r} is not a folder (or pass --skip-cnn)")
        cnn = cnn_part(args.out, args.seeds, args.cnn_epochs, mnist)
    plot(logistic, smoothness, cnn, args.out / "analysis.png")


if __name__ == "__main__":
    main()
