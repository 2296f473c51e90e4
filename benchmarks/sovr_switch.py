"""SOVR's switching fraction, chosen by measurement: PGD-AT on sklearn's digits with CE, OVR and SOVR.

Usage: python benchmarks/sovr_switch.py OUT.csv [--seeds 0 1 2]

Per seed: a random 1,200 / 597 split of sklearn's digits (scaled to [0, 1]); ``RobustClassifier``
(one hidden layer of 128 units, 40 epochs) trained with PGD at L-inf eps 0.1 and the loss CE, OVR,
or SOVR with switch_fraction 0.1 / 0.25 / 0.5 / 0.75; clean accuracy and robust accuracy on the test
rows under APGD-CE and APGD-T (DLR, 3 targets) at eps 0.1, a row robust only if both fail; and the
10th / 50th percentile of the logit margins of PGD training rows. Rows already in OUT.csv are skipped.
"""

import argparse

import numpy as np
import torch
from _results import append_row, finished
from sklearn.datasets import load_digits

from pu_detect import RobustClassifier, attacks
from pu_detect.losses import logit_margin

ARMS = {"CE": dict(loss="ce"), "OVR": dict(loss="ovr"),
        **{f"SOVR {f}": dict(loss="sovr", switch_fraction=f) for f in (0.1, 0.25, 0.5, 0.75)}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    done = finished(args.out, "arm", "seed")
    for seed in args.seeds:
        order = np.random.default_rng(seed).permutation(len(X))
        train, test = order[:1200], order[1200:]
        for arm, options in ARMS.items():
            if (arm, seed) in done:
                continue
            clf = RobustClassifier(hidden_dims=(128,), epochs=40, adversarial_training="pgd", eps=0.1,
                                   random_state=seed, **options).fit(X[train], y[train])
            ce = clf.predict(attacks.apgd(clf, X[test], y[test], 0.1, random_state=0)) == y[test]
            targeted = clf.predict(attacks.apgd(clf, X[test], y[test], 0.1, loss="dlr", targeted=True,
                                                n_target_classes=3, random_state=0)) == y[test]
            X_pgd = attacks.pgd(clf, X[train], y[train], 0.1, random_state=0)
            margins = logit_margin(torch.as_tensor(clf.logits(X_pgd)), torch.as_tensor(y[train])).numpy()
            row = dict(arm=arm, seed=seed, clean_accuracy=f"{clf.score(X[test], y[test]):.4f}",
                       robust_accuracy=f"{np.mean(ce & targeted):.4f}",
                       margin_p10=f"{np.quantile(margins, 0.1):.3f}", margin_p50=f"{np.quantile(margins, 0.5):.3f}")
            append_row(args.out, row)


if __name__ == "__main__":
    main()
