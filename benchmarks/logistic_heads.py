"""Logistic losses (OVR, SOVR) on bounded logits: test accuracy on sklearn's digits, by head and bound.

Usage: python benchmarks/logistic_heads.py OUT.csv [--seeds 0] [--epochs 15]

``RobustClassifier`` (the default MLP, no adversarial training) on the first 1,200 rows of sklearn's
digits (pixels / 16), scored on the other 597, for every loss (CE, OVR, SOVR) on the linear head and
on the tanh and bounded heads with ``logit_bound`` 1, 2 and 5. One row per (seed, head, bound, loss);
resumable.
"""

import argparse
import warnings

import torch
from _results import append_row, finished
from sklearn.datasets import load_digits

from pu_detect import RobustClassifier

LOSSES = ("ce", "ovr", "sovr")
HEADS = [("linear", 1.0)] + [(head, bound) for head in ("tanh", "bounded") for bound in (1.0, 2.0, 5.0)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = X / 16
    done = finished(args.out, "seed", "head", "logit_bound", "loss")
    for seed in args.seeds:
        for head, bound in HEADS:
            for loss in LOSSES:
                if (seed, head, str(bound), loss) in done:
                    continue
                clf = RobustClassifier(head=head, logit_bound=bound, loss=loss, epochs=args.epochs, random_state=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the warning for logistic losses on small bounds
                    clf.fit(X[:1200], y[:1200])
                append_row(args.out, dict(seed=seed, head=head, logit_bound=bound, loss=loss,
                                          test_accuracy=f"{clf.score(X[1200:], y[1200:]):.4f}"))


if __name__ == "__main__":
    main()
