"""Analysis by synthesis on MNIST: clean accuracy and robust accuracy under L2 and L-inf attacks.

Usage: python benchmarks/abs_mnist.py OUT.csv [--seeds 0] [--n-robust 200] [--models NAME ...] [--data-dir DIR]
       [--n-black-box 0] [--square-queries 1000] [--hsj-steps 10] [--black-box-norms l2 linf]

Per seed: the 7,000 / 3,000 split of the MNIST test set (stratified); the default ``ABSClassifier()``
(one MLP VAE per class, 8 latents, 50 epochs, 1,000 prior draws, 50 Adam steps per inference) and, for
context, a cross-entropy conv net (``RobustClassifier()`` without adversarial training, 30 epochs).
Clean accuracy on all 3,000 test images (with seconds per image); robust accuracy on the first
--n-robust test images under PGD-L2 (eps 1.5) and PGD-L-inf (eps 0.3), 40 steps each, gradients through
ABS's optimal codes (``pu_detect.attacks.pgd``), and the same attacks crafted on the CNN and transferred
to ABS (a gradient-free check: masked gradients cannot hide a model from them). The paper's numbers (Schott et al. 2019): ABS 99%
clean, 80% at L2 1.5, 8% at L-inf 0.3, from a suite of gradient-based, score-based and decision-based
attacks. With --n-black-box N, on the first N test images: the score-based Square Attack
(``pu_detect.attacks.square``, --square-queries queries per image, AutoAttack's p_init 0.8) and the
decision-based HopSkipJump (``pu_detect.attacks.hop_skip_jump``, --hsj-steps iterations, each image
starting from the nearest of the first 1,000 training images in another class; an image counts as fooled
at a radius if its adversary lies within it), which need no gradient, beside PGD on the same
images, and the per-image worst case of the three (an image is robust only if every attack leaves it
correctly classified), as the paper counts its suite; each image's outcome and adversarial distance go
to OUT's stem + "_per_image.csv". --hsj-steps 0 leaves HopSkipJump out (the worst case is then over PGD
and Square), to try a larger Square budget alone; --black-box-norms limits the radii attacked. Rows are appended to OUT.csv; finished (seed, model, attack) rows are skipped on a rerun (the
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
    # the authors' number of optimisation steps: 10 epochs of 60,000 images in batches of 128 (about 4,700),
    # here 87 epochs of the 7,000 training images (55 batches each, 4,785 steps)
    "ABS (MLP VAEs, 87 epochs)": lambda seed: ABSClassifier(epochs=87, random_state=seed),
    # the authors train on augmented images (zoom, shear, skew, elastic distortion, each with probability 0.1);
    # the library's augmentation is random shifts: of up to 1 pixel (0.05 of 28) or 3 pixels (0.1)
    "ABS (MLP VAEs, shifts 0.05)": lambda seed: ABSClassifier(input_shape=(1, 28, 28), architecture="mlp",
                                                              shift_augmentation=0.05, random_state=seed),
    "ABS (MLP VAEs, shifts 0.1)": lambda seed: ABSClassifier(input_shape=(1, 28, 28), architecture="mlp",
                                                             shift_augmentation=0.1, random_state=seed),
    # both: the authors' number of steps on shifted images
    "ABS (MLP VAEs, shifts 0.05, 87 epochs)": lambda seed: ABSClassifier(
        input_shape=(1, 28, 28), architecture="mlp", shift_augmentation=0.05, epochs=87, random_state=seed),
    # wider and deeper class VAEs (the authors' are conv nets)
    "ABS (MLP VAEs, 512 hidden)": lambda seed: ABSClassifier(hidden_dims=(512,), random_state=seed),
    "ABS (MLP VAEs, 256-256 hidden)": lambda seed: ABSClassifier(hidden_dims=(256, 256), random_state=seed),
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
    parser.add_argument("--n-black-box", type=int, default=0)
    parser.add_argument("--square-queries", type=int, default=1000)
    parser.add_argument("--hsj-steps", type=int, default=10)
    parser.add_argument("--black-box-norms", nargs="+", choices=["l2", "linf"], default=["l2", "linf"])
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
            if args.n_black_box:
                black_box_rows(args, seed, name, clf, X_test[: args.n_black_box], y_test[: args.n_black_box],
                               X_train[:1000], fit_seconds, done)
        for attack, X_adv in crafted.items() if "ABS (MLP VAEs)" in fitted else ():
            name, label = "ABS (MLP VAEs)", f"{attack}, transferred from the CNN"
            if (seed, name, label) not in done:
                robust = float(np.mean(fitted[name].predict(X_adv) == labels))
                append_row(args.out, dict(seed=seed, model=name, attack=label, n=len(rows), accuracy=f"{robust:.4f}",
                                      fit_seconds="", seconds_per_image=""))


def black_box_rows(args, seed, name, clf, rows, labels, starts, fit_seconds, done):
    """PGD, Square and HopSkipJump (from the nearest of ``starts`` in another class) on ``rows`` at each radius,
    and their per-image worst case.

    Each image's outcome under each attack (and the distance of the adversary, where the attack fooled it) is
    also appended to the per-image CSV beside OUT.
    """
    per_image = args.out[:-4] + "_per_image.csv" if args.out.endswith(".csv") else args.out + "_per_image.csv"
    for attack, options in ATTACKS.items():
        eps, norm = options["eps"], options["norm"]
        if norm not in args.black_box_norms:
            continue
        radius = attack.replace("PGD-", "")
        kinds = ("PGD", "Square", "HopSkipJump") if args.hsj_steps else ("PGD", "Square")
        labels_of = {
            "PGD": attack,
            "Square": f"Square-{radius}, {args.square_queries} queries",
            "HopSkipJump": f"HopSkipJump-{radius}, {args.hsj_steps} steps",
            "worst": (f"{radius}: per-image worst case of PGD, Square and HopSkipJump" if args.hsj_steps else
                      f"{radius}: per-image worst case of PGD and Square, {args.square_queries} queries"),
        }
        if (seed, name, labels_of["worst"]) in done:
            continue
        outcomes, distances, seconds, fooled_by = {}, {}, {}, {}
        for kind in kinds:
            start = time.perf_counter()
            if kind == "PGD":
                X_adv = attacks.pgd(clf, rows, labels, steps=40, random_state=seed, **options)
            elif kind == "Square":
                X_adv = attacks.square(clf, rows, labels, n_queries=args.square_queries, input_shape=(1, 28, 28),
                                       random_state=seed, **options)
            else:
                X_adv = attacks.hop_skip_jump(clf, rows, labels, norm=norm, steps=args.hsj_steps, starts=starts,
                                              random_state=seed)
            seconds[kind] = (time.perf_counter() - start) / len(rows)
            fooled = fooled_by[kind] = clf.predict(X_adv) != labels
            delta = X_adv - rows
            distances[kind] = np.linalg.norm(delta, axis=1) if norm == "l2" else np.abs(delta).max(axis=1)
            # a minimum-norm attack fools an image at eps only if its adversary lies within eps
            outcomes[kind] = ~(fooled & (distances[kind] <= eps + 1e-6))
        outcomes["worst"] = np.logical_and.reduce([outcomes[kind] for kind in kinds])
        for kind, label in labels_of.items():
            if kind == "PGD" or kind not in outcomes or (seed, name, label) in done:
                continue
            append_row(args.out, dict(seed=seed, model=name, attack=label, n=len(rows),
                                      accuracy=f"{np.mean(outcomes[kind]):.4f}", fit_seconds=fit_seconds,
                                      seconds_per_image=f"{seconds[kind]:.4f}" if kind in seconds else ""))
        logged = finished(per_image, "seed", "model", "attack")
        for kind in (k for k in kinds if (seed, name, labels_of[k]) not in logged):
            for image in range(len(rows)):
                append_row(per_image, dict(seed=seed, model=name, attack=labels_of[kind], image=image,
                                           robust=int(outcomes[kind][image]),
                                           distance=f"{distances[kind][image]:.4f}" if fooled_by[kind][image] else ""),
                           quiet=True)


if __name__ == "__main__":
    main()
