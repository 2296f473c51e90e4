"""Cross-check pu_detect.attacks against the Adversarial Robustness Toolbox on the same model.

Usage: python benchmarks/attacks_vs_art.py [--n 300] [--n-cw 30] [--epochs 10] [--seed 0]

Needs ``adversarial-robustness-toolbox`` (``pip install ".[bench]"``). Trains CE and RCE conv
classifiers on the 70% MNIST part (as adversarial_mnist.py does), then runs FGSM (eps 0.3), PGD
(eps 0.3, 40 steps of 0.01875, random start) and C&W-L2 (confidence 0, 5 binary-search steps, 100
iterations) from both libraries on the first --n test images (C&W on the first --n-cw: ART's
C&W took 416 s for 30 images here, ours 18 s), and prints each attack's success
rate (clean-correct rows that become misclassified) and mean L2 / L-inf perturbation. ART attacks
the network through a wrapper that returns the logits the classifier predicts with (-Z for RCE).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from pu_detect import attacks
from pu_detect.adversarial import RCEClassifier, torch_classifier
from _paths import add_data_dir_argument, data_dir
from pu_detect.datasets import load_mnist



class PredictionLogits(torch.nn.Module):
    """The classifier's network returning the logits it predicts with."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.module = model.module

    def forward(self, x):
        return self.model.logits(self.module, x)


def main():
    from art.attacks.evasion import CarliniL2Method, FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification import PyTorchClassifier

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--n-cw", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=args.seed)
    X_test, y_test = X_test[: args.n], y_test[: args.n]
    print("| loss | attack | library | success | mean L2 | mean L-inf | seconds |")
    print("|:--|:--|:--|--:|--:|--:|--:|")
    for loss in ("ce", "rce"):
        clf = RCEClassifier(loss=loss, input_shape=(1, 28, 28), epochs=args.epochs, random_state=args.seed)
        clf.fit(X_train, y_train)
        network = PredictionLogits(torch_classifier(clf)).eval()
        art_model = PyTorchClassifier(network, loss=torch.nn.CrossEntropyLoss(), input_shape=(784,),
                                      nb_classes=10, clip_values=(0.0, 1.0), device_type="cpu")
        runs = {
            "FGSM": (lambda: attacks.fgsm(clf, X_test, y_test, 0.3),
                     lambda: FastGradientMethod(art_model, eps=0.3).generate(X_test, y=y_test)),
            "PGD": (lambda: attacks.pgd(clf, X_test, y_test, 0.3, steps=40, random_state=args.seed),
                    lambda: ProjectedGradientDescent(art_model, eps=0.3, eps_step=2.5 * 0.3 / 40, max_iter=40,
                                                     num_random_init=1, verbose=False).generate(X_test, y=y_test)),
            "C&W-L2": (lambda: attacks.carlini_wagner(clf, X_cw, y_cw, binary_search_steps=5, max_iter=100),
                       lambda: CarliniL2Method(art_model, confidence=0.0, binary_search_steps=5, max_iter=100,
                                               learning_rate=0.05, initial_const=1.0,
                                               verbose=False).generate(X_cw, y=y_cw)),
        }
        X_cw, y_cw = X_test[: args.n_cw], y_test[: args.n_cw]
        for attack, implementations in runs.items():
            X_clean, y_clean = (X_cw, y_cw) if attack == "C&W-L2" else (X_test, y_test)
            correct = clf.predict(X_clean) == y_clean
            for library, run in zip(("pu_detect", "ART"), implementations):
                start = time.perf_counter()
                X_adv = np.asarray(run(), dtype=np.float32)
                seconds = time.perf_counter() - start
                hit = correct & (clf.predict(X_adv) != y_clean)
                delta = (X_adv - X_clean)[hit]
                l2 = np.linalg.norm(delta, axis=1).mean() if hit.any() else np.nan
                linf = np.abs(delta).max(axis=1).mean() if hit.any() else np.nan
                print(f"| {loss.upper()} | {attack} | {library} | {hit.sum()}/{correct.sum()} | {l2:.3f} | "
                      f"{linf:.3f} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
