"""Scores and model files of pu_detect 0.1.0 (main 491873f) are reproduced exactly.

``data/reference_scores_0.1.0.json`` and the two model files were written by
0.1.0 before the package was reorganised; these tests fail if a later change
alters what the same seed gives or stops reading an old file.

The networks compute in float32, whose matrix kernels round differently on
different CPUs (on one machine the RCE probabilities moved by 5e-8 relative,
everything else identical), so values are compared to float32 precision; any
change to training or scoring moves them by orders of magnitude more.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from pu_detect import DeepSAD, PUAutoencoder, PUDeepSVDD, RCEClassifier
from pu_detect.datasets import load_dataset, pu_split
from pu_detect.persistence import load

DATA = Path(__file__).parent / "data"
#: float32 precision: what different CPUs' kernels may differ by.
CLOSE = dict(rtol=1e-5, atol=1e-6)
REFERENCE = json.loads((DATA / "reference_scores_0.1.0.json").read_text())


@pytest.fixture(scope="module")
def cardio_split():
    return pu_split(*load_dataset("cardio"), random_state=0)


@pytest.mark.parametrize(
    "cls, options",
    [(PUAutoencoder, {}), (DeepSAD, {"pretrain_epochs": 3}), (PUDeepSVDD, {"pretrain_epochs": 3})],
    ids=["PUAutoencoder", "DeepSAD", "PUDeepSVDD"],
)
def test_detector_scores_match_0_1_0(cls, options, cardio_split):
    detector = cls(epochs=5, random_state=0, **options).fit(cardio_split.X_train, cardio_split.y_pu)
    scores = detector.decision_function(cardio_split.X_test[:50])
    np.testing.assert_allclose(scores, REFERENCE[cls.__name__], **CLOSE)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def test_rce_classifier_matches_0_1_0(digits):
    X, y = digits
    clf = RCEClassifier(hidden_dims=(32,), epochs=5, random_state=0).fit(X[:1000], y[:1000])
    np.testing.assert_allclose(clf.predict_proba(X[1000:1030]), REFERENCE["RCEClassifier_proba"], **CLOSE)
    np.testing.assert_allclose(clf.features(X[1000:1010]), REFERENCE["RCEClassifier_features"], **CLOSE)


def test_model_files_of_0_1_0_load_and_score_the_same(cardio_split, digits):
    detector = load(DATA / "puautoencoder_0.1.0.pudetect")
    assert type(detector) is PUAutoencoder
    np.testing.assert_allclose(detector.decision_function(cardio_split.X_test[:50]),
                               REFERENCE["PUAutoencoder_saved_test_scores"], **CLOSE)
    clf = RCEClassifier.load(DATA / "rceclassifier_0.1.0.pudetect")
    X, _ = digits
    np.testing.assert_allclose(clf.predict_proba(X[1000:1030]), REFERENCE["RCEClassifier_proba"], **CLOSE)
