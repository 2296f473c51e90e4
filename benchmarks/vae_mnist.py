"""Test log-likelihood on binarised MNIST: the standard normal prior against the implicit optimal prior.

Usage: python benchmarks/vae_mnist.py OUT.csv [--seeds 0 1 2] [--epochs 100] [--eval-samples K] [--row-nll DIR]
       [--normalise] [--data-dir DIR]

Per seed: the 7,000 / 3,000 split of the MNIST test set (stratified), pixels binarised at 0.5;
``VAEDetector(likelihood="bernoulli", hidden_dims=(500, 500), latent_dim=40)`` (the paper's widths and
latent size, ReLU instead of tanh), Adam lr 1e-3, batch 100, up to --epochs epochs with early stopping on
10% of the training rows (patience 10); ``latent_prior="standard"`` and ``"implicit"`` (T trained 10
epochs after each VAE epoch, as in the authors' code). The test log-likelihood is the mean of
``-decision_function`` (importance sampling, k = 10 as in the authors' code) in nats, with the
implicit prior N(z; 0, I) exp(T(z)) taken as normalised, as the authors do; log_prior_normaliser is the
Monte Carlo estimate of log E_N(0,I)[exp T] (0 for an exact T), reported as a diagnostic. ``--eval-samples K`` adds
``test_nll_eval``: the same estimate with K importance samples per row (K = 5,000 in Burda et al.'s evaluation),
a tighter bound on the model's own likelihood, drawn once per model from the seed. Rows are appended to OUT.csv
(write rows with and without --eval-samples to different files: their columns differ); finished (seed, prior)
pairs are skipped on a rerun. ``--row-nll DIR`` also saves each model's per-row test NLL (with K samples where
given) as ``DIR/seed{S}_{prior}.npy`` and prints, for every seed with both priors there, the mean paired
difference (implicit minus standard) and its standard error over the test rows: how far the test set alone
can move a seed's comparison. ``--normalise`` adds ``log_prior_normaliser_mixture``: log Z from
N_DRAWS = 20 calls of ``VAEDetector.log_prior_normaliser(X_train)`` (defensive importance sampling from N(0, I)
and the training rows' posteriors, 32,768 draws each), pooled as the log of the mean of their Z estimates;
``_sd``: the spread of one call's log Z and ``test_nll_normalised``: the test NLL (with K samples
where given) under the normalised prior N(z; 0, I) exp(T(z)) / Z, a density that integrates to 1 (0 for the
standard prior).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _paths import add_data_dir_argument, data_dir
from _results import append_row, finished
from sklearn.model_selection import train_test_split

from pu_detect import VAEDetector
from pu_detect.datasets import load_mnist
from pu_detect.utils.files import atomic_write

#: Calls of log_prior_normaliser pooled per model under --normalise.
N_DRAWS = 20


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir_argument(parser, "mnist")
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--eval-samples", type=int, default=None,
                        help="also report the test NLL with this many importance samples")
    parser.add_argument("--normalise", action="store_true",
                        help="also estimate log Z of the implicit prior and the normalised test NLL")
    parser.add_argument("--row-nll", type=Path, default=None, help="save per-row test NLLs here and compare them")
    args = parser.parse_args()
    mnist = data_dir(parser, args)
    torch.set_num_threads(1)
    X, y = load_mnist(mnist / "t10k-images-idx3-ubyte.gz", mnist / "t10k-labels-idx1-ubyte.gz")
    X = (X >= 0.5).astype(np.float32)
    done = finished(args.out, "seed", "latent_prior")
    for seed in args.seeds:
        X_train, X_test = train_test_split(X, test_size=0.3, stratify=y, random_state=seed)
        for prior in ("standard", "implicit"):
            if (seed, prior) in done:
                continue
            start = time.perf_counter()
            det = VAEDetector(likelihood="bernoulli", hidden_dims=(500, 500), latent_dim=40, latent_prior=prior,
                              epochs=args.epochs, batch_size=100, validation_fraction=0.1, random_state=seed)
            det.fit(X_train)
            history = det.history_
            test_nll = det.decision_function(X_test)
            row = dict(seed=seed, latent_prior=prior, epochs_run=len(history["loss"]),
                       best_epoch=history["best_epoch"] + 1, train_nll=f"{det.decision_scores_.mean():.3f}",
                       test_nll=f"{test_nll.mean():.3f}",
                       final_density_ratio_loss=f"{history.get('density_ratio_loss', [float('nan')])[-1]:.4f}",
                       log_prior_normaliser=f"{float(det.module_.log_prior_normaliser):.3f}",
                       seconds=f"{time.perf_counter() - start:.0f}")
            if args.eval_samples:
                det.module_.draw_importance_noise(torch.Generator().manual_seed(seed), n_samples=args.eval_samples)
                test_nll = det.decision_function(X_test)
                row.update(eval_samples=args.eval_samples, test_nll_eval=f"{test_nll.mean():.3f}")
            if args.normalise:
                draws = np.array([det.log_prior_normaliser(X_train, random_state=draw) for draw in range(N_DRAWS)])
                pooled = np.logaddexp.reduce(draws) - np.log(N_DRAWS)  # log of the mean of the unbiased Z estimates
                row.update(log_prior_normaliser_mixture=f"{pooled:.3f}",
                           log_prior_normaliser_mixture_sd=f"{np.std(draws, ddof=1):.3f}",
                           test_nll_normalised=f"{test_nll.mean() + pooled:.3f}")
            if args.row_nll:
                args.row_nll.mkdir(parents=True, exist_ok=True)
                with atomic_write(args.row_nll / f"seed{seed}_{prior}.npy") as handle:
                    np.save(handle, test_nll)
            append_row(args.out, row)
    if args.row_nll:
        print_paired_differences(args.row_nll)


def print_paired_differences(directory):
    """Per seed with both priors' rows saved: the mean per-row NLL difference (implicit minus standard) and its SE."""
    for standard in sorted(directory.glob("seed*_standard.npy")):
        implicit = standard.with_name(standard.name.replace("_standard", "_implicit"))
        if implicit.exists():
            difference = np.load(implicit) - np.load(standard)
            print(f"{standard.name.split('_')[0]}: implicit minus standard {difference.mean():+.3f} nats "
                  f"(SE over {len(difference)} test rows {difference.std(ddof=1) / np.sqrt(len(difference)):.3f})")


if __name__ == "__main__":
    main()
