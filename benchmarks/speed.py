"""Training and scoring speed: pu_detect's Autoencoder vs PyOD's AutoEncoder vs a bare torch loop.

Usage: python benchmarks/speed.py [--rows 10000 100000 1000000] [--repeats 5] [--score-rows 1000000]

All three train the same network, n_features -> 64 -> 8 -> 64 -> n_features with ReLU
(PyOD's builder also puts a ReLU after the 8-unit code; no BatchNorm, no dropout), with Adam
(lr 1e-3, weight decay 1e-3), the same epochs and batch size, one torch thread, on the same
float32 data (uniform rows of a rank-3 structure plus noise, 10 features):
- ``bare``: the floor, a hand-written loop (one shuffle per epoch, index slices, torch.optim.Adam
  with its defaults, MSE); training only, no validation, no scoring.
- ``pu_detect``: ``Autoencoder(...).fit(X)``, which also validates X and scores the training rows.
- ``pyod``: ``pyod.models.auto_encoder.AutoEncoder(...).fit(X)`` with preprocessing off, which also
  scores the training rows.
After one untimed warm-up fit of each, each size runs ``--repeats`` times in rotation (bare, pu_detect, pyod, bare, ...) so that the
machine's load hits all three alike; the table gives medians and the ratios of medians.
Scoring: ``decision_function`` on ``--score-rows`` x 10 rows in a fresh process, wall time (median)
and the process's peak resident memory, with the peak attributable to scoring.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

N_FEATURES, HIDDEN, LATENT, BATCH, LR, WEIGHT_DECAY = 10, 64, 8, 128, 1e-3, 1e-3


def make_data(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    codes = rng.uniform(size=(n_rows, 3))
    X = codes @ rng.normal(size=(3, N_FEATURES)) + 0.05 * rng.normal(size=(n_rows, N_FEATURES))
    return ((X - X.min(0)) / (X.max(0) - X.min(0))).astype(np.float32)


def fit_bare(X, epochs, seed=0):
    generator = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, LATENT),
        torch.nn.Linear(LATENT, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, N_FEATURES),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    data = torch.from_numpy(X)
    for _ in range(epochs):
        shuffled = data[torch.randperm(len(data), generator=generator)]
        for start in range(0, len(data), BATCH):
            batch = shuffled[start : start + BATCH]
            loss = torch.nn.functional.mse_loss(net(batch), batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net


def fit_ours(X, epochs, seed=0):
    from pu_detect import Autoencoder

    return Autoencoder(hidden_dims=(HIDDEN,), latent_dim=LATENT, epochs=epochs, batch_size=BATCH,
                       lr=LR, weight_decay=WEIGHT_DECAY, random_state=seed).fit(X)


def fit_pyod(X, epochs, seed=0):
    from pyod.models.auto_encoder import AutoEncoder

    return AutoEncoder(hidden_neuron_list=[HIDDEN, LATENT], batch_norm=False, dropout_rate=0.0,
                       epoch_num=epochs, batch_size=BATCH, lr=LR, preprocessing=False,
                       optimizer_params={"weight_decay": WEIGHT_DECAY}, device="cpu", verbose=0,
                       random_state=seed).fit(X)


FITS = {"bare": fit_bare, "pu_detect": fit_ours, "pyod": fit_pyod}


def time_fits(n_rows, epochs, repeats):
    X = make_data(n_rows)
    for fit in FITS.values():  # warm-up: imports and first-call costs are not what we measure
        fit(X[:1000], 1)
    seconds = {name: [] for name in FITS}
    for _ in range(repeats):
        for name, fit in FITS.items():
            start = time.perf_counter()
            fit(X, epochs)
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in seconds.items()}


SCORING_CHILD = """
import json, resource, statistics, sys, time
import numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, {here!r})
from speed import make_data
from pu_detect import Autoencoder
model = Autoencoder(hidden_dims=(64,), latent_dim=8, epochs=2, random_state=0).fit(make_data(10000))
X = make_data({n_rows}, seed=1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range({repeats}):
    start = time.perf_counter()
    scores = model.decision_function(X)
    times.append(time.perf_counter() - start)
    del scores
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(seconds=statistics.median(times), peak_mb=peak / 1024,
                      scoring_mb=(peak - before) / 1024, data_mb=X.nbytes / 2**20)))
"""


def time_scoring(n_rows, repeats):
    import os

    code = SCORING_CHILD.format(here=os.path.dirname(os.path.abspath(__file__)), n_rows=n_rows,
                                repeats=repeats)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--epochs", type=int, nargs="+", default=None,
                        help="epochs per size (default: 10, 2, 1 for 10k, 100k, 1M rows)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    epochs = args.epochs or [max(1, min(10, 100_000 // n)) for n in args.rows]
    print(f"torch {torch.__version__}, 1 thread, batch {BATCH}, network {N_FEATURES}-{HIDDEN}-{LATENT}-"
          f"{HIDDEN}-{N_FEATURES}; medians of {args.repeats} runs\n")
    print("| rows | epochs | bare loop s | pu_detect s | PyOD s | pu_detect / bare | PyOD / pu_detect |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for n_rows, n_epochs in zip(args.rows, epochs):
        t = time_fits(n_rows, n_epochs, args.repeats)
        print(f"| {n_rows:,} | {n_epochs} | {t['bare']:.2f} | {t['pu_detect']:.2f} | {t['pyod']:.2f} | "
              f"{t['pu_detect'] / t['bare']:.2f} | {t['pyod'] / t['pu_detect']:.2f} |", flush=True)
    s = time_scoring(args.score_rows, args.repeats)
    print(f"\nScoring {args.score_rows:,} x {N_FEATURES} rows (float32 input, {s['data_mb']:.0f} MB): "
          f"{s['seconds']:.2f} s (median of {args.repeats}); process peak RSS {s['peak_mb']:.0f} MB, "
          f"of which {s['scoring_mb']:.0f} MB above the peak before scoring")


if __name__ == "__main__":
    main()
