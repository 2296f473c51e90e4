"""contamination as a fraction (any real type), a thresholding object (PyThresh), or the PU prior."""

import numpy as np
import pytest
from pyod.models.base import BaseDetector

from pu_detect import Autoencoder, KDensityDetector, PUAutoencoder, PUGradientBoosting
from tests.helpers import frozen_classifier

TINY = dict(hidden_dims=(16, 4), epochs=2, random_state=0)


class TopTwenty:
    """A duck-typed thresholding object: flags the 20 highest scores (counts its fits)."""

    fits = 0

    def fit(self, scores):
        TopTwenty.fits += 1
        self.labels_ = (scores >= np.sort(scores)[-20]).astype(int)
        return self

    def predict(self, scores):
        raise AssertionError("pu_detect predicts with threshold_, never with the object")


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:400], (y[:400] == 0).astype(int) * (np.arange(400) % 3 == 0)


def test_a_numpy_float_contamination_predicts(data):
    X, _ = data
    detector = Autoencoder(**TINY, contamination=np.float32(0.1)).fit(X)
    np.testing.assert_array_equal(detector.predict(X), detector.labels_)
    assert detector.labels_.mean() == pytest.approx(0.1, abs=0.005)


def test_confidence_matches_pyods_for_a_fraction(data):
    X, _ = data
    detector = Autoencoder(**TINY, contamination=0.1).fit(X)
    np.testing.assert_allclose(detector.predict_confidence(X[:50]), BaseDetector.predict_confidence(detector, X[:50]))


def test_a_thresholding_object_chooses_the_flagged_rows(data):
    X, _ = data
    chooser = TopTwenty()
    detector = Autoencoder(**TINY, contamination=chooser).fit(X)
    assert detector.labels_.sum() == 20 and not hasattr(chooser, "labels_")  # a copy was fitted
    np.testing.assert_array_equal(detector.predict(X), detector.labels_)
    assert np.all(detector.decision_scores_[detector.labels_ == 1] > detector.threshold_)
    assert np.all(detector.predict_confidence(X[:10]) >= 0)


def test_pythresh_objects_are_accepted(data):
    thresholds = pytest.importorskip("pythresh.thresholds.iqr")
    X, y = data
    for detector in (Autoencoder(**TINY, contamination=thresholds.IQR()),
                     PUGradientBoosting(max_iter=10, contamination=thresholds.IQR(), random_state=0)):
        detector.fit(X, y) if isinstance(detector, PUGradientBoosting) else detector.fit(X)
        np.testing.assert_array_equal(detector.predict(X), detector.labels_)
        assert detector.contamination.thresh_ is None  # the parameter is left as passed


def test_pu_estimators_flag_their_prior(data):
    X, y = data
    detector = PUAutoencoder(**TINY, prior=0.2, contamination="prior").fit(X, y)
    assert detector.labels_.mean() == pytest.approx(0.2, abs=0.005)
    with pytest.raises(ValueError, match="contamination must be a fraction in \\(0, 0.5\\], a thresholding object"):
        Autoencoder(**TINY, contamination="prior").fit(X)


@pytest.mark.parametrize("recall", [0.5, 0.9, 1.0])
def test_labeled_recall_flags_that_share_of_the_labeled_anomalies(data, recall):
    from pu_detect.utils.thresholds import LabeledRecall

    X, y = data
    labeled = y == 1
    for detector in (PUAutoencoder(**TINY, contamination=LabeledRecall(recall)),
                     PUGradientBoosting(detector_scores=False, max_iter=10, contamination=LabeledRecall(recall),
                                        random_state=0)):
        detector.fit(X, y)  # (with detector scores, training rows are scored without themselves as neighbours)
        np.testing.assert_array_equal(detector.predict(X), detector.labels_)
        n, k = labeled.sum(), int(np.ceil(recall * labeled.sum()))
        kth = np.sort(detector.decision_scores_[labeled])[n - k]  # the highest threshold reaching the recall
        np.testing.assert_array_equal(detector.labels_, detector.decision_scores_ >= kth)
        assert detector.labels_[labeled].sum() >= k  # more only where boosting's scores tie


def test_labeled_recall_needs_labeled_anomalies_and_a_recall(data):
    from pu_detect.utils.thresholds import LabeledRecall

    X, y = data
    with pytest.raises(ValueError, match="contamination must be a fraction in \\(0, 0.5\\], a thresholding object "
                                         "\\(PyThresh\\); got LabeledRecall\\(recall=0.9\\)"):
        Autoencoder(**TINY, contamination=LabeledRecall()).fit(X)  # it learns from no labeled anomaly
    with pytest.raises(ValueError, match="contamination.recall must be a real number in \\(0.0, 1.0\\]"):
        PUAutoencoder(**TINY, contamination=LabeledRecall(0.0)).fit(X, y)
    with pytest.warns(UserWarning, match="got no labeled anomaly"), \
            pytest.raises(ValueError, match="LabeledRecall needs labeled anomalies"):
        PUAutoencoder(**TINY, prior=0.1, contamination=LabeledRecall()).fit(X, np.zeros(len(X), int))


def test_a_thresholding_object_with_bad_labels_is_named(data):
    X, _ = data

    class Broken(TopTwenty):
        def fit(self, scores):
            self.labels_ = np.zeros(3)
            return self

    with pytest.raises(ValueError, match="contamination: the thresholding object Broken must set labels_"):
        Autoencoder(**TINY, contamination=Broken()).fit(X)


def test_adversarial_detectors_take_a_thresholding_object(digits):
    X, y = digits
    detector = KDensityDetector(frozen_classifier(), contamination=TopTwenty()).fit(X[:300], y[:300] % 4)
    assert detector.labels_.sum() == 20
