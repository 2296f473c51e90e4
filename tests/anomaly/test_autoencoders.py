"""Each detector of the autoencoder family separates anomalies where the answer is known."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pu_detect import ABC, Autoencoder, PUAutoencoder

NET = dict(hidden_dims=(32,), latent_dim=2, epochs=60, batch_size=64, random_state=0)


def auroc(model, X_test, y_test):
    return roc_auc_score(y_test, model.decision_function(X_test))


@pytest.mark.parametrize("correction", ["abs", "nnpu"])
def test_pu_autoencoder_catches_anomalies_hidden_in_unlabeled_set(contaminated, correction):
    X_unlabeled, X_anom, X_test, y_test = contaminated
    baseline = auroc(Autoencoder(**NET).fit(X_unlabeled), X_test, y_test)
    pu = auroc(PUAutoencoder(correction=correction, **NET).fit(X_unlabeled, X_anom), X_test, y_test)
    # The anomalies lie on the normals' plane: an autoencoder trained on the
    # contaminated set reconstructs them (measured: 0.61); the PU risk
    # removes their share and learns to reconstruct normals only (1.00).
    assert baseline < 0.75
    assert pu > 0.97
    assert pu - baseline > 0.25


def test_abc_uses_labeled_anomalies(contaminated):
    X_unlabeled, X_anom, X_test, y_test = contaminated
    assert auroc(ABC(**NET).fit(X_unlabeled, X_anom), X_test, y_test) > 0.95


def test_autoencoder_flags_rows_off_the_normal_manifold(contaminated):
    X_unlabeled, _, _, _ = contaminated
    rng = np.random.default_rng(0)
    normals = X_unlabeled[:600]  # the clean part
    X_test = np.vstack([normals[:200], rng.normal(0, 0.5, size=(50, normals.shape[1]))])
    y_test = np.r_[np.zeros(200), np.ones(50)]
    assert auroc(Autoencoder(**NET).fit(normals[200:]), X_test, y_test) > 0.95


def test_pu_autoencoder_records_prior(contaminated):
    X_unlabeled, X_anom, _, _ = contaminated
    model = PUAutoencoder(prior=0.09, epochs=1, random_state=0).fit(X_unlabeled, X_anom)
    assert model.prior_ == 0.09


def test_conv_autoencoder_on_image_rows():
    """input_shape selects the conv network; structured images vs noise."""
    rng = np.random.default_rng(0)
    side = 8
    grid = np.linspace(0, np.pi, side)

    def stripes(n):
        freq = rng.uniform(1, 2, size=(n, 1, 1))
        phase = rng.uniform(0, np.pi, size=(n, 1, 1))
        images = 0.5 + 0.5 * np.sin(freq * grid[None, :, None] + phase) * np.ones((1, 1, side))
        return images.reshape(n, -1)

    X_train = stripes(300)
    X_test = np.vstack([stripes(60), rng.uniform(0, 1, size=(20, side * side))])
    y_test = np.r_[np.zeros(60), np.ones(20)]
    model = Autoencoder(hidden_dims=(4, 8), latent_dim=4, epochs=30, batch_size=32,
                        input_shape=(1, side, side), random_state=0).fit(X_train)
    assert type(model.module_).__name__ == "ConvAutoencoder"
    assert auroc(model, X_test, y_test) > 0.95


@pytest.mark.parametrize("Detector", [Autoencoder, PUAutoencoder])
def test_lr_milestones_divide_the_step_size_after_the_milestone(Detector):
    """Same seed: identical epochs before the milestone, then steps about a tenth as long."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.r_[np.ones(10, dtype=int), np.zeros(290, dtype=int)]
    tiny = dict(hidden_dims=(8,), latent_dim=2, batch_size=64, lr=1e-2, random_state=0)

    def weights(**params):
        model = Detector(**tiny, **params).fit(X, y)
        return model, np.concatenate([p.detach().numpy().ravel() for p in model.module_.parameters()])

    _, halfway = weights(epochs=4)
    constant, constant_end = weights(epochs=8)
    decayed, decayed_end = weights(epochs=8, lr_milestones=(0.5,))
    assert decayed.history_["loss"][:4] == constant.history_["loss"][:4]
    assert decayed.history_["loss"][4:] != constant.history_["loss"][4:]
    moved_decayed = np.linalg.norm(decayed_end - halfway)
    moved_constant = np.linalg.norm(constant_end - halfway)
    assert 0.0 < moved_decayed < 0.3 * moved_constant
