"""stAdv on MNIST: targeted success against undefended classifiers, beside Xiao et al.'s 99.95-100%.

Usage: python benchmarks/stadv_mnist.py OUT.csv [--seeds 0] [--n 100] [--taus 0.05 0.005 0] [--data-dir DIR]

Per seed: the 7,000 / 3,000 MNIST split; the default ``RobustClassifier(input_shape=(1, 28, 28))``
(conv net, 30 epochs, no adversarial training) and 0.1.0's small conv net
(``RCEClassifier(loss="ce", architecture="conv")``, 20 epochs); stAdv (``pu_detect.attacks.stadv``,
L-BFGS, 200 iterations, random targets) on the first --n correctly classified test digits, for each
tau. Success = classified as the target. Rows are appended to OUT.csv.
"""

import argparse
import time

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row
from sklearn.model_selection import train_test_split

from pu_detect import RCEClassifier, RobustClassifier, attacks
from pu_detect.datasets import load_mnist

MODELS = {
    "RobustClassifier (conv 32/64/256)": lambda seed: RobustClassifier(input_shape=(1, 28, 28), random_state=seed),
    "small conv (0.1.0)": lambda seed: RCEClassifier(loss="ce", input_shape=(1, 28, 28), architecture="conv",
                                                     random_state=seed),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--taus", type=float, nargs="+", default=[0.05, 0.005, 0.0])
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        for name, make in MODELS.items():
            clf = make(seed).fit(X_train, y_train)
            correct = clf.predict(X_test) == y_test
            X_attack, y_attack = X_test[correct][: args.n], y_test[correct][: args.n]
            targets = (y_attack + np.random.default_rng(seed).integers(1, 10, len(y_attack))) % 10
            for tau in args.taus:
                start = time.perf_counter()
                X_adv = attacks.stadv(clf, X_attack, y_attack, targets=targets, tau=tau)
                row = dict(seed=seed, model=name, clean_accuracy=f"{clf.score(X_test, y_test):.4f}", tau=tau,
                           n=len(X_attack), targeted_success=f"{np.mean(clf.predict(X_adv) == targets):.4f}",
                           misclassified=f"{np.mean(clf.predict(X_adv) != y_attack):.4f}",
                           mean_abs_change=f"{np.abs(X_adv - X_attack).mean():.4f}",
                           seconds=f"{time.perf_counter() - start:.0f}")
                append_row(args.out, row)


if __name__ == "__main__":
    main()
