import itertools
import warnings

import numpy as np
import pytest
from helpers import make_contaminated
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from pu_detect import ABC, Autoencoder, DeepSVDD, PUAutoencoder, PUDeepSVDD
from pu_detect.metrics import pu_roc_auc, pu_roc_auc_scorer, true_roc_auc


def test_pu_roc_auc_is_affine_in_true_auc():
    rng = np.random.default_rng(0)
    n_normal, n_hidden, n_labeled = 4000, 1000, 1000
    prior = n_hidden / (n_normal + n_hidden)
    normal, anomalous = rng.normal(0, 1, n_normal), rng.normal(1, 1, n_hidden + n_labeled)
    true = roc_auc_score(np.r_[np.zeros(n_normal), np.ones(n_hidden + n_labeled)], np.r_[normal, anomalous])
    y_pu = np.r_[np.zeros(n_normal + n_hidden), np.ones(n_labeled)]
    pu = pu_roc_auc(y_pu, np.r_[normal, anomalous])
    assert pu == pytest.approx((1 - prior) * true + prior / 2, abs=0.02)
    assert true_roc_auc(pu, prior) == pytest.approx(true, abs=0.02)


def test_pu_roc_auc_without_labeled_anomaly_is_nan_with_warning():
    with pytest.warns(UserWarning, match="stratified"):
        assert np.isnan(pu_roc_auc([0, 0, 0], [0.1, 0.2, 0.3]))


def test_pu_score_ranks_models_like_true_auc():
    """Fitted models of very different quality: the PU AUC on held-out PU
    labels orders them as the true AUC on the same rows does."""
    # one draw, split in halves: 600 normals + 60 hidden anomalies + 30 labeled each
    X_u, X_a, _, _ = make_contaminated(0, n_normal=1200, n_hidden=120, n_labeled=60)
    X_unlabeled = np.vstack([X_u[:600], X_u[1200:1260]])
    X_anom = X_a[:30]
    X_valid = np.vstack([X_u[600:1200], X_u[1260:], X_a[30:]])
    y_pu = np.r_[np.zeros(660), np.ones(30)]
    y_true = np.r_[np.zeros(600), np.ones(60), np.ones(30)]  # 60 hidden anomalies in U
    net = dict(hidden_dims=(32,), latent_dim=2, batch_size=64, random_state=0)
    models = [
        DeepSVDD(epochs=60, pretrain_epochs=20, **net),
        Autoencoder(epochs=60, **net),
        PUAutoencoder(epochs=1, **net),
        ABC(epochs=60, **net),
        PUAutoencoder(epochs=60, **net),
    ]
    pu_scores, true_scores = [], []
    for model in models:
        scores = model.fit(X_unlabeled, X_anom).decision_function(X_valid)
        pu_scores.append(pu_roc_auc(y_pu, scores))
        true_scores.append(roc_auc_score(y_true, scores))
    assert np.ptp(true_scores) > 0.1  # the models really differ
    prior = 60 / 660
    for pu, true in zip(pu_scores, true_scores):
        # 30 labeled anomalies: the PU AUC carries about +-0.05 of sampling noise
        assert pu == pytest.approx((1 - prior) * true + prior / 2, abs=0.06)
    # every pair of models whose true AUCs differ clearly is ordered the same way
    for i, j in itertools.combinations(range(len(models)), 2):
        if abs(true_scores[i] - true_scores[j]) > 0.02:
            assert np.sign(pu_scores[i] - pu_scores[j]) == np.sign(true_scores[i] - true_scores[j])


def test_grid_search_pu_deep_svdd_with_pu_scorer():
    X_unlabeled, X_anom, _, _ = make_contaminated(0, n_hidden=60, n_labeled=30)
    X = np.vstack([X_unlabeled, X_anom])
    y = np.r_[np.zeros(len(X_unlabeled), dtype=int), np.ones(len(X_anom), dtype=int)]
    search = GridSearchCV(
        PUDeepSVDD(hidden_dims=(16,), epochs=5, pretrain_epochs=2, random_state=0),
        {"latent_dim": [2, 4], "prior": [0.05, 0.1]},
        scoring=pu_roc_auc_scorer,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    assert set(search.best_params_) == {"latent_dim", "prior"}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert 0.5 < search.best_score_ <= 1.0


def test_cross_val_score_with_pu_scorer():
    X_unlabeled, X_anom, _, _ = make_contaminated(0)
    X = np.vstack([X_unlabeled, X_anom])
    y = np.r_[np.zeros(len(X_unlabeled), dtype=int), np.ones(len(X_anom), dtype=int)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stratified folds: no fold lacks labeled anomalies
        scores = cross_val_score(PUAutoencoder(epochs=3, random_state=0), X, y, scoring=pu_roc_auc_scorer,
                                 cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_tnr_at_tpr_by_hand_and_bad_input():
    from pu_detect.metrics import tnr_at_tpr

    y = [0] * 20 + [1] * 4
    scores = list(range(20)) + [18.5, 19.5, 25, 3]  # in-distribution 0..19; at TPR 0.95 the threshold is 18
    assert tnr_at_tpr(y, scores) == 0.75
    assert tnr_at_tpr(y, scores, tpr=1.0) == 0.5
    with pytest.raises(ValueError, match="y_true must be both in-distribution"):
        tnr_at_tpr([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="tpr"):
        tnr_at_tpr(y, scores, tpr=1.5)
    with pytest.raises(ValueError, match="scores must be one score per label"):
        tnr_at_tpr(y, scores[:5])
