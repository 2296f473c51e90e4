"""Analysis by synthesis on MNIST: clean accuracy and robust accuracy under L2 and L-inf attacks.

Usage: python benchmarks/abs_mnist.py OUT.csv [--seeds 0] [--n-robust 200] [--models NAME ...] [--data-dir DIR]
       [--n-square 0] [--square-queries 1000]

Per seed: the 7,000 / 3,000 split of the MNIST test set (stratified); the default ``ABSClassifier()``
(one MLP VAE per class, 8 latents, 50 epochs, 1,000 prior draws, 50 Adam steps per inference) and, for
context, a cross-entropy conv net (``RobustClassifier()`` without adversarial training, 30 epochs).
Clean accuracy on all 3,000 test images (with seconds per image); robust accuracy on the first
--n-robust test images under PGD-L2 (eps 1.5) and PGD-L-inf (eps 0.3), 40 steps each, gradients through
ABS's optimal codes (``pu_detect.attacks.pgd``), and the same attacks crafted on the CNN and transferred
to ABS (a gradient-free check: masked gradients cannot hide a model from them). The paper's numbers (Schott et al. 2019): ABS 99%
clean, 80% at L2 1.5, 8% at L-inf 0.3, from a suite of gradient-based, score-based and decision-based
attacks. With --n-square N, the score-based Square Attack (``pu_detect.attacks.square``, --square-queries
queries per image, AutoAttack's p_init 0.8) at the same radii on the first N test images, which needs no
gradient, and the per-image worst case of PGD and Square on those images (an image counts as robust
only if both leave it correctly classified), as the paper counts its suite. Rows are appended to OUT.csv; finished (seed, model, attack) rows are skipped on a rerun (the
models are refitted: same seed, same model).
"""

import argparse
import time

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from sklearn.model_selection import train_test_split

from pu_detect import ABSClassifier, RobustClassifier, attacks
from pu_detect.datasets import load_mnist

MODELS = {
    "ABS (MLP VAEs)": lambda seed: ABSClassifier(random_state=seed),
    "CNN (cross-entropy)": lambda seed: RobustClassifier(input_shape=(1, 28, 28), random_state=seed),
    # the authors' number of prior draws (their inference code keeps 8,000)
    "ABS (MLP VAEs, 8,000 prior draws)": lambda seed: ABSClassifier(n_prior_samples=8000, random_state=seed),
}
ATTACKS = {"PGD-L2 eps 1.5": dict(eps=1.5, norm="l2"), "PGD-Linf eps 0.3": dict(eps=0.3, norm="linf")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-robust", type=int, default=200)
    parser.add_argument("--models", nargs="+", default=["ABS (MLP VAEs)", "CNN (cross-entropy)"],
                        choices=list(MODELS))
    parser.add_argument("--n-square", type=int, default=0)
    parser.add_argument("--square-queries", type=int, default=1000)
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    done = finished(args.out, "seed", "model", "attack")
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        rows, labels = X_test[: args.n_robust], y_test[: args.n_robust]
        fitted, crafted = {}, {}
        for name in args.models:
            make = MODELS[name]
            start = time.perf_counter()
            clf = fitted[name] = make(seed).fit(X_train, y_train)
            fit_seconds = f"{time.perf_counter() - start:.0f}"
            if (seed, name, "none") not in done:
                start = time.perf_counter()
                clean = float(np.mean(clf.predict(X_test) == y_test))
                per_image = (time.perf_counter() - start) / len(X_test)
                append_row(args.out, dict(seed=seed, model=name, attack="none", n=len(X_test), accuracy=f"{clean:.4f}",
                                      fit_seconds=fit_seconds, seconds_per_image=f"{per_image:.4f}"))
            for attack, options in ATTACKS.items():
                transfer = name.startswith("CNN")  # the CNN's adversarial rows are also transferred to ABS
                if (seed, name, attack) in done and not transfer:
                    continue
                start = time.perf_counter()
                X_adv = attacks.pgd(clf, rows, labels, steps=40, random_state=seed, **options)
                if transfer:
                    crafted[attack] = X_adv
                if (seed, name, attack) not in done:
                    robust = float(np.mean(clf.predict(X_adv) == labels))
                    append_row(args.out, dict(seed=seed, model=name, attack=attack, n=len(rows),
                                          accuracy=f"{robust:.4f}", fit_seconds=fit_seconds,
                                          seconds_per_image=f"{(time.perf_counter() - start) / len(rows):.4f}"))
            if args.n_square:
                square_rows(args, seed, name, clf, X_test[: args.n_square], y_test[: args.n_square], fit_seconds,
                            done)
        for attack, X_adv in crafted.items() if "ABS (MLP VAEs)" in fitted else ():
            name, label = "ABS (MLP VAEs)", f"{attack}, transferred from the CNN"
            if (seed, name, label) not in done:
                robust = float(np.mean(fitted[name].predict(X_adv) == labels))
                append_row(args.out, dict(seed=seed, model=name, attack=label, n=len(rows), accuracy=f"{robust:.4f}",
                                      fit_seconds="", seconds_per_image=""))


def square_rows(args, seed, name, clf, rows, labels, fit_seconds, done):
    """Square at each radius on ``rows``, then the per-image worst case of it and PGD (recomputed on ``rows``)."""
    for attack, options in ATTACKS.items():
        square_name = attack.replace("PGD", "Square") + f", {args.square_queries} queries"
        worst_name = attack.replace("PGD", "PGD and Square") + f" (per-image worst case), {args.square_queries} queries"
        if (seed, name, square_name) in done and (seed, name, worst_name) in done:
            continue
        start = time.perf_counter()
        X_square = attacks.square(clf, rows, labels, n_queries=args.square_queries, input_shape=(1, 28, 28),
                                  random_state=seed, **options)
        seconds = (time.perf_counter() - start) / len(rows)
        survived = clf.predict(X_square) == labels
        X_pgd = attacks.pgd(clf, rows, labels, steps=40, random_state=seed, **options)
        both = survived & (clf.predict(X_pgd) == labels)
        for label, kept, per_image in ((square_name, survived, f"{seconds:.4f}"), (worst_name, both, "")):
            if (seed, name, label) not in done:
                append_row(args.out, dict(seed=seed, model=name, attack=label, n=len(rows),
                                          accuracy=f"{np.mean(kept):.4f}", fit_seconds=fit_seconds,
                                          seconds_per_image=per_image))


if __name__ == "__main__":
    main()
