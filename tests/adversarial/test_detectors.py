"""The adversarial detectors: scores by hand, separation, the adaptive attack, bad input."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from pu_detect import attacks
from pu_detect.adversarial import ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier
from pu_detect.attacks.adapter import torch_classifier
from pu_detect.losses import ReverseCrossEntropyLoss, reverse_cross_entropy, reversed_softmax

DETECTORS = (KDensityDetector, NonMEDetector, ConfidenceDetector)


@pytest.mark.parametrize("Detector", DETECTORS)
def test_detector_contract(Detector, fitted, digits):
    X, y = digits
    detector = Detector(fitted, contamination=0.1).fit(X[:1300], y[:1300])
    scores = detector.decision_function(X[1300:])
    assert scores.shape == (len(X) - 1300,) and np.all(np.isfinite(scores))
    # threshold calibrated on clean rows: about contamination of them flagged
    assert abs(detector.labels_.mean() - 0.1) < 0.02
    assert set(np.unique(detector.predict(X[1300:]))) <= {0, 1}
    clone(detector)
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(restored.decision_function(X[:30]), detector.decision_function(X[:30]))
    assert detector.get_params()["contamination"] == 0.1


def test_non_me_by_hand():
    from pu_detect.adversarial.detectors import _non_max_entropy

    # probabilities (0.7, 0.2, 0.1): renormalised non-max (2/3, 1/3): entropy 0.6365
    logits = np.log([[0.7, 0.2, 0.1], [0.5, 0.25, 0.25]])
    np.testing.assert_allclose(_non_max_entropy(logits), [0.636514, np.log(2)], atol=1e-6)


def test_kdensity_by_hand():
    class Identity(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Identity()
            self.scale = torch.nn.Linear(2, 2)  # a parameter, so the module has a device

        def forward(self, x):
            return torch.stack([-x[:, 0], x[:, 0]], 1)  # class 1 when the first feature > 0

    net = Identity()
    X = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    detector = KDensityDetector(net, bandwidth=1.0).fit(X, [1, 1, 0])
    # row (1.5, 0), predicted class 1, centres (1, 0) and (2, 0): KD = exp(-0.25), score 0.25
    np.testing.assert_allclose(detector.decision_function([[1.5, 0.0]]), [0.25], atol=1e-9)
    # training row (1, 0) is scored leave-one-out: only (2, 0) remains, score 1
    np.testing.assert_allclose(detector.decision_scores_[0], 1.0, atol=1e-9)
    # the lone centre of class 0 has no other centre left: the finite "no density" score
    from pu_detect.adversarial import NO_DENSITY_SCORE

    assert detector.decision_scores_[2] == NO_DENSITY_SCORE


def test_detectors_separate_fgsm_on_rce(digits):
    X, y = digits
    clf = RCEClassifier(hidden_dims=(64, 64), epochs=40, random_state=0).fit(X[:1300], y[:1300])
    X_test, y_test = X[1300:1500], y[1300:1500]
    X_adv = attacks.fgsm(clf, X_test, y_test, eps=0.2)
    hit = (clf.predict(X_test) == y_test) & (clf.predict(X_adv) != y_test)
    assert hit.sum() > 100
    for Detector in (KDensityDetector, ConfidenceDetector):
        detector = Detector(clf).fit(X[:1300], y[:1300])
        scores = np.r_[detector.decision_function(X_test[hit]), detector.decision_function(X_adv[hit])]
        assert roc_auc_score(np.r_[np.zeros(hit.sum()), np.ones(hit.sum())], scores) > 0.8


def test_adaptive_attack_lowers_the_kdensity_score(digits):
    X, y = digits
    clf = RCEClassifier(hidden_dims=(64, 64), epochs=40, random_state=0).fit(X[:1300], y[:1300])
    detector = KDensityDetector(clf).fit(X[:1300], y[:1300])
    X_test, y_test = X[1300:1330], y[1300:1330]
    plain = attacks.carlini_wagner(clf, X_test, y_test, max_iter=50, binary_search_steps=3)
    adaptive = attacks.kdensity_cw(clf, detector, X_test, y_test, max_iter=50, binary_search_steps=3)
    fooled = clf.predict(adaptive) != y_test
    assert fooled.mean() > 0.5
    assert np.median(detector.decision_function(adaptive[fooled])) < np.median(detector.decision_function(plain))


def test_attack_and_detector_bad_input(fitted, digits):
    X, y = digits
    with pytest.raises(ValueError, match="X must be values inside clip"):
        attacks.fgsm(fitted, X[:5] * 3, y[:5], 0.1)
    with pytest.raises(ValueError, match="X must be rows of the classifier's 64 features; got '10 features'"):
        attacks.fgsm(fitted, X[:5, :10], y[:5], 0.1)
    with pytest.raises(ValueError, match="y must be classes the classifier was fitted on"):
        attacks.fgsm(fitted, X[:5], [11] * 5, 0.1)
    with pytest.raises(ValueError, match="eps must be a real number in"):
        attacks.bim(fitted, X[:5], y[:5], -0.1)
    with pytest.raises(ValueError, match="y must be 5 labels, one per row of X; got '4 labels'"):
        attacks.pgd(fitted, X[:5], y[:4], 0.1)
    with pytest.raises(ValueError, match="classifier must be a fitted pu_detect classifier"):
        NonMEDetector("nope").fit(X)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        KDensityDetector(RCEClassifier()).fit(X)
    with pytest.raises(ValueError, match="X must be rows of the classifier's 64 features"):
        ConfidenceDetector(fitted).fit(X[:, :20])
    with pytest.raises(ValueError, match="y must be classes the classifier was fitted on"):
        KDensityDetector(fitted).fit(X[:100], np.full(100, 42))
    with pytest.raises(ValueError, match="features must be a callable .* for KDensityDetector"):
        KDensityDetector(torch.nn.Linear(64, 10)).fit(X[:50])
    with pytest.raises(ValueError, match="features must be a callable"):
        torch_classifier(torch.nn.Linear(3, 2), features="layer3")
    with pytest.raises(ValueError, match="loss must be one of"):
        RCEClassifier(loss="mse").fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="y must be class labels of at least 2 classes"):
        RCEClassifier().fit(X[:50], np.zeros(50))
    with pytest.raises(ValueError, match="y must be 64 labels|y must be 50 labels"):
        RCEClassifier().fit(X[:50], y[:40])
    with pytest.raises(ValueError, match="contain NaN|NaN"):
        RCEClassifier().fit(np.full((5, 3), np.nan), [0, 1, 0, 1, 0])


def test_skorch_net_trained_with_the_rce_criterion_works_with_the_detectors(digits):
    skorch = pytest.importorskip("skorch")
    from pu_detect.networks import Classifier

    X, y = digits
    net = skorch.NeuralNetClassifier(
        Classifier, module__n_features=64, module__n_classes=10, module__hidden_dims=(64, 64),
        criterion=ReverseCrossEntropyLoss, predict_nonlinearity=reversed_softmax,
        optimizer=torch.optim.Adam, lr=1e-3, max_epochs=40, batch_size=128, train_split=None,
        iterator_train__shuffle=True, verbose=0,
    )
    with torch.random.fork_rng():  # skorch initialises from torch's global generator
        torch.manual_seed(0)
        net.fit(X[:1300], y[:1300].astype(np.int64))
    assert (net.predict(X[1300:]) == y[1300:]).mean() > 0.85
    model = torch_classifier(net)
    assert model.logits is not None and model.n_features == 64
    # An RCE net: the detectors read probabilities as softmax(-Z), like net.predict_proba.
    np.testing.assert_allclose(
        torch.softmax(model.logits(net.module_, torch.as_tensor(X[:5])), 1).detach().numpy(),
        net.predict_proba(X[:5]), atol=1e-5)
    X_adv = attacks.fgsm(net, X[1300:1400], y[1300:1400], eps=0.2)
    hit = (net.predict(X[1300:1400]) == y[1300:1400]) & (net.predict(X_adv) != y[1300:1400])
    assert hit.sum() > 30
    for Detector in DETECTORS:
        detector = Detector(net).fit(X[:1300], y[:1300])
        scores = np.r_[detector.decision_function(X[1300:1400][hit]), detector.decision_function(X_adv[hit])]
        assert np.all(np.isfinite(scores))
    # A plain torch module with a features function works too.
    plain = NonMEDetector(net.module_, features=lambda module, x: module.features(x)).fit(X[:1300])
    assert plain.decision_function(X[:3]).shape == (3,)


@pytest.mark.parametrize("Detector", DETECTORS)
def test_detector_does_not_change_its_parameters_when_fitted(Detector, fitted, digits):
    X, y = digits
    detector = Detector(fitted, contamination=0.1)
    before = {k: v for k, v in detector.get_params().items() if k != "classifier"}
    detector.fit(X[:300], y[:300])
    assert {k: v for k, v in detector.get_params().items() if k != "classifier"} == before
    assert detector.get_params()["classifier"] is fitted


def test_detectors_and_attacks_take_a_plain_module_without_features(fitted, digits):
    X, y = digits
    plain = torch.nn.Sequential(fitted.module_.features, fitted.module_.head)  # no 'features' submodule
    if fitted.loss == "rce":  # a plain module returns the logits it predicts with: -Z
        plain = torch.nn.Sequential(plain, Negate())
    for Detector in (NonMEDetector, ConfidenceDetector):
        ours = Detector(fitted).fit(X[:300]).decision_function(X[300:400])
        np.testing.assert_allclose(Detector(plain).fit(X[:300]).decision_function(X[300:400]), ours, atol=1e-9)
    with pytest.raises(ValueError, match="features must be a callable .* for KDensityDetector"):
        KDensityDetector(plain).fit(X[:300])
    def features(module, x):  # the module it is given: the detector scores on a float64 copy
        return module[0](x) if fitted.loss == "ce" else module[0][0](x)

    by_function = KDensityDetector(plain, features=features).fit(X[:300], y[:300])
    np.testing.assert_allclose(by_function.decision_function(X[300:400]),
                               KDensityDetector(fitted).fit(X[:300], y[:300]).decision_function(X[300:400]))


class Negate(torch.nn.Module):
    def forward(self, x):
        return -x


def test_cloned_detector_refits_over_the_same_fitted_classifier(fitted, digits):
    X, y = digits
    detector = KDensityDetector(fitted, contamination=0.1)
    copy = clone(detector).fit(X[:300], y[:300])
    assert copy.classifier is fitted
    np.testing.assert_array_equal(copy.decision_scores_, clone(detector).fit(X[:300], y[:300]).decision_scores_)
    from sklearn.model_selection import GridSearchCV

    def separation(estimator, X, y):
        return float(np.median(estimator.decision_function(np.clip(X + 0.3, 0, 1)))
                     - np.median(estimator.decision_function(X)))

    search = GridSearchCV(detector, {"bandwidth": ["median", "mlcv"]}, scoring=separation, cv=3).fit(X[:600], y[:600])
    assert search.best_params_["bandwidth"] in ("median", "mlcv")


def test_non_me_on_two_classes_is_a_clear_error(digits):
    X, y = digits
    binary = RCEClassifier(hidden_dims=(8,), epochs=2, random_state=0).fit(X[:100], y[:100] % 2)
    with pytest.raises(ValueError, match="classifier must be a classifier of at least 3 classes"):
        NonMEDetector(binary).fit(X[:100])


def test_detection_auc_counts_successful_pairs_only(fitted, digits):
    from sklearn.metrics import roc_auc_score

    from pu_detect.adversarial import detection_auc, successful_pairs

    X, y = digits
    X_test, y_test = X[1300:1500], y[1300:1500]
    X_adv = attacks.fgsm(fitted, X_test, y_test, eps=0.2)
    hit = successful_pairs(fitted, X_test, X_adv, y_test)
    by_hand = (fitted.predict(X_test) == y_test) & (fitted.predict(X_adv) != y_test)
    np.testing.assert_array_equal(hit, by_hand)
    detector = NonMEDetector(fitted).fit(X[:1300])
    auc, n_pairs = detection_auc(detector, X_test, X_adv, y_test)
    scores = np.r_[detector.decision_function(X_test[hit]), detector.decision_function(X_adv[hit])]
    assert n_pairs == hit.sum() and auc == roc_auc_score(np.r_[np.zeros(n_pairs), np.ones(n_pairs)], scores)
    with pytest.warns(UserWarning, match="no attack succeeded"):
        assert np.isnan(detection_auc(detector, X_test, X_test, y_test)[0])
    with pytest.raises(ValueError, match="X_adv must be one adversarial row per clean row"):
        successful_pairs(fitted, X_test, X_adv[:5], y_test)


def test_mahalanobis_score_by_hand_and_out_of_distribution_separation(digits):
    from pu_detect import MahalanobisDetector
    from pu_detect.attacks.adapter import TorchClassifier

    # An identity "network": the features are the rows, two classes with means (0, 0) and (4, 0).
    module = torch.nn.Sequential(torch.nn.Identity())
    module.features = torch.nn.Identity()
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [3.0, 1.0], [5.0, -1.0]])
    y = np.array([0, 0, 1, 1])
    clf = TorchClassifier(module, lambda m, x: m(x), lambda m, x: m.features(x), None, 2)
    detector = MahalanobisDetector(clf).fit(X, y)
    np.testing.assert_allclose(detector.means_, [[0.0, 0.0], [4.0, 0.0]])
    covariance = np.array([[1.0, -0.5], [-0.5, 0.5]])  # of the centred rows (-1,0), (1,0), (-1,1), (1,-1)
    x = np.array([[2.0, 2.0]])
    expected = min(float(d @ np.linalg.inv(covariance) @ d) for d in (x[0] - [0, 0], x[0] - [4, 0]))
    np.testing.assert_allclose(detector.decision_function(x), [expected], rtol=1e-10)

    X_digits, y_digits = digits
    net = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=30, random_state=0).fit(X_digits[:1000], y_digits[:1000])
    detector = MahalanobisDetector(net).fit(X_digits[:1000], y_digits[:1000])
    noise = np.random.default_rng(0).uniform(size=(200, 64))
    scores = np.r_[detector.decision_function(X_digits[1000:1200]), detector.decision_function(noise)]
    assert roc_auc_score(np.r_[np.zeros(200), np.ones(200)], scores) > 0.99


def test_mahalanobis_matches_sklearns_empirical_covariance(fitted, digits):
    """Lee et al.'s code fits sklearn's EmpiricalCovariance on class-centred features: the same score."""
    from sklearn.covariance import EmpiricalCovariance

    from pu_detect import MahalanobisDetector

    X, y = digits
    net = fitted
    detector = MahalanobisDetector(net).fit(X[:1000], y[:1000])
    features = net.features(X[:1000])
    classes = np.unique(y[:1000])
    means = np.stack([features[y[:1000] == c].mean(0) for c in classes])
    centred = features - means[np.searchsorted(classes, y[:1000])]
    reference = EmpiricalCovariance(assume_centered=True).fit(centred)
    test_features = net.features(X[1000:1100])
    expected = np.min([reference.mahalanobis(test_features - m) for m in means], axis=0)
    np.testing.assert_allclose(detector.decision_function(X[1000:1100]), expected, rtol=1e-6, atol=1e-8)


def test_max_logit_is_the_nearest_centre_distance_of_a_max_mahalanobis_network(digits):
    from pu_detect import MaxLogitDetector, RobustClassifier

    X, y = digits
    clf = RobustClassifier(loss="mmc", head="max_mahalanobis", hidden_dims=(64,), epochs=40, random_state=0)
    clf.fit(X[:800], y[:800])
    assert clf.score(X[800:], y[800:]) > 0.85
    detector = MaxLogitDetector(clf).fit(X[:800])
    head = clf.module_.head
    with torch.no_grad():
        z = head.linear(torch.as_tensor(clf.features(X[800:810]), dtype=torch.float32)).double()
        nearest = torch.cdist(z, head.centres.double()).pow(2).min(dim=1).values.numpy()
    np.testing.assert_allclose(detector.decision_function(X[800:810]), nearest, rtol=1e-4)
    far = X[800:1000] + 3.0  # far from the data, the features (and z) are far from every centre
    scores = np.r_[detector.decision_function(X[800:1000]), detector.decision_function(far)]
    assert roc_auc_score(np.r_[np.zeros(200), np.ones(200)], scores) > 0.99
