"""PUSearchCV picks the better detector without clean labels; PUGradientBoosting separates."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from helpers import TINY, make_contaminated
from pu_detect import Autoencoder, PUAutoencoder, PUGradientBoosting, PUSearchCV


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
