"""VAEDetector and PUVAE: exact likelihoods on a known model, the density-ratio trick, separation."""

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pu_detect import PUVAE, VAEDetector
from pu_detect.anomaly.generative import vae_importance_nll, vae_negative_elbo
from pu_detect.engine.training import train
from pu_detect.losses import density_ratio_loss
from pu_detect.networks import DensityRatio, VariationalAutoencoder, build


def _linear_gaussian_vae(w, b, noise_variance, k):
    """p(z) = N(0, 1), p(x|z) = N(w z + b, s2), with the exact posterior as the encoder."""
    vae = build(lambda: VariationalAutoencoder(1, (), 1, "gaussian", n_importance_samples=k),
                torch.Generator().manual_seed(0))
    total = w**2 + noise_variance
    with torch.no_grad():
        vae.decoder[0].weight.fill_(w)
        vae.decoder[0].bias.fill_(b)
        vae.log_variance.value.fill_(math.log(noise_variance))
        encoder = vae.encoder[0]  # outputs (mu, log variance)
        encoder.weight.copy_(torch.tensor([[w / total], [0.0]]))
        encoder.bias.copy_(torch.tensor([-w * b / total, math.log(noise_variance / total)]))
    return vae


def _linear_gaussian_nll(x, w, b, noise_variance):
    """-log p(x) of that model: x ~ N(b, w^2 + s2)."""
    total = w**2 + noise_variance
    return 0.5 * (math.log(2 * math.pi * total) + (x.squeeze(1) - b) ** 2 / total)


@pytest.mark.parametrize("k", [1, 3])
def test_importance_sampling_recovers_the_analytic_likelihood_of_a_linear_gaussian_model(k):
    w, b, s2 = 1.5, 0.5, 0.25
    vae = _linear_gaussian_vae(w, b, s2, k)
    vae.draw_importance_noise(torch.Generator().manual_seed(1))
    x = torch.tensor([[-1.0], [0.5], [2.0]])
    analytic = _linear_gaussian_nll(x, w, b, s2)
    torch.testing.assert_close(vae_importance_nll(vae, x), analytic, rtol=1e-5, atol=1e-5)
    # The ELBO is tight when q is the true posterior: the sampled negative ELBO averages to -log p(x).
    many = x.repeat_interleave(20000, dim=0)
    elbo = vae_negative_elbo(vae, many, torch.Generator().manual_seed(2)).reshape(3, -1).mean(1)
    torch.testing.assert_close(elbo, analytic, rtol=0, atol=0.02)


def test_importance_draws_can_be_redrawn_in_another_number_without_changing_an_exact_estimate():
    w, b, s2 = 1.5, 0.5, 0.25
    vae = _linear_gaussian_vae(w, b, s2, 3)
    vae.draw_importance_noise(torch.Generator().manual_seed(1), n_samples=7)
    assert vae.importance_noise.shape == (7, 1) and "importance_noise" in dict(vae.named_buffers())
    x = torch.tensor([[-1.0], [2.0]])
    analytic = _linear_gaussian_nll(x, w, b, s2)
    torch.testing.assert_close(vae_importance_nll(vae, x), analytic, rtol=1e-5, atol=1e-5)
    for bad in (0, 2.5, "10"):
        with pytest.raises(ValueError, match="n_samples"):
            vae.draw_importance_noise(torch.Generator(), n_samples=bad)


def test_density_ratio_trick_recovers_a_known_log_ratio():
    # q = N(1, 1) against p = N(0, 1): log q/p = z - 1/2.
    generator = torch.Generator().manual_seed(0)
    ratio = build(lambda: DensityRatio(1, (16,), dropout=0.0), generator)
    samples = torch.randn(4000, 1, generator=generator) + 1.0

    def objective(module, batch, generator):
        z_q = batch["rows"]
        return density_ratio_loss(module(z_q), module(torch.randn(z_q.shape, generator=generator)))

    train(ratio, objective, {"rows": samples}, epochs=30, batch_size=256, lr=1e-2, weight_decay=0.0,
          generator=generator)
    z = torch.linspace(-1.0, 2.0, 7)[:, None]
    with torch.no_grad():
        np.testing.assert_allclose(ratio(z).numpy(), (z.squeeze(1) - 0.5).numpy(), atol=0.3)


@pytest.mark.parametrize("latent_prior", ["standard", "implicit"])
def test_vae_scores_are_a_density_and_separate_shifted_rows(latent_prior):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    det = VAEDetector(epochs=30, latent_prior=latent_prior, random_state=0).fit(X)
    # -log N(x; 0, I_4) averages 4 * (log(2 pi) + 1) / 2 = 5.68 nats.
    assert abs(det.decision_scores_.mean() - 2 * (math.log(2 * math.pi) + 1)) < 0.5
    shifted = rng.normal(size=(100, 4)) + np.array([4.0, 0, 0, 0])
    y = np.r_[np.zeros(100), np.ones(100)]
    assert roc_auc_score(y, det.decision_function(np.vstack([X[:100], shifted]))) > 0.9


def test_implicit_prior_trains_the_density_ratio_after_every_epoch_and_not_with_the_vae():
    X = np.random.default_rng(0).normal(size=(200, 3))
    det = VAEDetector(epochs=4, density_ratio_epochs=2, latent_prior="implicit", random_state=0).fit(X)
    assert len(det.history_["density_ratio_loss"]) == 4
    untrained = build(lambda: det._make_module(3, det), torch.Generator().manual_seed(0))
    trained = det.module_.density_ratio.state_dict()
    assert any(not torch.equal(trained[k], v) for k, v in untrained.density_ratio.state_dict().items())
    plain = VAEDetector(epochs=4, random_state=0).fit(X)
    assert "density_ratio_loss" not in plain.history_ and plain.module_.density_ratio is None


def test_scores_are_deterministic_and_do_not_depend_on_the_batch():
    X = np.random.default_rng(0).normal(size=(150, 3))
    det = VAEDetector(epochs=3, random_state=0).fit(X)
    again = VAEDetector(epochs=3, random_state=0).fit(X)
    np.testing.assert_array_equal(det.decision_scores_, again.decision_scores_)
    np.testing.assert_allclose(det.decision_function(X[:1]), det.decision_scores_[:1], rtol=1e-12)
    other = VAEDetector(epochs=3, random_state=1).fit(X)
    assert not np.allclose(other.decision_scores_, det.decision_scores_)


def test_bernoulli_likelihood_needs_rows_in_0_1_and_works_on_images():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"X must be features in \[0, 1\] for likelihood='bernoulli'"):
        VAEDetector(likelihood="bernoulli", epochs=1).fit(rng.normal(size=(20, 4)))
    images = (rng.uniform(size=(40, 64)) < 0.2).astype(float)
    det = VAEDetector(likelihood="bernoulli", hidden_dims=(4,), latent_dim=2, epochs=2, input_shape=(1, 8, 8),
                      random_state=0).fit(images)
    assert np.all(det.decision_scores_ > 0)  # -log p of binary data is positive
    with pytest.raises(ValueError, match="X must be features in"):
        det.decision_function(images * 2)


def test_pu_vae_learns_the_normal_density_when_labeled_like_anomalies_hide_in_the_unlabeled_rows():
    rng = np.random.default_rng(0)
    normal, anomalies = rng.normal(size=(500, 5)), rng.normal(2.5, 0.3, size=(60, 5))
    X_unlabeled, X_anom = np.vstack([normal[:450], anomalies[:50]]), anomalies[50:]
    X_test = np.vstack([normal[450:], rng.normal(2.5, 0.3, size=(50, 5))])
    y_test = np.r_[np.zeros(50), np.ones(50)]
    plain = VAEDetector(epochs=30, random_state=0).fit(X_unlabeled)
    pu = PUVAE(epochs=30, random_state=0).fit(X_unlabeled, X_anom)
    auc_plain = roc_auc_score(y_test, plain.decision_function(X_test))
    auc_pu = roc_auc_score(y_test, pu.decision_function(X_test))
    assert auc_pu > 0.99 and auc_pu > auc_plain + 0.02
    assert pu.prior_ == 0.3


def test_bad_parameters_are_named():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="latent_prior must be one of"):
        VAEDetector(latent_prior="vamp").fit(X)
    with pytest.raises(ValueError, match="n_importance_samples"):
        VAEDetector(n_importance_samples=0).fit(X)
    with pytest.raises(ValueError, match="likelihood must be one of"):
        PUVAE(likelihood="poisson").fit(X, X[:2] + 3)


def test_prior_normaliser_estimate_is_the_log_mean_of_exp_t():
    vae = build(lambda: VariationalAutoencoder(3, (4,), 2, "gaussian", density_ratio_dims=(4,)),
                torch.Generator().manual_seed(0))
    with torch.no_grad():
        vae.density_ratio.output.weight.zero_()
        vae.density_ratio.output.bias.fill_(0.7)  # T = 0.7 everywhere: E[exp T] = exp(0.7)
    vae.estimate_prior_normaliser(torch.Generator().manual_seed(1), n_samples=1000)
    assert float(vae.log_prior_normaliser) == pytest.approx(0.7, abs=1e-6)
    torch.testing.assert_close(vae.log_ratio(torch.zeros(5, 2)), torch.full((5,), 0.7))  # not subtracted


class _ExactLogRatio(torch.nn.Module):
    """T(z) = log q(z) / N(z; 0, 1) for q = N(3, 0.1^2) in one latent dimension: Z = E_N[exp T] = 1."""

    def forward(self, z, generator=None):
        z = z.squeeze(-1)
        return -0.5 * ((z - 3.0) / 0.1) ** 2 - math.log(0.1) + 0.5 * z**2


def _one_latent_vae():
    return build(lambda: VariationalAutoencoder(2, (4,), 1, "gaussian", density_ratio_dims=(4,)),
                 torch.Generator().manual_seed(0))


def test_mixture_prior_normaliser_matches_quadrature():
    vae = _one_latent_vae()
    with torch.no_grad():
        vae.density_ratio.output.weight.mul_(4.0)  # a T with bumps of several nats
    z = torch.linspace(-12, 12, 200001)[:, None]
    density = torch.exp(-0.5 * z.squeeze(1).double() ** 2 + vae.log_ratio(z).double()) / math.sqrt(2 * math.pi)
    exact = math.log(torch.trapezoid(density, z.squeeze(1).double()).item())
    assert abs(exact) > 0.5  # the case is not trivially Z = 1
    mu, log_variance = torch.tensor([[2.0], [-1.0]]), torch.tensor([[-2.0], [-1.0]])
    estimate = vae.mixture_prior_normaliser(mu, log_variance, torch.Generator().manual_seed(1))
    assert float(estimate) == pytest.approx(exact, abs=0.02)


def test_mixture_prior_normaliser_finds_the_narrow_posterior():
    vae = _one_latent_vae()
    vae.density_ratio = _ExactLogRatio()
    mixture, plain = [], []
    for seed in range(5):
        mixture.append(float(vae.mixture_prior_normaliser(torch.tensor([[3.0]]), torch.tensor([[math.log(0.01)]]),
                                                          torch.Generator().manual_seed(seed), n_samples=1000)))
        vae.estimate_prior_normaliser(torch.Generator().manual_seed(seed), n_samples=1000)
        plain.append(float(vae.log_prior_normaliser))
    assert max(abs(value) for value in mixture) < 0.02  # every weight 2q / (N + q) is in [0, 2]
    assert max(plain) - min(plain) > 1.0  # N(0, 1) draws alone rarely reach z = 3, then with a weight of ~900


def test_detector_log_prior_normaliser():
    X = np.random.default_rng(0).normal(size=(60, 3))
    standard = VAEDetector(epochs=2, random_state=0).fit(X)
    assert standard.log_prior_normaliser(X) == 0.0
    implicit = VAEDetector(latent_prior="implicit", epochs=2, density_ratio_epochs=1, random_state=0).fit(X)
    first, again = implicit.log_prior_normaliser(X, 4096), implicit.log_prior_normaliser(X, 4096)
    assert first == again and np.isfinite(first)
    with pytest.raises(ValueError, match="n_samples"):
        implicit.log_prior_normaliser(X, n_samples=1)
    with pytest.raises(ValueError, match="features"):
        implicit.log_prior_normaliser(X[:, :2])


def test_mixture_prior_normaliser_checks_the_posteriors():
    vae, generator = _one_latent_vae(), torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="mu must be posterior rows of latent_dim=1"):
        vae.mixture_prior_normaliser(torch.zeros(3, 2), torch.zeros(3, 2), generator)
    with pytest.raises(ValueError, match="log_variance must be the shape of mu"):
        vae.mixture_prior_normaliser(torch.zeros(3, 1), torch.zeros(2, 1), generator)
