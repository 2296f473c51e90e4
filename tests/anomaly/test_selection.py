"""PUSearchCV picks the better detector without clean labels; PUEnsemble stacks; PUGradientBoosting separates."""

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from helpers import TINY, make_contaminated
from pu_detect import Autoencoder, PUAutoencoder, PUEnsemble, PUGradientBoosting, PUSearchCV
from pu_detect.anomaly.boosting import NEIGHBOURS, DetectorScores
from pu_detect.anomaly.selection import _mean_percentile, _stacked_weights


def test_the_better_candidate_is_chosen_and_refitted():
    # The plain autoencoder learns to reconstruct the hidden anomalies; the PU one does not.
    X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed=0)
    weak, strong = Autoencoder(epochs=30, random_state=0), PUAutoencoder(epochs=30, random_state=0)
    search = PUSearchCV([weak, strong], cv=3, ensemble=1, random_state=0).fit(X_unlabeled, X_anom)
    assert search.best_params_ == {"estimator": "PUAutoencoder"}
    means = dict(zip(search.cv_results_["estimator"], search.cv_results_["mean_test_score"]))
    assert means["PUAutoencoder"] > means["Autoencoder"] + 0.1
    assert list(search.cv_results_["rank_test_score"]) == [2, 1]
    assert roc_auc_score(y_test, search.decision_function(X_test)) > 0.95
    np.testing.assert_array_equal(search.decision_function(X_test), search.best_estimator_.decision_function(X_test))


def test_hedged_keeps_the_first_candidate_and_averages_a_winning_challenger():
    X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed=0)
    weak, strong = Autoencoder(epochs=30, random_state=0), PUAutoencoder(epochs=30, random_state=0)
    hedged = PUSearchCV([weak, strong], cv=3, random_state=0).fit(X_unlabeled, X_anom)
    assert [type(m).__name__ for m in hedged.estimators_] == ["Autoencoder", "PUAutoencoder"]
    assert type(hedged.best_estimator_) is PUAutoencoder
    alone = PUSearchCV([strong, weak], cv=3, random_state=0).fit(X_unlabeled, X_anom)
    assert [type(m).__name__ for m in alone.estimators_] == ["PUAutoencoder"]
    with pytest.raises(ValueError, match="ensemble must be 'hedged' or an integer >= 1"):
        PUSearchCV([strong], ensemble="all").fit(X_unlabeled, X_anom)


def test_grids_ensembles_and_pipelines():
    X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed=1, n_normal=300, n_hidden=30)
    search = PUSearchCV([(PUAutoencoder(**TINY), {"prior": [0.1, 0.3]}), PUGradientBoosting(random_state=0)],
                        ensemble=2, random_state=0).fit(X_unlabeled, X_anom)
    assert len(search.cv_results_["params"]) == 3 and len(search.estimators_) == 2
    assert {"split0_test_score", "split2_test_score", "mean_fit_time"} <= set(search.cv_results_)
    scores = search.decision_function(X_test)
    assert scores.min() >= 0 and scores.max() <= 1  # mean training percentiles
    X = np.vstack([X_unlabeled, X_anom])
    y = np.r_[np.zeros(len(X_unlabeled)), np.ones(len(X_anom))]
    pipe = Pipeline([("scale", MinMaxScaler()), ("search", PUSearchCV([PUGradientBoosting(random_state=0)], random_state=0))])
    assert pipe.fit(X, y).decision_function(X_test).shape == (len(X_test),)


def test_one_labeled_anomaly_uses_the_first_candidate_with_a_warning():
    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=5)
    with pytest.warns(UserWarning, match="got one labeled anomaly: no fold can hold one"):
        search = PUSearchCV([PUAutoencoder(**TINY), PUGradientBoosting()], random_state=0).fit(X_unlabeled, X_anom[:1])
    assert type(search.best_estimator_) is PUAutoencoder and np.isnan(search.best_score_)


def test_folds_are_limited_by_the_unlabeled_rows_too():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(7, 3)), np.array([0, 0, 1, 1, 1, 1, 1])  # two unlabeled rows: two folds, none without one
    members = [PUAutoencoder(**TINY), PUGradientBoosting(max_iter=5, random_state=0)]
    ensemble = PUEnsemble(members, cv=3, random_state=0).fit(X, y)
    folds = [k for k in ensemble.cv_results_ if k.startswith("split")]
    assert folds == ["split0_test_score", "split1_test_score"]
    assert not np.isnan([ensemble.cv_results_[k] for k in folds]).any()
    with pytest.warns(UserWarning, match="got 1 unlabeled row"):
        search = PUSearchCV(members, random_state=0).fit(X[1:], y[1:])
    assert type(search.best_estimator_) is PUAutoencoder


def test_two_labeled_anomalies_give_two_folds():
    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=5)
    search = PUSearchCV([PUAutoencoder(**TINY)], cv=5, random_state=0).fit(X_unlabeled, X_anom[:2])
    assert {"split0_test_score", "split1_test_score"} <= set(search.cv_results_)
    assert "split2_test_score" not in search.cv_results_


def test_bad_candidates_and_labels_are_named():
    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=5)
    with pytest.raises(ValueError, match="candidates must be None or a non-empty list"):
        PUSearchCV([]).fit(X_unlabeled, X_anom)
    with pytest.raises(ValueError, match="candidates must be estimators with fit and decision_function"):
        PUSearchCV(["PUAutoencoder"]).fit(X_unlabeled, X_anom)
    with pytest.raises(ValueError, match="requires y to be passed"):
        PUSearchCV().fit(X_unlabeled)
    with pytest.raises(ValueError, match="y must be at least one labeled anomaly"):
        PUSearchCV().fit(X_unlabeled, np.zeros(len(X_unlabeled)))
    with pytest.raises(ValueError, match="cv must be an integer >= 2"):
        PUSearchCV(cv=1).fit(X_unlabeled, X_anom)


def test_gradient_boosting_on_pu_labels_separates_hidden_anomalies():
    X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed=2)
    detector = PUGradientBoosting(random_state=0).fit(X_unlabeled, X_anom)
    assert roc_auc_score(y_test, detector.decision_function(X_test)) > 0.95
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = PUGradientBoosting(random_state=0).fit(X_unlabeled, X_anom)
    np.testing.assert_array_equal(again.decision_function(X_test), detector.decision_function(X_test))


def test_gradient_boosting_options_and_bad_values():
    X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed=2)
    for options in (dict(detector_scores=False), dict(class_weight="balanced")):
        detector = PUGradientBoosting(random_state=0, **options).fit(X_unlabeled, X_anom)
        assert roc_auc_score(y_test, detector.decision_function(X_test)) > 0.9
    assert PUGradientBoosting(detector_scores=False).fit(X_unlabeled, X_anom).detector_scores_ is None
    for name, value, expected in (("class_weight", "even", 'class_weight must be None or "balanced"'),
                                  ("detector_scores", 1, "detector_scores must be True or False"),
                                  ("min_samples_leaf", 0, "min_samples_leaf must be an integer >= 1"),
                                  ("l2_regularization", -1.0, "l2_regularization must be a real number in")):
        with pytest.raises(ValueError, match=expected):
            PUGradientBoosting(**{name: value}).fit(X_unlabeled, X_anom)


def test_detector_scores_match_sklearn_neighbours_and_lof():
    rng = np.random.default_rng(0)
    X, X_new = rng.normal(size=(80, 3)) * [1.0, 10.0, 0.1], rng.normal(size=(7, 3))
    scores = DetectorScores(random_state=0)
    train, new = scores.fit_transform(X), scores.transform(X_new)
    assert train.shape == (80, 2 * len(NEIGHBOURS) + 1) and new.shape == (7, 2 * len(NEIGHBOURS) + 1)
    Z, Z_new = scores.scaler_.transform(X), scores.scaler_.transform(X_new)
    for column, k in enumerate(NEIGHBOURS):
        neighbours = NearestNeighbors(n_neighbors=k + 1).fit(Z)
        np.testing.assert_allclose(train[:, 2 * column], neighbours.kneighbors(Z)[0][:, k])  # [0] is the row
        np.testing.assert_allclose(new[:, 2 * column], neighbours.kneighbors(Z_new, n_neighbors=k)[0][:, k - 1])
        lof = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(Z)
        np.testing.assert_allclose(train[:, 2 * column + 1], -lof.negative_outlier_factor_, rtol=1e-6)
        np.testing.assert_allclose(new[:, 2 * column + 1], -lof.score_samples(Z_new), rtol=1e-6)
    np.testing.assert_array_equal(new[:, -1], -scores.forest_.score_samples(X_new))
    assert DetectorScores(random_state=0).fit_transform(X[:3]).shape == (3, 2 * len(NEIGHBOURS) + 1)  # k capped


def test_ensemble_averages_the_members_training_percentiles():
    X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed=1, n_normal=300, n_hidden=30)
    members = [PUAutoencoder(**TINY), PUGradientBoosting(max_iter=20, random_state=0)]
    ensemble = PUEnsemble(members, cv=None).fit(X_unlabeled, X_anom)
    assert [type(m).__name__ for m in ensemble.estimators_] == ["PUAutoencoder", "PUGradientBoosting"]
    scores = ensemble.decision_function(X_test)
    assert roc_auc_score(y_test, scores) > 0.9
    at_training_rows = np.mean([[np.mean(m.decision_scores_ <= s) for s in m.decision_scores_]
                                for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(ensemble.decision_scores_, at_training_rows)
    from_generator = PUEnsemble((m for m in members), cv=None).fit(X_unlabeled, X_anom)  # read once, not consumed by the check
    np.testing.assert_array_equal(from_generator.decision_function(X_test), scores)
    default = PUEnsemble(random_state=0).fit(X_unlabeled, X_anom)
    assert [type(m).__name__ for m in default.estimators_] == ["PUAutoencoder", "PUGradientBoosting"]
    assert default.estimators_[1].random_state == 0
    assert default.estimators_[0].lr_milestones == (0.5, 0.75)  # the step size decays in the default member
    for bad in ([], ["PUAutoencoder"], "PUAutoencoder"):
        with pytest.raises(ValueError, match="estimators must be None or a non-empty list of estimators"):
            PUEnsemble(bad).fit(X_unlabeled, X_anom)
    with pytest.raises(ValueError, match="requires y to be passed"):
        PUEnsemble().fit(X_unlabeled)


class _Column:
    """A detector whose score is one column of X (clone-able: its parameters are its attributes)."""

    def __init__(self, column=0):
        self.column = column

    def get_params(self, deep=True):
        return {"column": self.column}

    def set_params(self, **params):
        self.column = params.get("column", self.column)
        return self

    def fit(self, X, y=None):
        self.decision_scores_ = self.decision_function(X)
        return self

    def decision_function(self, X):
        return np.asarray(X, dtype=np.float64)[:, self.column]


def test_ensemble_weights_move_to_the_member_that_separates_out_of_fold():
    rng = np.random.default_rng(0)
    # column 0 separates the anomalies (shifted by 4), column 1 is noise
    X_unlabeled = np.vstack([rng.normal(size=(500, 2)), rng.normal(size=(30, 2)) + [4.0, 0.0]])
    X_anom = rng.normal(size=(30, 2)) + [4.0, 0.0]
    X_test = np.vstack([rng.normal(size=(200, 2)), rng.normal(size=(20, 2)) + [4.0, 0.0]])
    y_test = np.r_[np.zeros(200), np.ones(20)]
    noise, separating = _Column(1), _Column(0)
    stacked = PUEnsemble([noise, separating], cv=5, random_state=0).fit(X_unlabeled, X_anom)
    assert list(stacked.cv_results_["estimator"]) == ["mean", "_Column", "_Column"]
    folds = np.array([stacked.cv_results_[f"split{j}_test_score"] for j in range(5)]).T
    assert np.all(folds[2] > folds[0]) and np.all(folds[1] < 0.7)  # the separating column wins every fold
    assert stacked.weights_[1] > 0.8 and stacked.weights_.sum() == pytest.approx(1.0)
    as_read = X_test.astype(np.float32)  # as the ensemble reads X
    percentiles = [_mean_percentile([np.sort(m.decision_scores_)] * 2, [m.decision_function(as_read)] * 2)
                   for m in stacked.estimators_]
    np.testing.assert_allclose(stacked.decision_function(X_test), np.dot(stacked.weights_, percentiles))
    averaged = PUEnsemble([noise, separating], cv=None).fit(X_unlabeled, X_anom)  # no folds: equal weights
    np.testing.assert_array_equal(averaged.weights_, [0.5, 0.5])
    assert "split0_test_score" not in averaged.cv_results_
    assert (roc_auc_score(y_test, stacked.decision_function(X_test))
            > roc_auc_score(y_test, averaged.decision_function(X_test)) + 0.02)
    one_label = PUEnsemble([noise, separating], cv=3).fit(X_unlabeled, X_anom[:1])  # no folds possible
    np.testing.assert_array_equal(one_label.weights_, [0.5, 0.5])
    assert "split0_test_score" not in one_label.cv_results_
    for bad in (1, 2.5):
        with pytest.raises(ValueError, match=re.escape(f"cv must be an integer >= 2; got {bad!r}")):
            PUEnsemble([noise, separating], cv=bad).fit(X_unlabeled, X_anom)


def test_stacked_weights_by_hand():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(40, dtype=int), np.ones(10, dtype=int)]
    informative = np.where(y == 1, 0.8, 0.3) + rng.uniform(-0.2, 0.2, size=50)
    noise = rng.uniform(size=50)
    # a member scoring the labeled rows low gets a negative coefficient: it is dropped, the other refitted
    np.testing.assert_array_equal(_stacked_weights(np.column_stack([informative, 1 - informative]), y), [1, 0])
    # two identical members: equal coefficients
    np.testing.assert_allclose(_stacked_weights(np.column_stack([informative, informative]), y), [0.5, 0.5])
    # no member with a positive coefficient: equal weights
    np.testing.assert_array_equal(_stacked_weights(np.column_stack([1 - informative, 1 - informative]), y),
                                  [0.5, 0.5])
    # otherwise the logistic regression's coefficients (L2, C = 1), scaled to sum to one
    both = np.column_stack([informative, informative ** 2 + 0.1 * noise])
    coefficients = LogisticRegression().fit(both, y).coef_[0]
    assert (coefficients > 0).all()
    np.testing.assert_allclose(_stacked_weights(both, y), coefficients / coefficients.sum())


def test_mean_percentile_by_hand():
    # member 1's training scores 1, 2, 2, 4: fractions at or below them 1/4, 3/4, 3/4, 1; member 2's 0, 10.
    references = [np.array([1.0, 2.0, 2.0, 4.0]), np.array([0.0, 10.0])]
    scores = [np.array([2.0, 3.0, 0.0, 5.0]), np.array([10.0, 5.0, 0.0, 20.0])]
    # member 1: 0.75, halfway from 0.75 to 1 = 0.875, below the lowest 0, above the highest 1;
    # member 2: 1, halfway from 0.5 to 1 = 0.75, 0.5, 1.
    np.testing.assert_allclose(_mean_percentile(references, scores), [0.875, 0.8125, 0.25, 1.0])
    np.testing.assert_array_equal(_mean_percentile(references[:1], scores[:1]), scores[0])
