"""The robust-classifier MNIST protocol: clean and robust accuracy of CE, PGD-AT, TRADES, OVR / SOVR, bounded heads.

Usage:
    python benchmarks/robust_mnist.py OUT_DIR [--arms CE CE-AT ...] [--seeds 0 1 2] [--epochs 20]
        [--n-eval 1000] [--n-apgd 500] [--n-autoattack 100] [--data-dir DIR]

Per seed: the stratified 70/30 split of the 10,000-image MNIST test set; each arm a
``RobustClassifier(input_shape=(1, 28, 28))`` (the default conv net, Adam, --epochs epochs) fitted
on the 7,000-image part; clean accuracy on the 3,000-image part; robust accuracy on its first
--n-eval images under PGD-40 (step 0.01, L-inf eps 0.1 / 0.2 / 0.3; Madry et al.'s MNIST setting)
and L2 PGD-40 (eps 1.5 / 2.0, step 2.5 eps / 40); on the first --n-apgd, APGD-CE and APGD-T (DLR, the
3 most likely wrong classes, 100 iterations each; a row counts as robust only if both fail) at
L-inf 0.3; on the first --n-autoattack, the reference AutoAttack (standard version, ``pyautoattack``)
at L-inf 0.3 where it is installed. Adversarial
training uses L-inf eps 0.3, 10 steps of 0.075 from a random start.

Rows are appended to OUT_DIR/results.csv as each (arm, seed) finishes; finished ones are skipped.
OUT_DIR/margins_seed{S}_{arm}.npy holds the logit margins of PGD-40 adversarial versions of 2,000
training rows (the SOVR paper's two peaks) and OUT_DIR/prelogits_seed{S}_{arm}.npy the pre-logit
norms of the test rows; OUT_DIR/summary.md is the table (mean ± sd over seeds) and
OUT_DIR/margins.png the histograms.
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from sklearn.model_selection import train_test_split

from pu_detect import RobustClassifier, attacks
from pu_detect.datasets import load_mnist
from pu_detect.losses import logit_margin

AT = dict(adversarial_training="pgd", eps=0.3)
ARMS = {  # in the order they run
    "CE-AT": dict(loss="ce", **AT), "SOVR-AT": dict(loss="sovr", **AT), "CE": {},
    "bounded-AT": dict(head="bounded", loss="ce", **AT), "tanh-AT": dict(head="tanh", loss="ce", **AT),
    "TRADES": dict(adversarial_training="trades", eps=0.3),
    "OVR-AT": dict(loss="ovr", **AT), "tanh": dict(head="tanh"), "bounded": dict(head="bounded"),
    # SOVR on the bounded heads (logit_bound 1): ended at chance on seed 0, so loss="auto" gives them CE
    "bounded-SOVR-AT": dict(head="bounded", loss="sovr", **AT), "tanh-SOVR-AT": dict(head="tanh", loss="sovr", **AT),
}
LINF, L2 = (0.1, 0.2, 0.3), (1.5, 2.0)


def evaluate(clf, X, y, n_apgd, n_autoattack, seed):
    row = {}
    for eps in LINF:
        X_adv = attacks.pgd(clf, X, y, eps, steps=40, step_size=0.01, random_state=seed)
        row[f"pgd40_linf_{eps}"] = clf.score(X_adv, y)
    for eps in L2:
        X_adv = attacks.pgd(clf, X, y, eps, steps=40, norm="l2", random_state=seed)
        row[f"pgd40_l2_{eps}"] = clf.score(X_adv, y)
    start = time.perf_counter()
    X, y = X[:n_apgd], y[:n_apgd]
    ce = clf.predict(attacks.apgd(clf, X, y, 0.3, random_state=seed)) == y
    targeted = clf.predict(attacks.apgd(clf, X, y, 0.3, loss="dlr", targeted=True, n_target_classes=3,
                                        random_state=seed)) == y
    row["apgd_ce_t_linf_0.3"] = float(np.mean(ce & targeted))
    row["apgd_seconds"] = round(time.perf_counter() - start)
    row["autoattack_linf_0.3"] = ""
    try:
        import pyautoattack  # noqa: F401
    except ImportError:
        return row
    n = min(n_autoattack, len(X))
    if n:
        start = time.perf_counter()
        X_aa = attacks.autoattack(clf, X[:n], y[:n], 0.3, random_state=seed)
        row["autoattack_linf_0.3"] = clf.score(X_aa, y[:n])
        row["autoattack_seconds"] = round(time.perf_counter() - start)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out", type=Path)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-eval", type=int, default=1000)
    parser.add_argument("--n-apgd", type=int, default=500)
    parser.add_argument("--n-autoattack", type=int, default=100)
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.csv"
    finished = set()
    if path.exists():
        with open(path, newline="") as f:
            finished = {(r["arm"], int(r["seed"])) for r in csv.DictReader(f)}
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        for arm in args.arms:
            if (arm, seed) in finished:
                continue
            start = time.perf_counter()
            clf = RobustClassifier(input_shape=(1, 28, 28), epochs=args.epochs, random_state=seed, **ARMS[arm])
            clf.fit(X_train, y_train)
            row = dict(arm=arm, seed=seed, fit_seconds=round(time.perf_counter() - start),
                       clean_accuracy=clf.score(X_test, y_test))
            row.update(evaluate(clf, X_test[: args.n_eval], y_test[: args.n_eval], args.n_apgd, args.n_autoattack, seed))
            X_margin = attacks.pgd(clf, X_train[:2000], y_train[:2000], 0.3, steps=40, step_size=0.01,
                                   random_state=seed)
            margins = logit_margin(torch.as_tensor(clf.logits(X_margin)),
                                   torch.as_tensor(np.searchsorted(clf.classes_, y_train[:2000])))
            np.save(args.out / f"margins_seed{seed}_{arm}.npy", margins.numpy())
            np.save(args.out / f"prelogits_seed{seed}_{arm}.npy", np.linalg.norm(clf.pre_logits(X_test), axis=1))
            new = not path.exists()
            with open(path, "a", newline="") as f:
                writer = csv.DictWriter(f, list(row))
                if new:
                    writer.writeheader()
                writer.writerow(row)
            print(row, flush=True)
    summarise(args.out)


def summarise(out):
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    columns = ["clean_accuracy", *(f"pgd40_linf_{e}" for e in LINF), *(f"pgd40_l2_{e}" for e in L2),
               "apgd_ce_t_linf_0.3", "autoattack_linf_0.3", "fit_seconds"]
    lines = ["Accuracy (%) as mean ± sd over seeds (the mean alone for one seed); fit seconds on one CPU thread.", "",
             "| arm | seeds | median pre-logit norm | " + " | ".join(columns) + " |",
             "|:--|--:|--:|" + "--:|" * len(columns)]
    for arm in ARMS:
        group = [r for r in rows if r["arm"] == arm]
        if not group:
            continue
        cells = []
        for c in columns:
            values = np.array([float(r[c]) for r in group if r.get(c) not in ("", None)])
            scale = 1 if c == "fit_seconds" else 100
            spread = f" ± {scale * values.std(ddof=1):.1f}" if len(values) > 1 else ""
            cells.append("—" if not len(values) else f"{scale * values.mean():.1f}{spread}")
        norms = [np.median(np.load(out / f"prelogits_seed{r['seed']}_{arm}.npy")) for r in group
                 if (out / f"prelogits_seed{r['seed']}_{arm}.npy").exists()]
        lines.append(f"| {arm} | {len(group)} | {np.mean(norms):.2f} | " + " | ".join(cells) + " |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot_margins(out, rows)


def plot_margins(out, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = [a for a in ("CE-AT", "SOVR-AT", "OVR-AT", "TRADES") if any(r["arm"] == a for r in rows)]
    if not arms:
        return
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for arm in arms:
        seed = min(int(r["seed"]) for r in rows if r["arm"] == arm)
        ax.hist(np.load(out / f"margins_seed{seed}_{arm}.npy"), bins=60, alpha=0.5, label=f"{arm} (seed {seed})")
    ax.set(title="Logit margins of PGD-40 (eps 0.3) training rows", xlabel="z_y - max_k z_k", ylabel="rows")
    ax.legend()
    fig.savefig(out / "margins.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
