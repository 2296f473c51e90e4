"""Checks every public estimator must pass: sklearn's, and pu_detect's own contract.

The estimators come from ``pu_detect.utils.discovery.all_estimators`` (through
``helpers``): anomaly detectors, classifiers, and the adversarial detectors
over a frozen classifier.
"""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from helpers import (ADVERSARIAL, ADVERSARIAL_CONFIGS, CLASSIFIER_CONFIGS, CLASSIFIER_VARIANTS, CLASSIFIERS,
                     DETECTOR_CONFIGS, ESTIMATORS, SELECTION, SELECTION_CONFIGS, SEMI_SUPERVISED, frozen_classifier, ids)

from pu_detect.utils.discovery import all_estimators

PYOD_LABELS = (
    "PyOD's convention: predict and fit_predict return 0 (inlier) / 1 (outlier), "
    "where sklearn's outlier checks expect -1 / +1"
)


def expected_failed_checks(estimator):
    return {
        "check_outliers_train": PYOD_LABELS,
        "check_outliers_fit_predict": PYOD_LABELS,
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # y in {0, 1, 2}, no labeled anomaly
        check(estimator)


def test_every_public_estimator_is_configured():
    configured = set(DETECTOR_CONFIGS) | set(CLASSIFIER_CONFIGS) | set(ADVERSARIAL_CONFIGS) | set(SELECTION_CONFIGS)
    assert {name for name, _ in all_estimators()} == configured
    assert len(ESTIMATORS) + len(CLASSIFIERS) + len(ADVERSARIAL) + len(SELECTION) == len(configured)
    with pytest.raises(ValueError, match="type_filter must be None or one of"):
        all_estimators("regressor")


@parametrize_with_checks(CLASSIFIERS + CLASSIFIER_VARIANTS)
def test_classifiers_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_checks(SELECTION, expected_failed_checks=lambda estimator: {
    "check_outliers_train": PYOD_LABELS,
    "check_outliers_fit_predict": PYOD_LABELS,
    **({"check_fit2d_1sample": "a classifier of labeled vs unlabeled rows needs both; one row holds one"}
       if type(estimator).__name__ == "PUGradientBoosting" else {}),
})
def test_selection_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)


@pytest.fixture(params=SELECTION, ids=ids(SELECTION))
def selection(request):
    return clone(request.param)


def test_selection_pyod_contract_both_spellings_seeds_pickle_pipeline(selection, small_pu):
    X, y = small_pu
    fitted = clone(selection).fit(X, y)
    assert fitted.decision_scores_.shape == (len(X),) and set(np.unique(fitted.labels_)) <= {0, 1}
    assert fitted.predict_proba(X).shape == (len(X), 2)
    by_arrays = clone(selection).fit(X[y == 0], X[y == 1])
    order = np.argsort(y, kind="stable")  # the rows as fit(X_unlabeled, X_anom) stacks them (folds follow the order)
    np.testing.assert_allclose(by_arrays.decision_scores_, clone(selection).fit(X[order], y[order]).decision_scores_)
    np.testing.assert_array_equal(clone(selection).fit(X, y).decision_function(X), fitted.decision_function(X))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(X), fitted.decision_function(X))
    pipe = Pipeline([("scale", MinMaxScaler()), ("det", clone(selection))]).fit(X, y)
    assert pipe.decision_function(X).shape == (len(X),)


OVERWRITE_PARAMS = (
    "joblib.hash of a deep-copied torch module differs from the original's (tensors hash by storage, "
    "not by value), so the check sees a change where there is none; "
    "test_adversarial_fit_leaves_the_classifier_as_it_was checks it by value"
)


@parametrize_with_checks(ADVERSARIAL, expected_failed_checks=lambda estimator: {
    "check_outliers_train": PYOD_LABELS,
    "check_outliers_fit_predict": PYOD_LABELS,
    "check_estimators_overwrite_params": OVERWRITE_PARAMS,
})
def test_adversarial_detectors_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)


@pytest.fixture(params=ADVERSARIAL, ids=ids(ADVERSARIAL))
def adversarial(request):
    return clone(request.param)


def test_adversarial_fit_leaves_the_classifier_as_it_was(adversarial):
    X = np.random.default_rng(0).uniform(size=(40, 5))
    before = {k: v.clone() for k, v in adversarial.classifier.module.state_dict().items()}
    adversarial.fit(X)
    after = adversarial.classifier.module.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_adversarial_clone_keeps_the_fitted_classifier_and_grid_search_tunes_the_detector(adversarial):
    X = np.random.default_rng(0).uniform(size=(60, 5))
    copy = clone(adversarial)
    assert copy.classifier is adversarial.classifier and copy.get_params(deep=False).keys() == \
        adversarial.get_params(deep=False).keys()
    assert np.array_equal(copy.fit(X).decision_scores_, clone(adversarial).fit(X).decision_scores_)

    def flagged_share(estimator, X, y=None):
        return -float(estimator.predict(X).mean())

    search = GridSearchCV(adversarial, {"contamination": [0.05, 0.2]}, scoring=flagged_share, cv=3).fit(X)
    assert search.best_params_["contamination"] in (0.05, 0.2)
    assert search.best_estimator_.classifier is adversarial.classifier


def test_adversarial_pickle_keeps_scores(adversarial):
    X = np.random.default_rng(1).uniform(size=(30, 4))
    fitted = adversarial.fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(X), fitted.decision_function(X))


def test_adversarial_bad_contamination_is_named(adversarial):
    with pytest.raises(ValueError, match="contamination must be a real number in"):
        adversarial.set_params(contamination=0.9).fit(np.ones((5, 3)))


def test_frozen_classifier_takes_rows_of_any_width():
    model = frozen_classifier()
    for width in (1, 3, 20):
        assert model.logits(model.module, torch.zeros(2, width)).shape == (2, 4)


@pytest.fixture(params=ESTIMATORS, ids=ids(ESTIMATORS))
def estimator(request):
    return clone(request.param)


def test_pyod_contract(estimator, small_pu):
    X, y = small_pu
    assert estimator.fit(X, y) is estimator
    assert estimator.decision_scores_.shape == (len(X),)
    assert np.isfinite(estimator.decision_scores_).all()
    assert set(np.unique(estimator.labels_)) <= {0, 1}
    assert estimator.labels_.sum() == (estimator.decision_scores_ > estimator.threshold_).sum()
    assert set(np.unique(estimator.predict(X))) <= {0, 1}
    proba = estimator.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert estimator.n_features_in_ == X.shape[1]
    assert len(estimator.history_["loss"]) == estimator.epochs
    assert isinstance(estimator.module_, torch.nn.Module)


def test_both_fit_spellings_give_identical_models(estimator, small_pu):
    X, y = small_pu
    X_unlabeled, X_anom = X[y == 0], X[y == 1]
    by_labels = clone(estimator).fit(np.vstack([X_unlabeled, X_anom]), np.r_[np.zeros(len(X_unlabeled)), np.ones(len(X_anom))])
    by_arrays = clone(estimator).fit(X_unlabeled, X_anom)
    np.testing.assert_array_equal(by_labels.decision_function(X), by_arrays.decision_function(X))
    np.testing.assert_array_equal(by_labels.decision_scores_, by_arrays.decision_scores_)


def test_labels_change_semi_supervised_models_only(estimator, small_pu):
    X, y = small_pu
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        unlabeled_only = clone(estimator).fit(X[y == 0]).decision_function(X)
    with_labels = clone(estimator).fit(X, y).decision_function(X)
    if estimator._semi_supervised:
        assert not np.allclose(unlabeled_only, with_labels)
    else:  # baselines train on the unlabeled rows only
        np.testing.assert_array_equal(unlabeled_only, with_labels)


def test_same_seed_same_scores_other_seed_other_scores(estimator, small_pu):
    X, y = small_pu
    first = clone(estimator).fit(X, y).decision_function(X)
    again = clone(estimator).fit(X, y).decision_function(X)
    other = clone(estimator).set_params(random_state=1).fit(X, y).decision_function(X)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_global_rng_state_untouched(estimator, small_pu):
    X, y = small_pu
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    clone(estimator).set_params(random_state=None).fit(X, y).decision_function(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), numpy_state))


def test_clone_and_pickle_keep_scores(estimator, small_pu):
    X, y = small_pu
    params = estimator.get_params()
    assert clone(estimator).get_params() == params
    fitted = estimator.fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(X), fitted.decision_function(X))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    assert restored.get_params() == params


def test_scores_do_not_depend_on_inference_batch(estimator, small_pu):
    X, y = small_pu
    estimator.fit(X, y)
    whole = estimator.decision_function(X)
    one_by_one = np.concatenate([estimator.decision_function(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(whole, one_by_one, rtol=1e-12)


def test_refit_resets_state(estimator, small_pu):
    X, y = small_pu
    first = clone(estimator).fit(X, y).decision_function(X)
    refitted = clone(estimator).fit(X[:, ::-1], y).fit(X, y).decision_function(X)
    np.testing.assert_array_equal(first, refitted)


def test_validation_split_restores_best_epoch(estimator, small_pu):
    X, y = small_pu
    estimator.set_params(validation_fraction=0.25, epochs=30, n_iter_no_change=3)
    estimator.fit(X, y)
    history = estimator.history_
    assert len(history["val_loss"]) == len(history["loss"]) <= 30
    assert history["val_loss"][history["best_epoch"]] == min(history["val_loss"])


@pytest.mark.parametrize("semi", SEMI_SUPERVISED, ids=ids(SEMI_SUPERVISED))
def test_semi_supervised_without_anomalies_warns_and_trains(semi, small_pu):
    X, _ = small_pu
    with pytest.warns(UserWarning, match="no labeled anomaly"):
        model = clone(semi).fit(X, np.zeros(len(X), dtype=int))
    assert np.isfinite(model.decision_scores_).all()


def test_labels_above_one_warn_and_count_as_unlabeled(estimator, small_pu):
    X, y = small_pu
    y2 = np.where(y == 0, 2, 1)
    with pytest.warns(UserWarning, match="above 1"):
        with_twos = clone(estimator).fit(X, y2).decision_function(X)
    np.testing.assert_array_equal(with_twos, clone(estimator).fit(X, y).decision_function(X))


def test_pipeline_and_grid_search_with_stratified_folds(estimator, small_pu):
    X, y = small_pu
    pipe = Pipeline([("scale", MinMaxScaler()), ("det", estimator)])
    pipe.fit(X, y)
    assert pipe.decision_function(X).shape == (len(X),)
    search = GridSearchCV(
        pipe,
        {"det__latent_dim": [1, 2]},
        scoring="roc_auc",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    assert search.best_params_["det__latent_dim"] in (1, 2)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_pandas_input_keeps_feature_names(estimator, small_pu):
    pd = pytest.importorskip("pandas")
    X, y = small_pu
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    estimator.fit(frame, pd.Series(y))
    assert list(estimator.feature_names_in_) == list(frame.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = estimator.decision_function(X)
    np.testing.assert_array_equal(estimator.decision_function(frame), from_array)
