"""The adversarial MNIST protocol: detecting adversarial MNIST digits with RCE vs CE training (Pang et al., 2018).

Usage:
    python benchmarks/adversarial_mnist.py OUT_DIR [--n-attack 1000] [--epochs 20] [--seed 0]

Reads --data-dir (default $PU_DETECT_DATA/mnist: the 10,000-image MNIST test set): a stratified 70/30 split; CE and RCE
conv classifiers (RCEClassifier, input_shape (1, 28, 28)) trained on the 70% part; attacks on the
first --n-attack rows of the 30% part; the confidence, non-ME and K-density detectors fitted on the
clean 70% part. AUC as in the paper: only rows whose clean version is classified correctly and
whose adversarial version is misclassified; positives = adversarial, negatives = their clean
versions. Writes OUT_DIR/auc.csv, OUT_DIR/auc.md (ours beside the published MNIST numbers where
Pang et al. published them) and OUT_DIR/histograms.png (non-ME and K-density scores, clean vs
adversarial, for high-confidence C&W). "C&W-KD" is the adaptive attack (pu_detect.attacks.kdensity_cw)
against the fitted K-density detector; the table also counts how many successful adversarial rows
stay under the K-density threshold (calibrated at 5% false positives on clean training rows).
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from pu_detect import attacks
from pu_detect.adversarial import (ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier,
                                   detection_auc, successful_pairs)
from _paths import add_data_dir_argument, data_dir
from pu_detect.datasets import load_mnist

EPS = 0.3  # L-inf budget of the gradient attacks (the usual MNIST setting)
ATTACKS = {
    "FGSM": lambda clf, X, y, seed: attacks.fgsm(clf, X, y, EPS),
    "BIM": lambda clf, X, y, seed: attacks.bim(clf, X, y, EPS),
    "ILCM": lambda clf, X, y, seed: attacks.ilcm(clf, X, EPS),
    "PGD": lambda clf, X, y, seed: attacks.pgd(clf, X, y, EPS, random_state=seed),
    "JSMA": lambda clf, X, y, seed: attacks.jsma(clf, X, y, random_state=seed),
    "C&W": lambda clf, X, y, seed: attacks.carlini_wagner(clf, X, y),
    "C&W-hc": lambda clf, X, y, seed: attacks.high_confidence_cw(clf, X, y),
    # The adaptive attack: knows the fitted K-density detector (passed in by main).
    "C&W-KD": lambda clf, X, y, seed, detector: attacks.kdensity_cw(clf, detector, X, y),
}
DETECTORS = {"Confidence": ConfidenceDetector, "non-ME": NonMEDetector, "K-density": KDensityDetector}
#: Pang et al. 2018, MNIST, their table of AUC-scores: (attack, loss, detector) -> AUC %.
PUBLISHED = {
    ("FGSM", "ce", "K-density"): 98.8, ("FGSM", "rce", "K-density"): 99.4,
    ("C&W-hc", "ce", "non-ME"): 40.0, ("C&W-hc", "rce", "non-ME"): 93.4,
    ("C&W-hc", "ce", "K-density"): 91.1, ("C&W-hc", "rce", "K-density"): 99.6,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out", type=Path)
    parser.add_argument("--n-attack", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--attacks", nargs="+", default=list(ATTACKS), choices=list(ATTACKS))
    parser.add_argument("--losses", nargs="+", default=["ce", "rce"], choices=["ce", "rce"])
    parser.add_argument("--kd-bandwidth-multiples", type=float, nargs="*", default=[],
                        help="also report K-density with sigma^2 = m x the median heuristic's, for each m")
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=args.seed)
    X_attack, y_attack = X_test[: args.n_attack], y_test[: args.n_attack]
    rows, kept = [], {}
    for loss in args.losses:
        start = time.perf_counter()
        clf = RCEClassifier(loss=loss, input_shape=(1, 28, 28), epochs=args.epochs, random_state=args.seed)
        clf.fit(X_train, y_train)
        accuracy = clf.score(X_test, y_test)
        print(f"{loss}: clean test accuracy {accuracy:.4f} ({len(X_test)} images), "
              f"fit {time.perf_counter() - start:.0f} s", flush=True)
        detectors = {name: D(clf).fit(X_train, y_train) for name, D in DETECTORS.items()}
        median = KDensityDetector(clf, bandwidth="median").fit(X_train, y_train).bandwidth_
        for m in args.kd_bandwidth_multiples:
            detectors[f"K-density x{m:g}"] = KDensityDetector(clf, bandwidth=m * median).fit(X_train, y_train)
        print(f"{loss}: K-density bandwidth sigma^2 = {detectors['K-density'].bandwidth_:.4g} (maximum-likelihood "
              f"cross-validation; the median heuristic's: {median:.4g})", flush=True)
        clean_correct = clf.predict(X_attack) == y_attack
        for attack in args.attacks:
            start = time.perf_counter()
            extra = (detectors["K-density"],) if attack == "C&W-KD" else ()
            X_adv = ATTACKS[attack](clf, X_attack, y_attack, args.seed, *extra)
            seconds = time.perf_counter() - start
            hit = successful_pairs(clf, X_attack, X_adv, y_attack)
            evaded = detectors["K-density"].predict(X_adv) == 0  # under the threshold at 5% clean FPR
            row = dict(attack=attack, loss=loss, clean_accuracy=accuracy, n_attacked=len(X_attack),
                       n_successful=int(hit.sum()), n_evading_kdensity=int((hit & evaded).sum()),
                       attack_seconds=seconds,
                       mean_l2=float(np.linalg.norm(X_adv - X_attack, axis=1)[hit].mean()) if hit.any() else np.nan)
            for name, detector in detectors.items():
                row[name] = np.nan
                if hit.sum() >= 2:  # an AUC needs successful adversarial examples
                    row[name] = detection_auc(detector, X_attack, X_adv, y_attack)[0]
                    kept[attack, loss, name] = (detector.decision_function(X_attack[hit]),
                                                detector.decision_function(X_adv[hit]))
            rows.append(row)
            print(attack, loss, f"{hit.sum()}/{clean_correct.sum()} successful "
                  f"({row['n_evading_kdensity']} also under the K-density threshold), {seconds:.0f} s,",
                  ", ".join(f"{d} {row[d]:.3f}" for d in detectors), flush=True)
    with open(args.out / "auc.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| attack | loss | successful | under KD threshold | Confidence | non-ME | K-density | published non-ME | published K-density |",
             "|:--|:--|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        cells = [f"{100 * r[d]:.1f}" if np.isfinite(r[d]) else "—" for d in DETECTORS]
        published = [f"{PUBLISHED[r['attack'], r['loss'], d]:.1f}" if (r["attack"], r["loss"], d) in PUBLISHED
                     else "" for d in ("non-ME", "K-density")]
        lines.append(f"| {r['attack']} | {r['loss'].upper()} | {r['n_successful']}/{r['n_attacked']} | "
                     f"{r['n_evading_kdensity']} | "
                     + " | ".join(cells + published) + " |")
    (args.out / "auc.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot(kept, args.out / "histograms.png")


def plot(kept, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    attack = "C&W-hc" if any(k[0] == "C&W-hc" for k in kept) else next(iter(kept))[0]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
    for i, loss in enumerate(("ce", "rce")):
        for j, detector in enumerate(("non-ME", "K-density")):
            ax = axes[i, j]
            if (attack, loss, detector) not in kept:
                ax.set_axis_off()
                continue
            clean, adv = kept[attack, loss, detector]
            both = np.r_[clean, adv]
            bins = np.linspace(both.min(), both.max(), 40) if len(both) else 10
            ax.hist(clean, bins=bins, alpha=0.6, label=f"clean (n={len(clean)})", color="tab:blue")
            ax.hist(adv, bins=bins, alpha=0.6, label=f"{attack} adversarial", color="tab:red")
            ax.set(title=f"{loss.upper()} classifier, {detector} score", xlabel="score (higher = more adversarial)")
            ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
