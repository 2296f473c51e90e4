"""Our estimators inside PyOD's usual benchmark loop and its ADEngine."""

import warnings

import numpy as np
import pytest
from helpers import ESTIMATORS, ids
from pyod.utils.data import evaluate_print, generate_data
from pyod.utils.utility import precision_n_scores, standardizer
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from pu_detect.pyod_compat import run_with_adengine


@pytest.fixture(scope="module")
def pyod_data():
    X_train, X_test, y_train, y_test = generate_data(
        n_train=400, n_test=200, n_features=6, contamination=0.1, random_state=42)
    X_train, X_test = standardizer(X_train, X_test)
    return X_train, X_test, y_train, y_test


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
def test_pyod_benchmark_loop(estimator, pyod_data, capsys):
    X_train, X_test, y_train, y_test = pyod_data
    clf = clone(estimator).set_params(epochs=30)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*got no labeled anomaly")  # unsupervised, as PyOD runs it
        clf.fit(X_train)
    train_scores, test_scores = clf.decision_scores_, clf.decision_function(X_test)
    assert train_scores.shape == (len(X_train),) and test_scores.shape == (len(X_test),)
    assert set(np.unique(clf.labels_)) <= {0, 1} and abs(clf.labels_.mean() - 0.1) < 0.02
    evaluate_print(type(clf).__name__, y_test, test_scores)
    assert type(clf).__name__ in capsys.readouterr().out
    # generate_data's outliers are easy; the tiny SVDD networks reach about 0.79
    assert roc_auc_score(y_test, test_scores) > 0.75 and precision_n_scores(y_test, test_scores) > 0.3
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2) and np.allclose(proba.sum(1), 1)
    prediction, confidence = clf.predict(X_test, return_confidence=True)
    assert confidence.shape == (len(X_test),) and np.all((0 <= confidence) & (confidence <= 1))


@pytest.mark.parametrize("estimator", ESTIMATORS[:3], ids=ids(ESTIMATORS[:3]))
def test_adengine_runs_our_detectors(estimator, pyod_data):
    X_train, X_test, _, y_test = pyod_data
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*got no labeled anomaly")
        result = run_with_adengine(clone(estimator).set_params(epochs=30), X_train, X_test)
    assert type(result["detector"]) is type(estimator)
    assert result["plan"]["detector_name"] == type(estimator).__name__
    assert roc_auc_score(y_test, result["scores_test"]) > 0.8
    assert {"summary", "top_anomalies"} <= set(result["analysis"])


def test_adversarial_detectors_in_the_pyod_loop(capsys):
    """The adversarial detectors are PyOD detectors too: fit on clean rows, score a mixed test set."""
    from sklearn.datasets import load_digits

    from pu_detect import ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier
    from pu_detect.attacks import fgsm

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    clf = RCEClassifier(hidden_dims=(64, 64), epochs=40, random_state=0).fit(X[:1300], y[:1300])
    X_adv = fgsm(clf, X[1300:1400], y[1300:1400], eps=0.2)
    X_test = np.vstack([X[1400:1500], X_adv])
    y_test = np.r_[np.zeros(100), np.ones(100)]
    for Detector in (KDensityDetector, NonMEDetector, ConfidenceDetector):
        detector = Detector(clf, contamination=0.05).fit(X[:1300])
        scores = detector.decision_function(X_test)
        evaluate_print(Detector.__name__, y_test, scores)
        assert roc_auc_score(y_test, scores) > 0.6  # non-ME is the weakest here (0.69)
        assert detector.predict(X_test).shape == (200,)
    assert "KDensityDetector" in capsys.readouterr().out


@pytest.mark.parametrize("spelling", ["labels", "X_anom"])
def test_adengine_passes_the_labeled_anomalies_through(spelling):
    from pu_detect import PUAutoencoder
    from pu_detect.datasets import load_dataset, pu_split

    split = pu_split(*load_dataset("cardio"), random_state=0)
    detector = PUAutoencoder(epochs=20, random_state=0)
    if spelling == "labels":
        result = run_with_adengine(detector, split.X_train, split.X_test, y=split.y_pu)
        n_train = len(split.X_train)
    else:
        X_unlabeled, X_anom = split.X_train[split.y_pu == 0], split.X_train[split.y_pu == 1]
        result = run_with_adengine(detector, X_unlabeled, split.X_test, y=X_anom)
        n_train = len(X_unlabeled) + len(X_anom)
    direct = clone(detector).fit(split.X_train, split.y_pu)
    assert len(result["scores_train"]) == n_train
    assert type(result["detector"]) is PUAutoencoder
    np.testing.assert_allclose(np.sort(result["scores_test"]), np.sort(direct.decision_function(split.X_test)))
    # unsupervised inside ADEngine it would score about 0.8 on cardio; the labels make it PU
    assert roc_auc_score(split.y_test, result["scores_test"]) > 0.9
