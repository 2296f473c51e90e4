"""A one-minute adversarial-detection check on sklearn's 8x8 digits (no download).

Usage: python benchmarks/adversarial_digits.py [--bandwidth mlcv|median|FLOAT] [--seed 0]

CE and RCE MLP classifiers (64-64 hidden units, 40 epochs) on the first 1,300 digits; the seven
attacks (L-inf ones with eps 0.2) on the next 200; AUC of the confidence, non-ME and K-density
detectors on the rows whose clean version is classified correctly and whose adversarial version is
not (positives = adversarial). Used to compare K-density bandwidth rules on data other than MNIST.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits

from pu_detect import attacks
from pu_detect.adversarial import (ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier,
                                   detection_auc, successful_pairs)

EPS = 0.2
ATTACKS = {
    "FGSM": lambda clf, X, y, seed: attacks.fgsm(clf, X, y, EPS),
    "BIM": lambda clf, X, y, seed: attacks.bim(clf, X, y, EPS),
    "ILCM": lambda clf, X, y, seed: attacks.ilcm(clf, X, EPS),
    "PGD": lambda clf, X, y, seed: attacks.pgd(clf, X, y, EPS, random_state=seed),
    "C&W": lambda clf, X, y, seed: attacks.carlini_wagner(clf, X, y),
    "C&W-hc": lambda clf, X, y, seed: attacks.high_confidence_cw(clf, X, y),
    "JSMA": lambda clf, X, y, seed: attacks.jsma(clf, X, y, random_state=seed),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bandwidth", default="mlcv")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    bandwidth = args.bandwidth if args.bandwidth in ("mlcv", "median") else float(args.bandwidth)
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    X_train, y_train, X_test, y_test = X[:1300], y[:1300], X[1300:1500], y[1300:1500]
    print(f"K-density bandwidth: {args.bandwidth}\n")
    print("| loss | attack | successful | Confidence | non-ME | K-density | seconds |")
    print("|:--|:--|--:|--:|--:|--:|--:|")
    for loss in ("ce", "rce"):
        clf = RCEClassifier(loss=loss, hidden_dims=(64, 64), epochs=40, random_state=args.seed).fit(X_train, y_train)
        detectors = [ConfidenceDetector(clf).fit(X_train), NonMEDetector(clf).fit(X_train),
                     KDensityDetector(clf, bandwidth=bandwidth).fit(X_train, y_train)]
        correct = clf.predict(X_test) == y_test
        for name, attack in ATTACKS.items():
            start = time.perf_counter()
            X_adv = attack(clf, X_test, y_test, args.seed)
            seconds = time.perf_counter() - start
            hit = successful_pairs(clf, X_test, X_adv, y_test)
            aucs = [detection_auc(d, X_test, X_adv, y_test)[0] if hit.sum() >= 2 else np.nan for d in detectors]
            print(f"| {loss.upper()} | {name} | {hit.sum()}/{correct.sum()} | "
                  + " | ".join(f"{100 * a:.1f}" for a in aucs) + f" | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
