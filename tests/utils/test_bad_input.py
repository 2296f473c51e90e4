"""The reliability suite: bad or unusual input to every public function gets a clear error naming it.

Part one is generated, in the spirit of sklearn's ``test_public_functions``:
every numeric keyword of every public function listed below gets a string,
NaN and infinity, and must raise a ``ValueError`` or ``TypeError`` whose
message names that keyword. Part two is the cases found by hand, each a
silent wrong answer or a crash deep inside numpy or torch before.
"""

import inspect
import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from pu_detect import (ABC, Autoencoder, DeepSAD, DeepSVDD, KDensityDetector, NonMEDetector, PUAutoencoder,
                       PUDeepSVDD, RCEClassifier, attacks)
from pu_detect.adversarial.adaptive import kdensity_cw
from pu_detect.anomaly.prior import best_bin_estimate, estimate_prior
from pu_detect.datasets import load_npz, mnist_pu_split, pu_split
from pu_detect.metrics import pu_roc_auc, true_roc_auc

RNG = np.random.default_rng(0)
X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = (X_DIGITS / 16).astype(np.float32)


def _classifier():
    return RCEClassifier(loss="ce", hidden_dims=(16,), epochs=2, random_state=0).fit(X_DIGITS[:300], Y_DIGITS[:300])


CLF = _classifier()
KD = KDensityDetector(CLF).fit(X_DIGITS[:300], Y_DIGITS[:300])
X_TAB = RNG.uniform(size=(60, 3))
Y_TAB = (np.arange(60) < 12).astype(int)
MNIST_LIKE = RNG.uniform(size=(400, 4)).astype(np.float32), np.repeat(np.arange(10), 40)

#: Public function -> the valid arguments it is called with (keywords are replaced one at a time).
CALLS = {
    attacks.fgsm: ((CLF, X_DIGITS[:4], Y_DIGITS[:4]), dict(eps=0.1)),
    attacks.bim: ((CLF, X_DIGITS[:4], Y_DIGITS[:4]), dict(eps=0.1)),
    attacks.ilcm: ((CLF, X_DIGITS[:4]), dict(eps=0.1)),
    attacks.pgd: ((CLF, X_DIGITS[:4], Y_DIGITS[:4]), dict(eps=0.1)),
    attacks.carlini_wagner: ((CLF, X_DIGITS[:4], Y_DIGITS[:4]), dict(max_iter=2, binary_search_steps=1)),
    attacks.jsma: ((CLF, X_DIGITS[:4], Y_DIGITS[:4]), {}),
    kdensity_cw: ((CLF, KD, X_DIGITS[:4], Y_DIGITS[:4]), dict(max_iter=2, binary_search_steps=1)),
    pu_split: ((X_TAB, Y_TAB), {}),
    mnist_pu_split: ((*MNIST_LIKE, 3), dict(n_test_anomalies=5)),
    best_bin_estimate: (([0.1, 0.5, 0.2], [0.9, 0.7]), {}),
    estimate_prior: ((X_TAB[12:], X_TAB[:12]), {}),
    true_roc_auc: ((0.8, 0.1), {}),
}
#: Numeric keywords that accept any real number (no bad value among the probes below).
ANY_REAL = {"margin"}
#: Numeric keywords without a numeric default (required, or None for "derived"), probed too.
WITHOUT_NUMERIC_DEFAULT = {
    attacks.fgsm: ["eps"], attacks.bim: ["eps", "step_size"], attacks.ilcm: ["eps", "step_size"],
    attacks.pgd: ["eps", "step_size"],
}


def _numeric_keywords(function):
    for name, parameter in inspect.signature(function).parameters.items():
        default = parameter.default
        if name in ANY_REAL or isinstance(default, bool):
            continue
        if isinstance(default, (int, float)) and parameter.kind is not parameter.VAR_KEYWORD:
            yield name


GENERATED = [(f, name) for f in CALLS for name in [*_numeric_keywords(f), *WITHOUT_NUMERIC_DEFAULT.get(f, [])]]


@pytest.mark.parametrize("function, keyword", GENERATED, ids=[f"{f.__name__}-{k}" for f, k in GENERATED])
@pytest.mark.parametrize("bad", ["many", math.nan, math.inf, -math.inf])
def test_every_numeric_keyword_is_checked(function, keyword, bad):
    args, kwargs = CALLS[function]
    with pytest.raises((ValueError, TypeError), match=rf"\b{keyword}\b"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            function(*args, **{**kwargs, keyword: bad})


def test_the_generated_suite_covers_every_keyword_it_should():
    assert len(GENERATED) >= 40  # eps, steps, step_size, kappa, ... across the listed functions
    assert all(CALLS[f][0] is not None for f in CALLS)


# --- cases found by hand -------------------------------------------------------------------

DETECTORS = [Autoencoder, ABC, PUAutoencoder, DeepSVDD, DeepSAD, PUDeepSVDD]
TINY = dict(hidden_dims=(4,), latent_dim=2, epochs=1, random_state=0)


@pytest.mark.parametrize("Detector", DETECTORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("X, match", [
    (np.array(["2020-01-01"] * 90, dtype="datetime64[D]").reshape(30, 3), "X must be numeric or boolean values; got 'an array of datetimes"),
    (RNG.uniform(size=(30, 3)) + 1j, "Complex data not supported"),
    (np.ma.array(RNG.uniform(size=(30, 3)), mask=np.eye(30, 3, dtype=bool)), "mask of a masked array would be ignored"),
    ([[0.1, 0.2], [0.3]], "X must be a rectangular array-like of numbers"),
    (np.array([["a", "b", "c"]] * 30), "an array of strings"),
], ids=["datetime", "complex", "masked", "ragged", "strings"])
def test_inputs_numpy_would_misread_are_refused(Detector, X, match):
    with pytest.raises(ValueError, match=match):
        Detector(**TINY).fit(X)


def test_pandas_datetime_columns_and_reordered_anomaly_columns_are_refused():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"when": pd.date_range("2020", periods=30, tz="UTC"), "x": np.arange(30.0)})
    with pytest.raises(ValueError, match="X must be numeric or boolean columns; got \"column 'when' of datetimes\""):
        PUAutoencoder(**TINY).fit(frame)
    X = pd.DataFrame(RNG.uniform(size=(30, 3)), columns=["a", "b", "c"])
    with pytest.raises(ValueError, match="X_anom must be columns named as X's, in X's order"):
        PUAutoencoder(**TINY).fit(X, X.iloc[:4][["c", "b", "a"]])
    assert len(PUAutoencoder(**TINY).fit(X, X.iloc[:4]).decision_scores_) == 34


def test_a_tensor_that_requires_grad_is_taken():
    X = torch.rand(30, 3, requires_grad=True)
    model = PUAutoencoder(**TINY).fit(X, torch.rand(4, 3, requires_grad=True))
    assert model.decision_function(X).shape == (30,)


@pytest.mark.parametrize("y, match", [
    (np.zeros(30) + 0j, "Complex data not supported"),
    (np.array(["2020-01-01"] * 30, dtype="datetime64[D]"), "an array of datetimes"),
])
def test_complex_and_datetime_labels_are_refused(y, match):
    with pytest.raises(ValueError, match=f"y must be .*{match}"):
        PUAutoencoder(**TINY).fit(RNG.uniform(size=(30, 3)), y)


@pytest.mark.parametrize("Detector", [DeepSVDD, DeepSAD, PUDeepSVDD], ids=lambda c: c.__name__)
def test_batch_normalisation_never_sees_one_row(Detector):
    X = RNG.uniform(size=(30, 3))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 2 for a network with batch normalisation"):
        Detector(batch_size=1, **TINY).fit(X)
    with pytest.raises(ValueError, match="needs at least 2 training rows after validation_fraction=0.5"):
        Detector(validation_fraction=0.5, pretrain_epochs=0, **TINY).fit(X[:2])


def test_network_size_conv_hidden_dims_and_device_are_named():
    X = RNG.uniform(size=(30, 4))
    with pytest.raises(ValueError, match="parameters, more than .* lower hidden_dims, latent_dim"):
        Autoencoder(hidden_dims=(4,), latent_dim=10**9, epochs=1).fit(X)
    with pytest.raises(ValueError, match="hidden_dims must be at least one channel count"):
        Autoencoder(hidden_dims=(), input_shape=(1, 2, 2), epochs=1).fit(X)
    for device in ("meta", "tpu", "cuda:99"):
        with pytest.raises(ValueError, match="device must be"):
            Autoencoder(epochs=1, device=device).fit(X)
    with pytest.raises(ValueError, match="hidden_dims must be None or a non-empty sequence"):
        RCEClassifier(hidden_dims=()).fit(X_DIGITS[:50], Y_DIGITS[:50])


def test_contamination_as_a_numpy_float_and_prior_auto_without_data():
    X = RNG.uniform(size=(30, 3))
    model = Autoencoder(contamination=np.float32(0.2), **TINY).fit(X)
    assert model.labels_.sum() == 6
    detector = NonMEDetector(CLF, contamination=np.float64(0.1)).fit(X_DIGITS[:100])
    assert detector.labels_.sum() == 10
    with pytest.raises(ValueError, match="prior must be a number when there are fewer than 2 unlabeled rows"):
        PUAutoencoder(prior="auto", **TINY).fit(X[:1], X[1:4])


def test_a_validation_split_without_rows_is_an_error_not_nan():
    with pytest.raises(ValueError, match="validation_fraction=0.5 needs at least 2 training rows"):
        Autoencoder(validation_fraction=0.5, **TINY).fit(RNG.uniform(size=(1, 3)))


@pytest.mark.parametrize("labels, match", [
    (np.r_[np.zeros(50), np.full(10, 2)], r"values \[2.0\]"),
    (np.r_[-np.ones(50), np.ones(10)], r"values \[-1.0\]"),
    (np.r_[np.zeros(50), np.full(10, np.nan)], r"values \[nan\]"),
    (np.r_[np.zeros(50), np.full(10, 0.7)], r"values \[0.7\]"),
])
def test_anomaly_labels_other_than_0_1_are_refused(labels, match, tmp_path):
    with pytest.raises(ValueError, match=f"y must be 0/1 labels .*{match}"):
        pu_split(X_TAB, labels)
    np.savez(tmp_path / "bad.npz", X=X_TAB, y=labels)
    with pytest.raises(ValueError, match=f"bad.npz: y must be 0/1 labels .*{match}"):
        load_npz(tmp_path / "bad.npz")


def test_files_that_are_not_datasets_are_named(tmp_path):
    (tmp_path / "corrupt.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="corrupt.npz"):
        load_npz(tmp_path / "corrupt.npz")
    np.savez(tmp_path / "no_y.npz", X=X_TAB)
    with pytest.raises(ValueError, match=r"no_y.npz without \['y'\]"):
        load_npz(tmp_path / "no_y.npz")


def test_pu_split_without_a_seed_leaves_numpy_global_state_alone():
    state = np.random.get_state()
    pu_split(X_TAB, Y_TAB, random_state=None)
    mnist_pu_split(*MNIST_LIKE, 3, random_state=None, n_test_anomalies=5)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), state))


def test_metrics_refuse_impossible_values():
    with pytest.raises(ValueError, match=r"pu_auc must be a value in \[0.05, 0.95\] for prior=0.1"):
        true_roc_auc(0.01, 0.1)
    assert true_roc_auc(0.95, 0.1) == pytest.approx(1.0) and true_roc_auc(0.95 + 1e-13, 0.1) <= 1.0
    with pytest.raises(ValueError, match="scores must be finite values"):
        pu_roc_auc([0, 1, 0], [0.1, np.nan, 0.2])
    with pytest.raises(ValueError, match=r"scores must be one score per label|y must be one label per row"):
        pu_roc_auc([0, 1, 0], [0.1, 0.2])


def test_attack_arguments_that_would_run_backwards_or_not_at_all():
    X, y = X_DIGITS[:4], Y_DIGITS[:4]
    with pytest.raises(ValueError, match="step_size must be a real number in"):
        attacks.pgd(CLF, X, y, eps=0.1, step_size=-0.01)
    with pytest.raises(ValueError, match="eps must be a real number in"):
        attacks.fgsm(CLF, X, y, eps=math.inf)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        kdensity_cw(CLF, KD, X, y, max_iter=0)
    with pytest.raises(ValueError, match="margin must be a real number"):
        kdensity_cw(CLF, KD, X, y, margin=math.nan)


def test_the_command_line_goes_on_past_a_corrupt_file_and_reads_concatenated_csvs(tmp_path, capsys):
    import shutil

    from pu_detect import cli
    from pu_detect.datasets import load_dataset

    data = tmp_path / "data"
    data.mkdir()
    X, y = load_dataset("thyroid")
    np.savez(data / "thyroid.npz", X=X, y=y)
    (data / "broken.npz").write_bytes(b"\x00" * 10)
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="broken.npz cannot be read"):
        assert cli.main(["bench", "--data-dir", str(data), "--models", "IForest", "--seeds", "0",
                         "--out", str(out), "--no-progress"]) == 0
    text = (out / "results.csv").read_text()
    assert "broken" in text and "thyroid" in text and "failed" in text and "ok" in text
    concatenated = tmp_path / "both"
    concatenated.mkdir()
    (concatenated / "results.csv").write_text(text + text.replace("thyroid", "thyroid2"))
    assert cli.main(["bench", "--summary-only", "--out", str(concatenated), "--models", "IForest"]) == 0
    from pu_detect.bench import read_results

    rows = read_results(concatenated / "results.csv")
    assert len(rows) == 4 and all(r["dataset"] != "dataset" for r in rows)
    shutil.rmtree(concatenated)


def test_benchmark_functions_and_model_files_name_a_wrong_argument(tmp_path):
    from pu_detect import benchmark
    from pu_detect.persistence import load, save

    with pytest.raises(ValueError, match="model must be one of 'PUAutoencoder'"):
        benchmark.available("NoSuchModel")
    with pytest.raises(ValueError, match="model must be one of"):  # before: a KeyError outside the row's try
        benchmark.run_one("thyroid", "NoSuchModel", seed=0, labeled_fraction=0.1)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        benchmark.run_one("thyroid", "IForest", seed=0, labeled_fraction=0.1, threads="2")
    with pytest.raises(ValueError, match="model must be an estimator with a fit method"):
        benchmark.fit_on_split("IForest", pu_split(X_TAB, Y_TAB), True)
    with pytest.raises(ValueError, match="split must be a PU split with X_train and y_pu"):
        benchmark.fit_on_split(Autoencoder(), (X_TAB, Y_TAB), True)
    with pytest.raises(ValueError, match=r"means must be a 2-D array \(datasets x models\)"):
        benchmark.mean_ranks([0.5, 0.7])
    with pytest.raises(ValueError, match=r"means must be a 2-D array of numbers"):
        benchmark.mean_ranks([["a", 0.7]])
    with pytest.raises(FileNotFoundError, match="data_dir must be a folder of .npz datasets; got '.*nowhere'"):
        benchmark.find_datasets(tmp_path / "nowhere")  # before: an empty list, read as "no datasets"
    with pytest.raises(TypeError, match=r"data_dir must be a file path \(str or os.PathLike\); got NoneType"):
        benchmark.find_datasets(None)
    with pytest.raises(TypeError, match=r"dataset must be a file path \(str or os.PathLike\); got int"):
        benchmark.dataset_name(3)
    with pytest.raises(TypeError, match="names must be a list of dataset names or paths; got str"):
        benchmark.resolve_names("thyroid", None)
    with pytest.raises(TypeError, match=r"names\[1\] must be a file path"):
        benchmark.resolve_names(["thyroid", None], None)
    with pytest.raises(TypeError, match=r"path must be a file path \(str or os.PathLike\); got int"):
        benchmark.read_results(3)
    with pytest.raises(TypeError, match="rows must be a list of result rows"):
        benchmark.plot("results.csv", tmp_path)
    with pytest.raises(ValueError, match=r"rows\[0\] must be a result row with the columns \['dataset', 'model', "
                                         r"'status', 'roc_auc', 'average_precision'\]; missing \['roc_auc'"):
        benchmark.summarise([dict(dataset="a", model="IForest", status="ok", average_precision=0.5)])
    with pytest.raises(TypeError, match="rows must be a list of result rows"):
        benchmark.summarise("results.csv")
    with pytest.raises(ValueError, match="package must be a distribution name"):
        benchmark.versions(None)
    model = Autoencoder(epochs=1, random_state=0).fit(X_TAB)
    with pytest.raises(TypeError, match=r"path must be a file path \(str or os.PathLike\); got int"):
        save(model, 3)
    with pytest.raises(TypeError, match=r"path must be a file path \(str or os.PathLike\) or a binary file object"):
        load(np.zeros(3))
    save(model, tmp_path / "model.pud")
    with open(tmp_path / "model.pud", "rb") as f:  # an open binary file is read as the path would be
        assert np.array_equal(load(f).decision_function(X_TAB), model.decision_function(X_TAB))
    from pu_detect.utils.thresholds import check_scores_state, process_decision_scores

    with pytest.raises(TypeError, match="detector must be a fitted detector with decision_scores_, contamination; "
                                        "got Autoencoder without decision_scores_"):
        process_decision_scores(Autoencoder())
    with pytest.raises(TypeError, match="got str without decision_scores_, labels_, threshold_"):
        check_scores_state("model")
