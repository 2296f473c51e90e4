"""Compare candidate defaults of our estimators on the tabular PU protocol.

Usage: python benchmarks/defaults_sweep.py OUT.csv [--max-rows 12000] [--seeds 0 1]
       [--models PUAutoencoder PUDeepSVDD] [--configs prior_auto prior_true prior_0.1]
Reads every set of --data-dir (default $PU_DETECT_DATA/adbench) with at most --max-rows rows; resumable.
The config "prior_true" sets prior to the split's true anomaly fraction of the unlabeled rows;
"pretrained_centre" (the hypersphere family) scores the pre-trained encoder's distance to the centre,
skipping the hypersphere epochs, to tell a collapse in training from a centre that is wrong from the start;
"clean_training" fits on the unlabeled rows that are truly normal (an oracle no user has: it measures what
the contamination of the unlabeled rows costs a detector that treats them all as normal).
For PUEnsemble (its mean, cv=None) a config's parameters go to its PUGradientBoosting member, those under "autoencoder"
to its PUAutoencoder member ("default": its default members).
"""

import argparse
import csv
import glob
import os

import torch
from sklearn.utils import Bunch
from _paths import add_data_dir_argument, data_dir

from pu_detect import ABC, Autoencoder, DeepSAD, DeepSVDD, PUAutoencoder, PUDeepSVDD, PUEnsemble, PUGradientBoosting
from pu_detect.bench import evaluate
from pu_detect.datasets import load_npz, pu_split

CONFIGS = {
    "lr1e-4_h64_z8": dict(lr=1e-4, hidden_dims=(64,), latent_dim=8),
    "lr1e-3_h64_z8": dict(lr=1e-3, hidden_dims=(64,), latent_dim=8),
    "lr1e-3_h128-64_z16": dict(lr=1e-3, hidden_dims=(128, 64), latent_dim=16),
    "prior_auto": dict(prior="auto"),
    "prior_0.1": dict(prior=0.1),
    "prior_true": dict(prior="true"),
    "correction_nnpu": dict(correction="nnpu"),
    "epochs200": dict(epochs=200),
    "batch64": dict(batch_size=64),
    "batch256": dict(batch_size=256),
    "wd1e-4": dict(weight_decay=1e-4),
    "wd0": dict(weight_decay=0.0),
    "epochs50": dict(epochs=50),
    "prior_0.2": dict(prior=0.2),
    "prior_0.3": dict(prior=0.3),
    "prior_0.5": dict(prior=0.5),
    "early_stopping": dict(epochs=200, validation_fraction=0.1),
    "lr_milestones": dict(lr_milestones=(0.5, 0.75)),
    # PUEnsemble only: the parameters of its PUAutoencoder member.
    "autoencoder_lr_milestones": dict(autoencoder=dict(lr_milestones=(0.5, 0.75))),
    "lr1e-3": dict(lr=1e-3),
    "lr1e-4": dict(lr=1e-4),
    "pretrained_centre": {},
    "ruff_code": dict(lr=1e-4, weight_decay=5e-7, epochs=150, pretrain_epochs=150),  # Deep SAD code's values
    "clean_training": {},
    "default": {},
    "no_detector_scores": dict(detector_scores=False),  # the boosting family from here on
    "sklearn_trees": dict(max_depth=None, min_samples_leaf=20, l2_regularization=0.0),  # sklearn's defaults
    "min_leaf_1": dict(min_samples_leaf=1),
    "balanced": dict(class_weight="balanced"),
}
CLASSES = {
    "PUAutoencoder": PUAutoencoder,
    "ABC": ABC,
    "Autoencoder": Autoencoder,
    "PUDeepSVDD": PUDeepSVDD,
    "DeepSAD": DeepSAD,
    "DeepSVDD": DeepSVDD,
    "PUGradientBoosting": PUGradientBoosting,
    "PUEnsemble": PUEnsemble,
}


HYPERSPHERE = ("DeepSVDD", "DeepSAD", "PUDeepSVDD")


def without_hypersphere_epochs(cls):
    """``cls`` (DeepSVDD, DeepSAD or PUDeepSVDD) scoring its pre-trained encoder against the centre."""

    class PretrainedCentre(cls):
        def _train(self, module, objective, streams, params, generator, *, epochs, stage="training", callbacks=()):
            if stage == "training":
                return {"loss": []}
            return super()._train(module, objective, streams, params, generator, epochs=epochs, stage=stage,
                                  callbacks=callbacks)

    return PretrainedCentre


def clean_part(split):
    """``split`` with its training rows cut to the unlabeled normal ones (all unlabeled)."""
    normal = (split.y_pu == 0) & (split.y_train == 0)
    return Bunch(X_train=split.X_train[normal], y_pu=split.y_pu[normal], y_train=split.y_train[normal],
                 X_test=split.X_test, y_test=split.y_test)


def true_prior(split):
    unlabeled = split.y_pu == 0
    return float(split.y_train[unlabeled].mean())


def main():
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    add_data_dir_argument(parser, "adbench")
    parser.add_argument("--max-rows", type=int, default=12000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--models", nargs="+", default=["PUAutoencoder"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    args = parser.parse_args()
    not_hypersphere = set(args.models) - set(HYPERSPHERE)
    if "pretrained_centre" in args.configs and not_hypersphere:
        parser.error(f"--configs pretrained_centre needs hypersphere models ({', '.join(HYPERSPHERE)}); "
                     f"got {', '.join(sorted(not_hypersphere))}")
    paths = sorted(glob.glob(os.path.join(data_dir(parser, args), "*.npz")))
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            done = {(r["dataset"], r["model"], r["config"], r["seed"]) for r in csv.DictReader(f)}
    with open(args.out, "a", newline="") as f:
        writer = csv.writer(f)
        if not done:
            writer.writerow(["dataset", "model", "config", "seed", "roc_auc", "average_precision", "fit_seconds", "prior_used", "true_prior"])
        for path in paths:
            X, y = load_npz(path)
            if len(X) > args.max_rows:
                continue
            name = os.path.basename(path)[:-4]
            for seed in args.seeds:
                split = pu_split(X, y, random_state=seed)
                for model in args.models:
                    for config in args.configs:
                        if (name, model, config, str(seed)) in done:
                            continue
                        params = dict(CONFIGS[config])
                        if params.get("prior") == "true":
                            params["prior"] = true_prior(split)
                        cls = CLASSES[model]
                        if config == "pretrained_centre":
                            cls = without_hypersphere_epochs(cls)
                        if model == "PUEnsemble":
                            autoencoder = params.pop("autoencoder", {})
                            est = PUEnsemble([PUAutoencoder(random_state=seed, **autoencoder),
                                              PUGradientBoosting(random_state=seed, **params)],
                                             cv=None, random_state=seed)  # the mean, as when its rows were made
                        else:
                            est = cls(random_state=seed, **params)
                        fit_split = clean_part(split) if config == "clean_training" else split
                        result, fitted = evaluate(model, fit_split, seed, model=est)
                        prior_used = getattr(fitted, "prior_", float("nan"))
                        writer.writerow([name, model, config, seed, f"{result['roc_auc']:.4f}", f"{result['average_precision']:.4f}", f"{result['fit_seconds']:.2f}", f"{prior_used:.4f}", f"{true_prior(split):.4f}"])
                        f.flush()
                        print(name, model, config, seed, f"{result['roc_auc']:.4f}", f"{result['fit_seconds']:.1f}s", flush=True)


if __name__ == "__main__":
    main()
