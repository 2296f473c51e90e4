"""Out-of-distribution detection on MNIST: in-distribution digits 0-4, four out-of-distribution sets.

Usage: python benchmarks/ood_mnist.py OUT.csv [--seeds 0] [--epochs 20] [--data-dir DIR]

Per seed: the 7,000 / 3,000 split of the MNIST test set (stratified); classifiers are trained on the
training part's digits 0-4 (about 3,600 images) and scored on the test part's digits 0-4 (in
distribution) against: its digits 5-9; 1,000 images of uniform noise U[0, 1]; 1,000 of Gaussian noise
N(0.5, 1) clipped to [0, 1]; and sklearn's 1,797 8 x 8 digits (0-16 scaled to [0, 1]) upscaled to 28 x 28
bilinearly. Arms (conv net 32/64 channels, 256 dense units, input_shape (1, 28, 28), --epochs epochs):
cross-entropy + max-softmax (``ConfidenceDetector``) and + ``MahalanobisDetector``;
``ConfidenceCalibratedClassifier`` (joint GAN, beta 1, the paper's lr 2e-4) + max-softmax, also with the
authors' step-size decay (x 0.1 after 60% of the epochs), and with ``outliers="synthetic"`` (out-of-distribution
rows synthesised from each training batch, ``pu_detect.classifiers.synthetic_outliers``); RCE
(``RCEClassifier``'s default ResNet-8) + ``KDensityDetector`` and ``NonMEDetector``. Metrics: TNR at
TPR 95% (``pu_detect.metrics.tnr_at_tpr``), AUROC and AUPR with out-of-distribution as the positive
class. Rows are appended to OUT.csv; finished (seed, arm) pairs are skipped on a rerun.
"""

import argparse
import time

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from sklearn.datasets import load_digits
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

from pu_detect import (ConfidenceCalibratedClassifier, ConfidenceDetector, KDensityDetector, MahalanobisDetector,
                       NonMEDetector, RCEClassifier)
from pu_detect.datasets import load_mnist
from pu_detect.metrics import tnr_at_tpr

CONV = dict(input_shape=(1, 28, 28), hidden_dims=(32, 64, 256))
ARMS = {
    "CE": (lambda seed, epochs: RCEClassifier(loss="ce", architecture="conv", epochs=epochs, random_state=seed,
                                              **CONV),
           {"max-softmax": ConfidenceDetector, "Mahalanobis": MahalanobisDetector}),
    "confidence-calibrated (GAN)": (
        lambda seed, epochs: ConfidenceCalibratedClassifier(epochs=epochs, random_state=seed, **CONV),
        {"max-softmax": ConfidenceDetector}),
    # The authors' schedule for their 100 epochs: the step size x 0.1 after epoch 60.
    "confidence-calibrated (GAN, lr x0.1 at 60%)": (
        lambda seed, epochs: ConfidenceCalibratedClassifier(epochs=epochs, lr_milestones=(0.6,), random_state=seed,
                                                            **CONV),
        {"max-softmax": ConfidenceDetector}),
    # The library's synthesised outliers (features permuted, two classes' images averaged, patches shuffled).
    "confidence-calibrated (synthetic)": (
        lambda seed, epochs: ConfidenceCalibratedClassifier(outliers="synthetic", epochs=epochs, random_state=seed,
                                                            **CONV),
        {"max-softmax": ConfidenceDetector}),
    "RCE (ResNet-8)": (lambda seed, epochs: RCEClassifier(input_shape=(1, 28, 28), epochs=epochs, random_state=seed),
                       {"K-density": KDensityDetector, "non-ME": NonMEDetector}),
}


def out_of_distribution_sets(X_test, y_test, seed):
    rng = np.random.default_rng(seed)
    digits = load_digits().images / 16.0
    upscaled = torch.nn.functional.interpolate(torch.as_tensor(digits[:, None], dtype=torch.float32), size=(28, 28),
                                               mode="bilinear", align_corners=False)
    return {
        "MNIST digits 5-9": X_test[y_test >= 5],
        "uniform noise": rng.uniform(size=(1000, 784)).astype(np.float32),
        "Gaussian noise": np.clip(rng.normal(0.5, 1.0, size=(1000, 784)), 0, 1).astype(np.float32),
        "sklearn digits 28x28": upscaled.reshape(len(digits), 784).clamp(0, 1).numpy(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--arms", nargs="+", default=list(ARMS))
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    done = finished(args.out, "seed", "arm")
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        inside_train, inside_test = y_train < 5, y_test < 5
        X_in, y_in = X_train[inside_train], y_train[inside_train]
        X_in_test, y_in_test = X_test[inside_test], y_test[inside_test]
        ood = out_of_distribution_sets(X_test, y_test, seed)
        for arm in args.arms:
            if (seed, arm) in done:
                continue
            make, detectors = ARMS[arm]
            start = time.perf_counter()
            clf = make(seed, args.epochs).fit(X_in, y_in)
            fit_seconds = time.perf_counter() - start
            accuracy = clf.score(X_in_test, y_in_test)
            for detector_name, detector_class in detectors.items():
                detector = detector_class(clf).fit(X_in, y_in)
                inside_scores = detector.decision_function(X_in_test)
                for ood_name, X_out in ood.items():
                    scores = np.r_[inside_scores, detector.decision_function(X_out)]
                    labels = np.r_[np.zeros(len(inside_scores)), np.ones(len(X_out))]
                    row = dict(seed=seed, arm=arm, detector=detector_name, ood_set=ood_name,
                               in_accuracy=f"{accuracy:.4f}", tnr_at_tpr95=f"{tnr_at_tpr(labels, scores):.4f}",
                               auroc=f"{roc_auc_score(labels, scores):.4f}",
                               aupr=f"{average_precision_score(labels, scores):.4f}",
                               fit_seconds=f"{fit_seconds:.0f}")
                    append_row(args.out, row)


if __name__ == "__main__":
    main()
