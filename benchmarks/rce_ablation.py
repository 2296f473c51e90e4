"""Why non-ME misses Pang et al.'s MNIST numbers: one difference from the authors' setting at a time.

Usage: python benchmarks/rce_ablation.py OUT.csv [--settings small resnet8 resnet32] [--n-attack 1000]
       [--data-dir DIR] [--seed 0]

On the 7,000 / 3,000 MNIST split (the 10,000-image test set, stratified 70/30), trains a CE and an
RCE classifier per setting, attacks the first --n-attack test images with FGSM, BIM and ILCM at
eps = 0.16 (the eps round of the authors' table), and writes the Confidence, non-ME and K-density
AUCs (Pang et al.'s protocol: successful pairs only, ``pu_detect.adversarial.detection_auc``), with
K-density at its default bandwidth (maximum-likelihood CV) and at the authors' (sigma^2 = 0.1/0.26
for RCE, 1/0.26 for CE). Rows already in OUT.csv are skipped.

Settings: ``small`` is pu_detect 0.1.0's image classifier (``architecture="conv"``: two 3x3 conv
stages and a dense layer, Adam, 20 epochs); ``resnet8`` and ``resnet32`` are the authors'
pre-activation ResNet (1 or 5 units per stage, 64-d pooled features) trained their way (SGD,
momentum 0.9, lr 0.1 divided by 10 at half and three quarters, weight decay 2e-4, batch 128) for
--resnet-epochs epochs; ``default`` is today's ``RCEClassifier(input_shape=(1, 28, 28))`` (ResNet-8
with that recipe, 20 epochs); ``default-no-decay``, ``default-60-epochs`` and ``default-20k-steps`` change one thing of it
(weight decay 0; 60 epochs; the authors' 20,000 steps of 128 images, 364 epochs of the 7,000), to
see whether RCE's Confidence column depends on its logit scale or on the length of training;
``default-quarter-data`` and ``default-half-data`` train the default on 1,750 and 3,500 of the 7,000
training images, the trend in the amount of data (the authors had 60,000), and ``resnet32-half-data``
the ResNet-32 on 3,500. Each
row also has the median top-class probability of the clean and the adversarial rows of the
successful pairs.
"""

import argparse
import csv
import os
import time

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from sklearn.model_selection import train_test_split

from pu_detect import ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier, attacks
from pu_detect.adversarial import detection_auc, successful_pairs
from pu_detect.datasets import load_mnist

EPS = 0.16
SGD = dict(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=2e-4, lr_milestones=(0.5, 0.75), batch_size=128)
SETTINGS = {
    "small": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), architecture="conv",
                                                      epochs=20, random_state=seed),
    "default": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), random_state=seed),
    "resnet8": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), architecture="resnet",
                                                        units_per_stage=1, epochs=epochs, random_state=seed, **SGD),
    # the Confidence column: does RCE's logit scale (clean confidence) grow without weight decay or with longer training?
    "default-no-decay": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), weight_decay=0.0,
                                                                 random_state=seed),
    "default-60-epochs": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), epochs=60,
                                                                  random_state=seed),
    # the authors' 20,000 SGD steps of 128 (their lr drops at 10k / 15k; ours at the same fractions): 364 epochs of 7,000
    "default-20k-steps": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), epochs=364,
                                                                  random_state=seed),
    "resnet32": lambda loss, seed, epochs: RCEClassifier(loss=loss, input_shape=(1, 28, 28), architecture="resnet",
                                                         units_per_stage=5, epochs=epochs, random_state=seed, **SGD),
}
# the amount of training data: the default on a random quarter and half of the 7,000 training images, and the
# paper's depth (ResNet-32) on a random half; the networks are those of "default" and "resnet32" (TRAIN_FRACTION)
SETTINGS.update({"default-quarter-data": SETTINGS["default"], "default-half-data": SETTINGS["default"],
                 "resnet32-half-data": SETTINGS["resnet32"]})
#: The share of the training part a setting trains on (and fits its detectors on); 1 where not named.
TRAIN_FRACTION = {"default-quarter-data": 0.25, "default-half-data": 0.5, "resnet32-half-data": 0.5}
ATTACKS = {
    "FGSM": lambda clf, X, y: attacks.fgsm(clf, X, y, EPS),
    "BIM": lambda clf, X, y: attacks.bim(clf, X, y, EPS, steps=10),
    "ILCM": lambda clf, X, y: attacks.ilcm(clf, X, EPS, steps=10),
}
PAPER_BANDWIDTH = {"rce": 0.1 / 0.26, "ce": 1 / 0.26}
FIELDS = ["setting", "loss", "seed", "attack", "detector", "auc", "n_pairs", "accuracy", "fit_seconds",
          "clean_confidence_median", "adversarial_confidence_median"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--n-attack", type=int, default=1000)
    parser.add_argument("--resnet-epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--losses", nargs="+", default=["ce", "rce"], choices=["ce", "rce"])
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=args.seed)
    X_test, y_test = X_test[: args.n_attack], y_test[: args.n_attack]
    done = set()
    if os.path.exists(args.out):
        with open(args.out, newline="") as f:
            done = {(r["setting"], r["loss"], r["seed"]) for r in csv.DictReader(f)}
    for setting in args.settings:
        for loss in args.losses:
            if (setting, loss, str(args.seed)) in done:
                continue
            n_fit = int(round(TRAIN_FRACTION.get(setting, 1.0) * len(X_train)))
            X_fit, y_fit = X_train[:n_fit], y_train[:n_fit]  # the split is shuffled: a random subset
            start = time.perf_counter()
            clf = SETTINGS[setting](loss, args.seed, args.resnet_epochs).fit(X_fit, y_fit)
            fit_seconds = time.perf_counter() - start
            accuracy = clf.score(X_test, y_test)
            clean_confidence = clf.predict_proba(X_test).max(axis=1)
            detectors = {
                "Confidence": ConfidenceDetector(clf).fit(X_fit),
                "non-ME": NonMEDetector(clf).fit(X_fit),
                "K-density": KDensityDetector(clf).fit(X_fit, y_fit),
                "K-density (paper sigma^2)": KDensityDetector(clf, bandwidth=PAPER_BANDWIDTH[loss]).fit(X_fit, y_fit),
            }
            rows = []
            for attack, run in ATTACKS.items():
                X_adv = run(clf, X_test, y_test)
                hit = successful_pairs(clf, X_test, X_adv, y_test)
                medians = dict(clean_confidence_median=f"{np.median(clean_confidence[hit]):.4f}",
                               adversarial_confidence_median=f"{np.median(clf.predict_proba(X_adv[hit]).max(1)):.4f}")
                for name, detector in detectors.items():
                    auc, n_pairs = detection_auc(detector, X_test, X_adv, y_test)
                    rows.append(dict(setting=setting, loss=loss, seed=args.seed, attack=attack, detector=name,
                                     auc=f"{auc:.4f}", n_pairs=n_pairs, accuracy=f"{accuracy:.4f}",
                                     fit_seconds=f"{fit_seconds:.0f}", **medians))
            append_rows(args.out, rows)
            print(setting, loss, f"acc {accuracy:.4f}", f"{fit_seconds:.0f} s",
                  {(r["attack"], r["detector"]): r["auc"] for r in rows}, flush=True)


def append_rows(path, rows):
    """Append ``rows``; a file written before the confidence columns existed is rewritten with them (blank)."""
    old = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != FIELDS:
                old = list(reader)
    if old:
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS, restval="")
            writer.writeheader()
            writer.writerows(old)
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, restval="")
        if new:
            writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
