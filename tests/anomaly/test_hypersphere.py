"""The hypersphere family: SVDD rules, and each detector on data where the answer is known."""

import pickle

import numpy as np
import pytest
import torch
from helpers import make_contaminated
from sklearn.metrics import roc_auc_score
from torch import nn

from pu_detect import DeepSAD, DeepSVDD, PUDeepSVDD
from pu_detect.anomaly.hypersphere import hypersphere_center
from pu_detect.networks import autoencoder, build

NET = dict(hidden_dims=(32,), latent_dim=2, epochs=60, pretrain_epochs=20, batch_size=64)


def auroc(model, X_test, y_test):
    return roc_auc_score(y_test, model.decision_function(X_test))


def test_center_rule_by_hand():
    latent = np.array([[0.3, 0.09, -0.05, 0.0], [0.5, 0.05, -0.01, 0.0]])
    # means 0.4, 0.07, -0.03, 0.0 -> 0.4, +0.1, -0.1, +0.1
    np.testing.assert_allclose(hypersphere_center(latent), [0.4, 0.1, -0.1, 0.1])


@pytest.mark.parametrize("input_shape", [None, (1, 4, 4)])
def test_encoder_has_no_bias_and_no_affine_norm(input_shape):
    X = np.random.default_rng(0).uniform(size=(40, 16))
    model = DeepSVDD(hidden_dims=(4,), latent_dim=3, epochs=1, pretrain_epochs=1,
                     input_shape=input_shape, random_state=0).fit(X)
    names = [name for name, _ in model.module_.named_parameters()]
    assert names and not any("bias" in name for name in names)
    for layer in model.module_.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            assert layer.bias is None
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            assert not layer.affine
        assert not isinstance(layer, (nn.Sigmoid, nn.Tanh))


def test_center_is_mean_initial_output_over_training_rows():
    X = np.random.default_rng(0).normal(size=(100, 5))
    model = DeepSVDD(epochs=3, pretrain_epochs=0, random_state=0).fit(X)
    # the same seed builds the same initial network
    initial = build(lambda: autoencoder(5, (64,), 8, bias_free=True), torch.Generator().manual_seed(0))
    with torch.no_grad():
        latent = initial.encoder.eval()(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(model.center_, hypersphere_center(latent), rtol=1e-5, atol=1e-7)


def test_center_survives_pickling_and_refit_recomputes_it():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    model = DeepSVDD(epochs=2, pretrain_epochs=2, random_state=0).fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.center_, model.center_)
    np.testing.assert_array_equal(restored.decision_function(X), model.decision_function(X))
    first = model.center_.copy()
    model.fit(X + 5.0)
    assert not np.allclose(model.center_, first)


def test_scores_are_squared_distances_to_the_center():
    X = np.random.default_rng(0).normal(size=(50, 4))
    model = DeepSVDD(epochs=2, pretrain_epochs=1, random_state=0).fit(X)
    with torch.no_grad():
        latent = model.module_.double()(torch.tensor(X[:5].astype(np.float32), dtype=torch.float64)).numpy()
    expected = ((latent - model.center_) ** 2).sum(axis=1)
    np.testing.assert_allclose(model.decision_function(X[:5]), expected, rtol=1e-10)


def test_one_training_row_is_a_clear_error():
    with pytest.raises(ValueError, match=r"needs at least 2 training rows .* got 1 sample\(s\)"):
        DeepSVDD(epochs=1).fit(np.zeros((1, 3)))


def test_pu_deep_svdd_beats_deep_sad_under_contamination():
    """Heavy contamination (100 hidden anomalies, 3 labeled): Deep SAD pulls the
    hidden anomalies to the centre; the PU risk removes their share."""
    pu, sad = [], []
    for seed in range(3):
        X_unlabeled, X_anom, X_test, y_test = make_contaminated(seed, n_hidden=100, n_labeled=3)
        pu.append(auroc(PUDeepSVDD(random_state=seed, **NET).fit(X_unlabeled, X_anom), X_test, y_test))
        sad.append(auroc(DeepSAD(random_state=seed, **NET).fit(X_unlabeled, X_anom), X_test, y_test))
    # measured: PUDeepSVDD 1.000 / 0.999 / 0.996, DeepSAD 0.885 / 0.925 / 0.898
    assert np.mean(pu) > 0.98
    assert np.mean(sad) < 0.95
    assert np.mean(pu) - np.mean(sad) > 0.05


def test_deep_svdd_flags_rows_off_the_normal_manifold(contaminated):
    X_unlabeled = contaminated[0][:600]
    rng = np.random.default_rng(0)
    X_test = np.vstack([X_unlabeled[:200], rng.normal(0, 0.5, size=(50, X_unlabeled.shape[1]))])
    y_test = np.r_[np.zeros(200), np.ones(50)]
    assert auroc(DeepSVDD(random_state=0, **NET).fit(X_unlabeled[200:]), X_test, y_test) > 0.9


def test_deep_sad_separates_labeled_anomaly_kind(contaminated):
    X_unlabeled, X_anom, X_test, y_test = contaminated
    assert auroc(DeepSAD(random_state=0, **NET).fit(X_unlabeled, X_anom), X_test, y_test) > 0.95
