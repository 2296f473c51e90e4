"""The generative and confidence losses against values computed by hand."""

import math

import pytest
import torch

from pu_detect.losses import (density_ratio_loss, diagonal_normal_log_density, gan_losses, gaussian_kl,
                              importance_log_likelihood, log_likelihood, negative_elbo, standard_normal_log_density,
                              uniform_kl)


def test_gaussian_kl_by_hand():
    mu = torch.tensor([[1.0, -2.0]])
    log_variance = torch.tensor([[math.log(2.0), 0.0]])
    # 0.5 * (1 + 2 - 1 - log 2) + 0.5 * (4 + 1 - 1 - 0)
    expected = 0.5 * (2 - math.log(2.0)) + 2.0
    assert gaussian_kl(mu, log_variance).item() == pytest.approx(expected, rel=1e-6)
    assert gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2), reduction="sum").item() == 0.0
    with pytest.raises(ValueError, match="log_variance must have mu's shape"):
        gaussian_kl(mu, torch.zeros(1, 3))


def test_bernoulli_and_gaussian_log_likelihood_by_hand():
    x = torch.tensor([[0.3, 1.0]])
    logits = torch.tensor([[0.0, math.log(3.0)]])  # p = 0.5, 0.75
    expected = 0.3 * math.log(0.5) + 0.7 * math.log(0.5) + math.log(0.75)
    assert log_likelihood(x, logits, "bernoulli").item() == pytest.approx(expected, rel=1e-6)
    mean, log_variance = torch.tensor([[0.0, 1.0]]), torch.tensor([math.log(4.0), 0.0])
    expected = -0.5 * (math.log(2 * math.pi) + math.log(4.0) + 0.3**2 / 4) - 0.5 * math.log(2 * math.pi)
    assert log_likelihood(x, mean, "gaussian", log_variance).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="log_variance is required"):
        log_likelihood(x, mean, "gaussian")
    with pytest.raises(ValueError, match="likelihood must be one of"):
        log_likelihood(x, mean, "poisson")
    with pytest.raises(ValueError, match="output must have x's shape"):
        log_likelihood(x, mean[:, :1], "bernoulli")


def test_negative_elbo_with_and_without_the_density_ratio():
    ll, kl, ratio = torch.tensor([-3.0, -1.0]), torch.tensor([0.5, 0.25]), torch.tensor([0.75, -0.5])
    assert negative_elbo(ll, kl).tolist() == [3.5, 1.25]
    assert negative_elbo(ll, kl, ratio).tolist() == [2.75, 1.75]
    assert negative_elbo(ll, kl, ratio, reduction="mean").item() == pytest.approx(2.25)
    with pytest.raises(ValueError, match="kl must have log_likelihood's shape"):
        negative_elbo(ll, kl[:1])


def test_density_ratio_loss_by_hand():
    posterior, prior = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 2.0])
    softplus = lambda t: math.log1p(math.exp(t))  # noqa: E731
    per_pair = [softplus(-1.0) + softplus(-1.0), softplus(0.0) + softplus(2.0)]
    assert density_ratio_loss(posterior, prior, reduction="none").tolist() == pytest.approx(per_pair, rel=1e-6)
    assert density_ratio_loss(posterior, prior).item() == pytest.approx(sum(per_pair) / 2, rel=1e-6)
    # Unequal sample counts are fine for the means.
    assert density_ratio_loss(posterior, prior[:1]).item() == pytest.approx(
        (softplus(-1.0) + softplus(0.0)) / 2 + softplus(-1.0), rel=1e-6)


def test_normal_log_densities_by_hand():
    z = torch.tensor([[1.0, -1.0]])
    assert standard_normal_log_density(z).item() == pytest.approx(-math.log(2 * math.pi) - 1.0, rel=1e-6)
    value = diagonal_normal_log_density(z, torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]]))
    assert value.item() == pytest.approx(-math.log(2 * math.pi) - 0.5 * math.log(4.0) - 1 / 8, rel=1e-6)


def test_importance_log_likelihood_by_hand():
    weights = torch.log(torch.tensor([[0.1, 0.3, 0.2], [1.0, 1.0, 1.0]]))
    assert importance_log_likelihood(weights).tolist() == pytest.approx([math.log(0.2), 0.0], abs=1e-6)
    with pytest.raises(ValueError, match="log_weights must be a 2-D tensor"):
        importance_log_likelihood(torch.zeros(3))


def test_uniform_kl_by_hand():
    logits = torch.tensor([[0.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    log_p = [0.0 - math.log(2 + math.exp(3)), 3.0 - math.log(2 + math.exp(3))]
    expected = -math.log(3) - (2 * log_p[0] + log_p[1]) / 3
    assert uniform_kl(logits).tolist() == pytest.approx([expected, 0.0], abs=1e-6)
    with pytest.raises(ValueError, match="at least 2 classes"):
        uniform_kl(torch.zeros(2, 1))


def test_gan_losses_by_hand():
    discriminator, generator = gan_losses(torch.tensor([2.0]), torch.tensor([-1.0]), torch.tensor([0.5]))
    softplus = lambda t: math.log1p(math.exp(t))  # noqa: E731
    assert discriminator.item() == pytest.approx(softplus(-2.0) + softplus(-1.0), rel=1e-6)
    assert generator.item() == pytest.approx(softplus(-0.5), rel=1e-6)
