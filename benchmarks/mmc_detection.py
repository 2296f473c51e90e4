"""Does Max-Mahalanobis training help detection? MMC features against RCE + K-density on MNIST.

Usage: python benchmarks/mmc_detection.py OUT.csv [--seeds 0] [--n-attack 1000] [--n-costly 300] [--data-dir DIR]

Per seed: the 7,000 / 3,000 split of the MNIST test set (stratified). Classifiers: RCE (the default
``RCEClassifier(input_shape=(1, 28, 28))``, ResNet-8, 20 epochs), the MMC network
(``RobustClassifier(loss="mmc", head="max_mahalanobis", input_shape=(1, 28, 28))``: the default conv
net, centres of radius 10, 30 epochs) and, for reference, cross-entropy on the same conv net.
Detectors fitted on the clean training part: K-density (``KDensityDetector``), the nearest-centre
distance (``MaxLogitDetector``: ``min_i ||z - mu_i||^2`` for MMC, minus the largest logit otherwise) and
``MahalanobisDetector``. Attacks on each classifier (not adaptive to the detector): FGSM, BIM and ILCM at
eps 0.16 (10 steps) on the first --n-attack test images, C&W-L2 on the first --n-costly. AUC on the
successful pairs (``pu_detect.adversarial.detection_auc``). Rows are appended to OUT.csv; finished
(seed, classifier) pairs are skipped on a rerun.
"""

import argparse
import time

import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from sklearn.model_selection import train_test_split

from pu_detect import (KDensityDetector, MahalanobisDetector, MaxLogitDetector, RCEClassifier, RobustClassifier,
                       attacks)
from pu_detect.adversarial import detection_auc
from pu_detect.datasets import load_mnist

EPS = 0.16
CLASSIFIERS = {
    "RCE (ResNet-8)": lambda seed: RCEClassifier(input_shape=(1, 28, 28), random_state=seed),
    "MMC (conv)": lambda seed: RobustClassifier(loss="mmc", head="max_mahalanobis", input_shape=(1, 28, 28),
                                                random_state=seed),
    "CE (conv)": lambda seed: RobustClassifier(input_shape=(1, 28, 28), random_state=seed),
}
DETECTORS = {"K-density": KDensityDetector, "nearest centre / max logit": MaxLogitDetector,
             "Mahalanobis": MahalanobisDetector}
ATTACKS = {
    "FGSM": (lambda clf, X, y: attacks.fgsm(clf, X, y, EPS), False),
    "BIM": (lambda clf, X, y: attacks.bim(clf, X, y, EPS, steps=10), False),
    "ILCM": (lambda clf, X, y: attacks.ilcm(clf, X, EPS, steps=10), False),
    "C&W": (lambda clf, X, y: attacks.carlini_wagner(clf, X, y), True),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-attack", type=int, default=1000)
    parser.add_argument("--n-costly", type=int, default=300)
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    done = finished(args.out, "seed", "classifier")
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        for name, make in CLASSIFIERS.items():
            if (seed, name) in done:
                continue
            start = time.perf_counter()
            clf = make(seed).fit(X_train, y_train)
            fit_seconds = time.perf_counter() - start
            detectors = {d: cls(clf).fit(X_train, y_train) for d, cls in DETECTORS.items()}
            accuracy = clf.score(X_test, y_test)
            for attack, (run, costly) in ATTACKS.items():
                n = args.n_costly if costly else args.n_attack
                rows, labels = X_test[:n], y_test[:n]
                X_adv = run(clf, rows, labels)
                for detector_name, detector in detectors.items():
                    auc, pairs = detection_auc(detector, rows, X_adv, labels)
                    row = dict(seed=seed, classifier=name, clean_accuracy=f"{accuracy:.4f}", attack=attack,
                               detector=detector_name, auc=f"{auc:.4f}", successful_pairs=pairs,
                               fit_seconds=f"{fit_seconds:.0f}")
                    append_row(args.out, row)


if __name__ == "__main__":
    main()
