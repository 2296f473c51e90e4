import inspect
import math
import re

import pytest
import numpy as np
import torch

import pu_detect.losses as losses_module

from pu_detect.losses import (
    abc_anomaly_loss,
    inverse_distance_loss,
    pu_risk,
    reconstruction_error,
    squared_distance,
    weighted_risk,
)


def test_reconstruction_error_is_unsquared_row_norm():
    x = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    x_hat = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    assert torch.allclose(reconstruction_error(x, x_hat), torch.tensor([5.0, 1.0]))
    assert reconstruction_error(x, x_hat, "mean").item() == pytest.approx(3.0)
    assert reconstruction_error(x, x_hat, "sum").item() == pytest.approx(6.0)


def test_reconstruction_error_flattens_images_and_has_finite_gradient_at_zero():
    x = torch.ones(2, 1, 2, 2, requires_grad=True)
    error = reconstruction_error(x, torch.ones(2, 1, 2, 2))
    assert torch.equal(error, torch.zeros(2))
    error.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_abc_anomaly_loss_by_hand():
    s = torch.tensor([0.0, 1.0, 50.0])
    expected = [
        -math.log(1e-6),
        -math.log(1 - math.exp(-1.0) + 1e-6),
        -math.log(1 + 1e-6),
    ]
    got = abc_anomaly_loss(s)
    for g, e in zip(got.tolist(), expected):
        # float32 resolves 1 + 1e-6 only to about 1e-7
        assert g == pytest.approx(e, rel=1e-5, abs=1e-7)
    assert abc_anomaly_loss(s, "mean").item() == pytest.approx(sum(expected) / 3, rel=1e-5)


def test_abc_anomaly_loss_decreases_with_score():
    s = torch.linspace(0, 10, 50)
    assert (abc_anomaly_loss(s).diff() < 0).all()


def test_unknown_reduction_raises():
    with pytest.raises(ValueError, match="reduction"):
        abc_anomaly_loss(torch.tensor([1.0]), "median")


def test_weighted_risk_by_hand():
    # (1 - 0.25) * mean(1, 3) + 0.25 * mean(10) = 1.5 + 2.5
    assert weighted_risk(torch.tensor([1.0, 3.0]), torch.tensor([10.0]), 0.25).item() == 4.0
    assert weighted_risk(torch.tensor([1.0, 3.0]), torch.tensor([]), 0.0).item() == 2.0


# U losses l-(U) = [1, 3] (mean 2); A losses l-(A) = [4, 6] (mean 5), l+(A) = [1, 2] (mean 1.5)
U, A_NEG, A_POS = torch.tensor([1.0, 3.0]), torch.tensor([4.0, 6.0]), torch.tensor([1.0, 2.0])


def test_pu_risk_abs_positive_inner_risk():
    # prior 0.2: R+ = 0.3, R- = 2 - 1 = 1 -> 1.3
    assert pu_risk(U, A_NEG, A_POS, 0.2).item() == pytest.approx(1.3)
    assert pu_risk(U, A_NEG, A_POS, 0.2, "nnpu").item() == pytest.approx(1.3)


def test_pu_risk_negative_inner_risk():
    # prior 0.6: R+ = 0.9, R- = 2 - 3 = -1 -> abs: 1.9, nnpu: -R- = 1
    assert pu_risk(U, A_NEG, A_POS, 0.6).item() == pytest.approx(1.9)
    assert pu_risk(U, A_NEG, A_POS, 0.6, "nnpu").item() == pytest.approx(1.0)


def test_nnpu_steps_on_minus_r_minus_alone():
    u = U.clone().requires_grad_()
    a_neg = A_NEG.clone().requires_grad_()
    a_pos = A_POS.clone().requires_grad_()
    pu_risk(u, a_neg, a_pos, 0.6, "nnpu").backward()
    # d(-R-)/du = -1/2 each, d(-R-)/d a_neg = +0.6/2, and R+ contributes nothing.
    assert torch.allclose(u.grad, torch.tensor([-0.5, -0.5]))
    assert torch.allclose(a_neg.grad, torch.tensor([0.3, 0.3]))
    assert torch.equal(a_pos.grad, torch.zeros(2))


def test_abs_gradient_flips_sign_of_negative_inner_risk():
    u = U.clone().requires_grad_()
    a_pos = A_POS.clone().requires_grad_()
    pu_risk(u, A_NEG, a_pos, 0.6, "abs").backward()
    assert torch.allclose(u.grad, torch.tensor([-0.5, -0.5]))
    assert torch.allclose(a_pos.grad, torch.tensor([0.3, 0.3]))


def test_pu_risk_without_anomalies_is_unlabeled_mean():
    empty = torch.tensor([])
    assert pu_risk(U, empty, empty, 0.1).item() == 2.0


def test_pu_risk_bad_correction():
    with pytest.raises(ValueError, match="correction"):
        pu_risk(U, A_NEG, A_POS, 0.1, "relu")


def test_squared_distance_by_hand():
    z = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    c = torch.tensor([1.0, 0.0])
    assert torch.equal(squared_distance(z, c), torch.tensor([4.0, 1.0]))
    assert squared_distance(z, c, "mean").item() == 2.5


def test_inverse_distance_loss_by_hand():
    d2 = torch.tensor([1.0, 3.0, 0.0])
    got = inverse_distance_loss(d2, eta=2.0)
    for g, e in zip(got.tolist(), [2 / (1 + 1e-6), 2 / (3 + 1e-6), 2 / 1e-6]):
        assert g == pytest.approx(e, rel=1e-6)
    assert inverse_distance_loss(d2[:2], reduction="sum").item() == pytest.approx(1 / (1 + 1e-6) + 1 / (3 + 1e-6), rel=1e-6)


def test_loss_arguments_are_checked():
    import torch

    from pu_detect.losses import pu_risk, reconstruction_error, reverse_cross_entropy, weighted_risk

    with pytest.raises(ValueError, match=r"prior must be a real number in \(0.0, 1.0\); got 1.5"):
        pu_risk(torch.ones(3), torch.ones(2), torch.ones(2), 1.5)
    with pytest.raises(ValueError, match="prior must be a real number"):
        pu_risk(torch.ones(3), torch.ones(2), torch.ones(2), float("nan"))
    with pytest.raises(ValueError, match="anomaly_weight must be a real number in"):
        weighted_risk(torch.ones(3), torch.ones(2), 2.0)
    with pytest.raises(ValueError, match=r"x_hat must have x's shape \(3, 2\)"):
        reconstruction_error(torch.ones(3, 2), torch.ones(3, 3))
    with pytest.raises(ValueError, match=r"target must hold one class index in \[0, 3\)"):
        reverse_cross_entropy(torch.zeros(2, 3), torch.tensor([0, 5]))
    with pytest.raises(TypeError, match="target must be an integer torch.Tensor of class indices; got a torch.float32"):
        reverse_cross_entropy(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="prior must be a real number"):
        pu_risk(torch.ones(3), torch.ones(2), torch.ones(2), torch.tensor([0.1, 0.2]))


TENSOR_LOSSES = [name for name in losses_module.__all__ if inspect.isfunction(getattr(losses_module, name))]


@pytest.mark.parametrize("name", TENSOR_LOSSES)
def test_every_loss_names_the_argument_that_is_not_a_tensor(name):
    # Each required argument in turn gets a numpy array where a tensor belongs; the others
    # are valid tensors of a 4-row, 3-class batch. The error names that argument.
    loss = getattr(losses_module, name)
    valid = {"member_logits": [torch.zeros(4, 3), torch.ones(4, 3)], "target": torch.tensor([0, 1, 2, 0]),
             "likelihood": "bernoulli", "prior": 0.5, "anomaly_weight": 0.5, "log_variance": torch.zeros(4, 3),
             "log_weights": torch.zeros(4, 2), "center": torch.zeros(3)}
    required = [p.name for p in inspect.signature(loss).parameters.values() if p.default is inspect.Parameter.empty]
    tensors = [p for p in required if p not in ("likelihood", "prior", "anomaly_weight")]
    assert tensors, name
    for bad in tensors:
        args = {p: valid.get(p, torch.full((4, 3), 0.5)) for p in required}
        args[bad] = np.zeros((4, 3))
        with pytest.raises(TypeError, match=rf"^{re.escape(bad)} must be [^;]*[Tt]ensor[^;]*; got numpy.ndarray"):
            loss(**args)
