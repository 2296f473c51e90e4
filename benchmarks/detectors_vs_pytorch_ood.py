"""Cross-check the max-softmax and Mahalanobis scores against the ``pytorch-ood`` package.

Usage: python benchmarks/detectors_vs_pytorch_ood.py [--epochs 20] [--seed 0]

Needs ``pytorch-ood`` (tested with 0.4.0: ``pip install --no-deps pytorch-ood``). Its package
imports ``torchvision`` at import time, for models and transforms that this check does not use;
where no ``torchvision`` loads beside the installed torch (as on the CPU build this project pins),
the script puts empty stand-ins for those modules in ``sys.modules`` before importing it.

On scikit-learn's 8 x 8 digits (no download): a cross-entropy ``RCEClassifier(loss="ce")`` MLP
trained on digits 0-4 of the first 1,200 rows; in distribution at test: digits 0-4 of the other
rows; out of distribution: their digits 5-9 and 300 uniform-noise images. Prints how far our scores
are from pytorch-ood's on the same network (max-softmax; Mahalanobis on the penultimate features
and on the logits) and each implementation's AUROC (out of distribution as the positive class).
"""

import argparse
import importlib.util
import sys
import types

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

from pu_detect import ConfidenceDetector, MahalanobisDetector, RCEClassifier


def import_pytorch_ood():
    """``pytorch_ood.detector``, with ``torchvision`` stood in for where it does not load."""
    try:
        import torchvision  # noqa: F401
    except Exception:  # a torchvision built for another torch fails at import with a RuntimeError
        for name in ("torchvision", "torchvision.transforms", "torchvision.models", "torchvision.models.resnet"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]
        sys.modules["torchvision.transforms"].Compose = object
        resnet = sys.modules["torchvision.models.resnet"]
        resnet.BasicBlock = resnet.Bottleneck = resnet.ResNet = object
    from pytorch_ood import detector

    return detector


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if importlib.util.find_spec("pytorch_ood") is None:
        parser.error("needs pytorch-ood: pip install --no-deps pytorch-ood")
    torch.set_num_threads(1)
    detector = import_pytorch_ood()

    X, y = load_digits(return_X_y=True)
    X = X / 16
    train = np.arange(len(X)) < 1200
    known = y < 5
    X_fit, y_fit = X[train & known], y[train & known]
    sets = {"digits 5-9": X[~train & ~known],
            "uniform noise": np.random.default_rng(args.seed).uniform(size=(300, X.shape[1]))}
    X_in = X[~train & known]
    clf = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=args.epochs, random_state=args.seed).fit(X_fit, y_fit)
    print(f"in-distribution accuracy {clf.score(X_in, y[~train & known]):.3f}")

    module = clf.module_.eval()
    outliers = np.r_[tuple(sets.values())]
    everything = np.r_[X_in, outliers]

    def tensor(A):
        return torch.as_tensor(A, dtype=torch.float32)

    def compare(title, ours, reference, scale=1.0):
        """Our detector's scores against ``reference(rows)``, pytorch-ood's (times ``scale``)."""
        a, b = ours.decision_function(everything), scale * reference(everything)
        line = (f"{title}: max relative difference {np.max(np.abs(a - b) / np.abs(a)):.2e}, "
                f"Spearman {spearmanr(a, b)[0]:.4f}; AUROC ours / pytorch-ood:")
        start = len(X_in)
        for set_name, X_out in sets.items():
            rows = np.r_[np.arange(len(X_in)), np.arange(start, start + len(X_out))]
            labels = np.r_[np.zeros(len(X_in)), np.ones(len(X_out))]
            line += f" {set_name} {roc_auc_score(labels, a[rows]):.4f} / {roc_auc_score(labels, b[rows]):.4f};"
            start += len(X_out)
        print(line)

    with torch.no_grad():
        compare("max-softmax", ConfidenceDetector(clf).fit(X_fit, y_fit),
                lambda A: detector.MaxSoftmax(None).predict_logits(module(tensor(A))).numpy())
        for name, layer in {"penultimate features": lambda m, x: m.features(x), "logits": lambda m, x: m(x)}.items():
            features = layer(module, tensor(X_fit))
            rank = np.linalg.matrix_rank(np.cov(features.double().numpy().T))
            reference = detector.Mahalanobis(None).fit_features(features, torch.as_tensor(y_fit))
            # pytorch-ood 0.4.0 scores half the distance under the inverse of the unnormalised scatter
            # matrix plus a 1e-6 ridge: ours / (2 N) where the covariance has full rank.
            compare(f"Mahalanobis on the {name} ({features.shape[1]} features, covariance rank {rank})",
                    MahalanobisDetector(clf, features=layer).fit(X_fit, y_fit),
                    lambda A: reference.predict_features(layer(module, tensor(A))).numpy(), scale=2 * len(X_fit))

if __name__ == "__main__":
    main()
