"""Pang et al.'s defences on MNIST: the ADP ensemble table, and CE vs MMLDA vs MMC under PGD, APGD and AutoAttack.

Usage: python benchmarks/pang_mnist.py OUT.csv [--part adp mmc] [--arms ...] [--seeds 0] [--n-eval 1000]
       [--n-costly 200] [--n-jsma 100] [--n-apgd 500] [--n-autoattack 100] [--cw-iterations 1000] [--epochs 30]
       [--at-epochs 10] [--n-train 7000] [--architecture conv|resnet] [--units-per-stage 1] [--optimizer auto|adam|sgd]
       [--shift-augmentation 0.0] [--data-dir DIR]

Per seed: the 7,000 / 3,000 split of the MNIST test set (stratified); accuracy (%) on adversarial versions of the
first test images (all of them, clean errors included, as the paper's table counts). ``--n-train`` trains on a
stratified subsample of the 7,000 training images (the same test images): what the size of the training set does.
``--architecture resnet`` gives every network the library's pre-activation ResNet (``--units-per-stage`` units per
stage: 1 is ResNet-8, 3 the ADP paper's ResNet-20) in place of each estimator's default conv net: what the network
does. ``--optimizer adam`` trains a ResNet with Adam at 1e-3 and no weight decay (the ADP authors' optimiser) in
place of the ResNet's default SGD recipe: what the recipe does. ``--shift-augmentation 0.1`` translates each
training image by up to 10% of its size (the authors' shift augmentation): what the augmentation does.

``adp``: three ensembles of three of the library's default conv nets, trained jointly
(``ADPEnsembleClassifier``): the baseline (alpha 0, beta 0), ADP_{2,0} and ADP_{2,0.5}. The attacks of the ADP
paper's MNIST table with the parameters of the authors' scripts: FGSM eps 0.1 / 0.2; BIM, PGD (random start) and
MIM (momentum 1) eps 0.1 / 0.15, 10 steps of eps / 10 (on --n-eval images); JSMA with features changed by 0.2,
at most gamma = 0.3 / 0.6 of them (on --n-jsma images; the library's pixel-pair JSMA towards a random class, where
the authors' script lowers one pixel at a time against the true class); C&W-L2 with c 0.1 / 1 / 10 and EAD
(beta 0.01, elastic-net rule) with c 5 / 10, each with confidence 0.1, one value of c (no binary search), Adam or
FISTA at lr 0.01 for --cw-iterations steps (1000 in the authors' scripts; on --n-costly images).

``mmc``: the default conv net with a linear head and cross-entropy (CE), with Max-Mahalanobis centres of radius 10
and cross-entropy on their logits (MMLDA) or the MMC loss (MMC), each plain (--epochs) and PGD-trained at L-inf 0.3
(--at-epochs). Attacks: PGD-40 (step 0.01) at L-inf 0.1 / 0.2 / 0.3 on the cross-entropy and, adaptive to the
centre geometry, on the logit margin (``attacks.pgd(..., loss="margin")``: for MMC ``||z - mu_y||^2 - min_{i != y}
||z - mu_i||^2``), on --n-eval images; APGD-CE and APGD-DLR (100 steps) at 0.1 and 0.3 on --n-apgd images; the
reference AutoAttack (``pyautoattack``, standard version) at 0.1 and 0.3 on --n-autoattack images.

Rows (seed, part, arm, attack, parameter, accuracy, n, seconds) are appended to OUT.csv; an arm whose cells are all
there is skipped on a rerun. ``--summary`` prints the markdown tables of OUT.csv instead (mean ± sd over seeds,
the published ADP cells beside ours).
"""

import argparse
import csv
import time
from collections import defaultdict

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from sklearn.model_selection import train_test_split

from pu_detect import ADPEnsembleClassifier, RobustClassifier, attacks
from pu_detect.datasets import load_mnist

ADP_ARMS = {"baseline": dict(alpha=0.0, beta=0.0), "ADP_2,0": dict(alpha=2.0, beta=0.0),
            "ADP_2,0.5": dict(alpha=2.0, beta=0.5)}
AT = dict(adversarial_training="pgd", eps=0.3)
MMC_ARMS = {  # in the order they run
    "CE": {}, "MMC": dict(loss="mmc", head="max_mahalanobis"), "CE-AT": dict(loss="ce", **AT),
    "MMC-AT": dict(loss="mmc", head="max_mahalanobis", **AT), "MMLDA": dict(head="max_mahalanobis"),
    "MMLDA-AT": dict(head="max_mahalanobis", **AT)}
#: The published MNIST columns of the ADP paper's Table 2 (baseline, ADP_{2,0}, ADP_{2,0.5}), accuracy in %.
PUBLISHED_ADP = {
    ("FGSM", "eps=0.1"): (78.3, 95.5, 96.3), ("FGSM", "eps=0.2"): (21.5, 50.6, 52.8),
    ("BIM", "eps=0.1"): (52.3, 86.4, 88.5), ("BIM", "eps=0.15"): (12.2, 69.5, 73.6),
    ("PGD", "eps=0.1"): (50.7, 73.4, 82.8), ("PGD", "eps=0.15"): (6.3, 36.2, 41.0),
    ("MIM", "eps=0.1"): (58.3, 89.7, 92.0), ("MIM", "eps=0.15"): (16.1, 73.3, 77.5),
    ("JSMA", "gamma=0.3"): (84.0, 88.0, 95.0), ("JSMA", "gamma=0.6"): (74.0, 85.0, 91.0),
    ("C&W", "c=0.1"): (91.6, 95.9, 97.3), ("C&W", "c=1.0"): (30.6, 75.0, 78.1), ("C&W", "c=10.0"): (5.9, 20.2, 23.8),
    ("EAD", "c=5.0"): (29.8, 91.3, 93.4), ("EAD", "c=10.0"): (7.3, 87.4, 89.5),
}


def adp_cells(args, seed):
    """(attack, parameter, size, run(clf, X, y)) for every cell of the ADP table."""
    cw = dict(kappa=0.1, binary_search_steps=1, max_iter=args.cw_iterations, lr=0.01, batch_size=100)
    cells = []
    for eps in (0.1, 0.2):
        cells.append(("FGSM", f"eps={eps}", args.n_eval, lambda clf, X, y, e=eps: attacks.fgsm(clf, X, y, e)))
    for eps in (0.1, 0.15):
        cells += [
            ("BIM", f"eps={eps}", args.n_eval, lambda clf, X, y, e=eps: attacks.bim(clf, X, y, e, steps=10)),
            ("PGD", f"eps={eps}", args.n_eval, lambda clf, X, y, e=eps: attacks.pgd(clf, X, y, e, steps=10,
                                                                                      step_size=e / 10,
                                                                                      random_state=seed)),
            ("MIM", f"eps={eps}", args.n_eval, lambda clf, X, y, e=eps: attacks.mim(clf, X, y, e, steps=10)),
        ]
    for gamma in (0.3, 0.6):
        cells.append(("JSMA", f"gamma={gamma}", args.n_jsma,
                      lambda clf, X, y, g=gamma: attacks.jsma(clf, X, y, theta=0.2, gamma=g, random_state=seed)))
    for c in (0.1, 1.0, 10.0):
        cells.append(("C&W", f"c={c}", args.n_costly,
                      lambda clf, X, y, c=c: attacks.carlini_wagner(clf, X, y, initial_const=c, **cw)))
    for c in (5.0, 10.0):
        cells.append(("EAD", f"c={c}", args.n_costly,
                      lambda clf, X, y, c=c: attacks.elastic_net(clf, X, y, beta=0.01, initial_const=c, **cw)))
    return cells


def mmc_cells(args, seed):
    cells = []
    for eps in (0.1, 0.2, 0.3):
        for loss in ("ce", "margin"):
            cells.append((f"PGD-40 {loss}", f"eps={eps}", args.n_eval,
                          lambda clf, X, y, e=eps, l=loss: attacks.pgd(clf, X, y, e, steps=40, step_size=0.01,
                                                                       loss=l, random_state=seed)))
    for eps in (0.1, 0.3):
        for loss in ("ce", "dlr"):
            cells.append((f"APGD-{loss.upper()}", f"eps={eps}", args.n_apgd,
                          lambda clf, X, y, e=eps, l=loss: attacks.apgd(clf, X, y, e, loss=l, random_state=seed)))
        cells.append(("AutoAttack", f"eps={eps}", args.n_autoattack,
                      lambda clf, X, y, e=eps: attacks.autoattack(clf, X, y, e, random_state=seed)))
    return cells


def make(part, arm, seed, args):
    network = dict(input_shape=(1, 28, 28), architecture=args.architecture, units_per_stage=args.units_per_stage,
                   optimizer=args.optimizer, shift_augmentation=args.shift_augmentation)
    if part == "adp":
        return ADPEnsembleClassifier(epochs=args.epochs, random_state=seed, **network, **ADP_ARMS[arm])
    options = MMC_ARMS[arm]
    epochs = args.at_epochs if "adversarial_training" in options else args.epochs
    return RobustClassifier(epochs=epochs, random_state=seed, **network, **options)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--part", nargs="+", default=["adp", "mmc"], choices=["adp", "mmc"])
    parser.add_argument("--arms", nargs="+", default=None, help="only these arms (default: all of each part)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-eval", type=int, default=1000)
    parser.add_argument("--n-costly", type=int, default=200)
    parser.add_argument("--n-jsma", type=int, default=100)
    parser.add_argument("--n-apgd", type=int, default=500)
    parser.add_argument("--n-autoattack", type=int, default=100)
    parser.add_argument("--cw-iterations", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--at-epochs", type=int, default=10)
    parser.add_argument("--n-train", type=int, default=None,
                        help="train on this many of the 7,000 training images (stratified; default: all)")
    parser.add_argument("--architecture", default="conv", choices=["conv", "resnet"])
    parser.add_argument("--units-per-stage", type=int, default=1, help="ResNet units per stage (--architecture resnet)")
    parser.add_argument("--optimizer", default="auto", choices=["auto", "adam", "sgd"],
                        help="each estimator's optimizer (auto: Adam for the conv nets, SGD for the ResNet)")
    parser.add_argument("--shift-augmentation", type=float, default=0.0,
                        help="random training shifts, as a fraction of the image size (the authors': 0.1)")
    parser.add_argument("--summary", action="store_true", help="print the tables of OUT.csv and stop")
    args = parser.parse_args()
    if args.n_train is not None and not 10 <= args.n_train <= 7000:
        parser.error(f"--n-train must be between 10 and 7000; got {args.n_train}")
    if args.summary:
        print(summary(args.out))
        return
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    try:
        import pyautoattack  # noqa: F401
        has_autoattack = True
    except ImportError:
        has_autoattack = False
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    done = finished(args.out, "seed", "part", "arm", "attack", "parameter")
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        if args.n_train is not None and args.n_train < len(X_train):
            X_train, _, y_train, _ = train_test_split(X_train, y_train, train_size=args.n_train, stratify=y_train,
                                                      random_state=seed)
        for part in args.part:
            arms, cells = (ADP_ARMS, adp_cells) if part == "adp" else (MMC_ARMS, mmc_cells)
            cells = [c for c in cells(args, seed) if has_autoattack or c[0] != "AutoAttack"]
            for arm in arms:
                if args.arms and arm not in args.arms:
                    continue
                todo = [c for c in cells if (seed, part, arm, c[0], c[1]) not in done]
                if not todo:
                    continue
                start = time.perf_counter()
                clf = make(part, arm, seed, args).fit(X_train, y_train)
                fit_seconds = time.perf_counter() - start
                base = dict(seed=seed, part=part, arm=arm)
                if (seed, part, arm, "clean", "") not in done:
                    accuracy = f"{clf.score(X_test, y_test):.4f}"
                    append_row(args.out, dict(base, attack="clean", parameter="", accuracy=accuracy, n=len(X_test),
                                              seconds=f"{fit_seconds:.0f}"))
                for attack, parameter, n, run in todo:
                    start = time.perf_counter()
                    X_adv = run(clf, X_test[:n], y_test[:n])
                    append_row(args.out, dict(base, attack=attack, parameter=parameter,
                                              accuracy=f"{clf.score(X_adv, y_test[:n]):.4f}", n=n,
                                              seconds=f"{time.perf_counter() - start:.0f}"))


def summary(path):
    """Markdown tables of a results CSV: accuracy (%) per cell, mean ± sd over seeds."""
    cells, sizes = defaultdict(list), defaultdict(set)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            cells[r["part"], r["attack"], r["parameter"], r["arm"]].append(100 * float(r["accuracy"]))
            sizes[r["part"], r["attack"], r["parameter"]].add(int(r["n"]))

    def cell(key):
        values = np.array(cells.get(key, []))
        if not len(values):
            return "—"
        return f"{values.mean():.1f}" + (f" ± {values.std(ddof=1):.1f}" if len(values) > 1 else "")

    def size(*key):
        return "-".join(str(n) for n in sorted(sizes[key]))

    def seeds(part, arms):
        return max((len(cells.get((part, "clean", "", arm), [])) for arm in arms), default=0)

    lines = []
    for part, arms in (("adp", ADP_ARMS), ("mmc", MMC_ARMS)):
        rows = sorted({(a, p) for (pt, a, p, _) in cells if pt == part and a != "clean"},
                      key=lambda ap: (list(PUBLISHED_ADP).index(ap) if ap in PUBLISHED_ADP else len(PUBLISHED_ADP), ap))
        if not rows:
            continue
        lines += [f"{part} ({seeds(part, arms)} seeds)", "", "| attack | parameter | n | " + " | ".join(arms) + " |",
                  "|:--|:--|--:|" + "--:|" * len(arms)]
        clean = " | ".join(cell((part, "clean", "", a)) for a in arms)
        lines.append(f"| clean | | {size(part, 'clean', '')} | {clean} |")
        for attack, parameter in rows:
            published = PUBLISHED_ADP.get((attack, parameter)) if part == "adp" else None
            values = []
            for i, arm in enumerate(arms):
                text = cell((part, attack, parameter, arm))
                values.append(f"{text} ({published[i]})" if published else text)
            lines.append(f"| {attack} | {parameter} | {size(part, attack, parameter)} | " + " | ".join(values) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
