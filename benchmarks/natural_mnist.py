"""Natural adversarial examples on MNIST: a VAE as generator and inverter, two black-box classifiers.

Usage: python benchmarks/natural_mnist.py OUT.csv [--seed 0] [--n 20] [--data-dir DIR]

The 7,000 / 3,000 split of the MNIST test set (stratified, --seed); a VAE
(``VAEDetector(likelihood="bernoulli", hidden_dims=(512,), latent_dim=8)``, 50 epochs) on the
training part, its decoder's mean as generator and its encoder's mean as inverter; classifiers: a
random forest (the paper's RF, 100 trees) and a conv net (``RCEClassifier(loss="ce",
architecture="conv")``, 20 epochs: the paper's LeNet). The hybrid shrinking search
(``pu_detect.attacks.natural_adversarial``: step 0.01 as the authors; 1,000 candidates per round
instead of their 5,000, at most 60 rounds) on the first --n correctly classified test digits. Success =
the natural adversary is classified as another digit; its latent distance is reported. Rows go to
OUT.csv and an image grid (originals above their natural adversaries) to OUT's folder as
natural_mnist.png.
"""

import argparse
import csv
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from _paths import add_data_dir_argument, data_dir  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from pu_detect import RCEClassifier, VAEDetector  # noqa: E402
from pu_detect.attacks import natural_adversarial  # noqa: E402
from pu_detect.datasets import load_mnist  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=args.seed)
    vae = VAEDetector(likelihood="bernoulli", hidden_dims=(512,), latent_dim=8, epochs=50,
                      random_state=args.seed).fit(X_train)
    classifiers = {
        "random forest": RandomForestClassifier(n_estimators=100, random_state=args.seed).fit(X_train, y_train),
        "conv net": RCEClassifier(loss="ce", architecture="conv", input_shape=(1, 28, 28), epochs=20,
                                  random_state=args.seed).fit(X_train, y_train),
    }
    rows, grids = [], {}
    for name, clf in classifiers.items():
        correct = clf.predict(X_test) == y_test
        originals, labels = X_test[correct][: args.n], y_test[correct][: args.n]
        start = time.perf_counter()
        X_adv, distances = natural_adversarial(clf, originals, labels, generate=vae.decode, invert=vae.encode,
                                               n_samples=1000, max_rounds=60, random_state=args.seed)
        found = np.isfinite(distances)
        flipped = found & (clf.predict(X_adv) != labels)
        rows.append(dict(seed=args.seed, classifier=name, clean_accuracy=f"{correct.mean():.4f}", n=len(labels),
                         success=f"{flipped.mean():.4f}",
                         mean_latent_distance=f"{distances[found].mean():.3f}" if found.any() else "nan",
                         mean_l2_change=f"{np.linalg.norm(X_adv[found] - originals[found], axis=1).mean():.3f}"
                         if found.any() else "nan",
                         seconds_per_image=f"{(time.perf_counter() - start) / len(labels):.1f}"))
        print(rows[-1], flush=True)
        grids[name] = (originals[:8], X_adv[:8], clf.predict(X_adv[:8]), labels[:8])
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    figure, axes = plt.subplots(2 * len(grids), 8, figsize=(8, 2.2 * len(grids)))
    for g, (name, (originals, adversaries, predicted, labels)) in enumerate(grids.items()):
        for j in range(8):
            for r, (image, title) in enumerate([(originals[j], f"{labels[j]}"), (adversaries[j], f"-> {predicted[j]}")]):
                axis = axes[2 * g + r, j]
                axis.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
                axis.set_title(title, fontsize=8)
                axis.axis("off")
        axes[2 * g, 0].text(-20, 14, name, fontsize=8, rotation=90, va="center")
    figure.suptitle("Originals (with their class) above their natural adversaries (with the class predicted)",
                    fontsize=9)
    figure.tight_layout()
    figure.savefig(Path(args.out).with_name("natural_mnist.png"), dpi=110)


if __name__ == "__main__":
    main()
