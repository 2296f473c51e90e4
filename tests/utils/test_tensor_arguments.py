"""The building blocks that take tensors and modules (attack cores, scores, networks, engine) name a wrong argument.

Before, a numpy array, a float label tensor or a list in place of a module
ended in an AttributeError or RuntimeError deep inside torch.
"""

import numpy as np
import pytest
import torch

from pu_detect import attacks
from pu_detect.adversarial import class_indices, kdensity_score
from pu_detect.engine import as_tensor, inference_batch_size, predict_batched, predict_float64
from pu_detect import networks
from pu_detect.losses import diagonal_normal_log_density
from pu_detect.networks import init_parameters, max_mahalanobis_centres, with_head

NET = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 5))
X0, LABELS = torch.rand(3, 4), torch.tensor([0, 1, 2])
CLIP = (0.0, 1.0)


def _generator():
    return torch.Generator().manual_seed(0)


#: Each tensor-level attack core, called on (x0, labels) with valid settings.
CORES = {
    "pgd_tensor": lambda x0, labels: attacks.pgd_tensor(NET, x0, labels, eps=0.1, steps=1, step_size=0.05, clip=CLIP,
                                                        generator=_generator()),
    "apgd_tensor": lambda x0, labels: attacks.apgd_tensor(NET, x0, labels, eps=0.1, steps=2, clip=CLIP),
    "signed_gradient_steps": lambda x0, labels: attacks.signed_gradient_steps(NET, x0, labels, eps=0.1, steps=1,
                                                                              step_size=0.1, clip=CLIP),
    "carlini_wagner_tensor": lambda x0, labels: attacks.carlini_wagner_tensor(
        NET, x0, labels, kappa=0.0, initial_const=1.0, binary_search_steps=1, max_iter=1, lr=0.01, clip=CLIP),
    "elastic_net_tensor": lambda x0, labels: attacks.elastic_net_tensor(
        NET, x0, labels, beta=0.01, kappa=0.0, initial_const=1.0, binary_search_steps=1, max_iter=1, lr=0.01,
        clip=CLIP),
    "square_tensor": lambda x0, labels: attacks.square_tensor(
        NET, x0.view(len(x0), 1, 2, 2) if isinstance(x0, torch.Tensor) and x0.dim() == 2 else x0, labels, eps=0.1, n_queries=2,
        p_init=0.8, clip=CLIP, generator=_generator()),
    "hop_skip_jump_tensor": lambda x0, labels: attacks.hop_skip_jump_tensor(
        lambda rows, classes: NET(rows).argmax(1) != classes, x0, labels, norm="l2", steps=1, n_gradient_samples=2,
        max_gradient_samples=4, n_init_draws=2, clip=CLIP, generator=_generator()),
}
BAD_BATCHES = [
    (np.zeros((3, 4), np.float32), LABELS, TypeError, "x0 must be a floating-point torch.Tensor; got numpy.ndarray"),
    (torch.ones(3, 4, dtype=torch.long), LABELS, TypeError, "x0 must be a floating-point torch.Tensor; got a torch.int64"),
    (torch.rand(4), LABELS, ValueError, "x0 must have one row per sample"),
    (X0, np.array([0, 1, 2]), TypeError, "labels must be an integer torch.Tensor of class indices; got numpy.ndarray"),
    (X0, LABELS.float(), TypeError, "labels must be an integer torch.Tensor of class indices; got a torch.float32"),
    (X0, LABELS[:2], ValueError, r"labels must hold one class index >= 0 per row of x0 \(3 rows\)"),
    (X0, torch.tensor([0, -1, 2]), ValueError, "labels must hold one class index >= 0"),
]


@pytest.mark.parametrize("core", CORES)
def test_attack_cores_run_on_a_valid_batch(core):
    x = CORES[core](X0, LABELS)
    assert x.shape == X0.shape or x.shape == (3, 1, 2, 2)


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("x0, labels, error, match", BAD_BATCHES)
def test_attack_cores_name_a_bad_batch(core, x0, labels, error, match):
    with pytest.raises(error, match=match):
        CORES[core](x0, labels)


def test_stadv_and_dlr_and_flow_name_their_arguments():
    with pytest.raises(TypeError, match="images must be a floating-point torch.Tensor; got numpy.ndarray"):
        attacks.stadv_tensor(NET, np.zeros((1, 1, 2, 2)), LABELS[:1], tau=0.05, kappa=0.0, max_iter=1)
    with pytest.raises(TypeError, match="targets must be an integer torch.Tensor"):
        attacks.stadv_tensor(NET, torch.zeros(1, 1, 2, 2), [1], tau=0.05, kappa=0.0, max_iter=1)
    with pytest.raises(TypeError, match="logits must be a floating-point torch.Tensor; got list"):
        attacks.dlr_loss([[3.0, 1.0, 0.0]], LABELS[:1])
    with pytest.raises(ValueError, match=r"labels must hold one class index in \[0, 4\) per row of logits \(2 rows\)"):
        attacks.dlr_loss(torch.zeros(2, 4), LABELS)
    with pytest.raises(ValueError, match=r"labels must hold one class index in \[0, 4\).*values in \[0, 4\]"):
        attacks.dlr_loss(torch.zeros(2, 4), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match=r"targets must hold one class index in \[0, 4\) per row of logits"):
        attacks.dlr_loss(torch.zeros(2, 4), LABELS[:2], torch.tensor([1, -1]))
    with pytest.raises(ValueError, match=r"flow must have shape \(2, 2, 3, 3\)"):
        attacks.flow_transform(torch.zeros(2, 1, 3, 3), torch.zeros(2, 2, 4, 4))
    with pytest.raises(ValueError, match=r"flow must have shape \(n, 2, H, W\)"):
        attacks.flow_loss(torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="flow must have 4 dimensions"):
        attacks.flow_loss(torch.zeros(4, 4))


def test_kdensity_score_and_class_indices_name_their_arguments():
    centres = {0: torch.zeros(2, 3)}
    with pytest.raises(TypeError, match="features must be a floating-point torch.Tensor; got numpy.ndarray"):
        kdensity_score(np.zeros((2, 3)), torch.tensor([0, 0]), centres, 1.0)
    with pytest.raises(ValueError, match=r"predicted must hold one class index >= 0 per row of features \(2 rows\)"):
        kdensity_score(torch.zeros(2, 3), torch.tensor([0]), centres, 1.0)
    with pytest.raises(TypeError, match="centers must be a dict"):
        kdensity_score(torch.zeros(2, 3), torch.tensor([0, 0]), [torch.zeros(2, 3)], 1.0)
    with pytest.raises(ValueError, match="bandwidth must be a real number"):
        kdensity_score(torch.zeros(2, 3), torch.tensor([0, 0]), centres, 0.0)
    with pytest.raises(ValueError, match="center_rows and leave_out must be given together"):
        kdensity_score(torch.zeros(2, 3), torch.tensor([0, 0]), centres, 1.0, leave_out=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="n_rows must be an integer >= 0"):
        class_indices(None, [0, 1], torch.tensor(2))


def test_network_builders_name_their_arguments():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module; got list"):
        init_parameters([NET], _generator())
    with pytest.raises(TypeError, match="generator must be a torch.Generator; got int"):
        init_parameters(NET, 0)
    with pytest.raises(TypeError, match="network must be a torch.nn.Module"):
        with_head("net", "tanh")
    with pytest.raises(ValueError, match="head must be one of"):
        with_head(NET, "sigmoid")
    with pytest.raises(TypeError, match=r"network must have a linear head \(network.head an nn.Linear\)"):
        with_head(NET, "tanh")
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        max_mahalanobis_centres(torch.tensor([3]), 2)
    with pytest.raises(ValueError, match="radius must be a real number"):
        max_mahalanobis_centres(3, 2, radius=-1.0)


NETWORK_CASES = [  # before: an error from inside torch's layers, or none at all
    (lambda: networks.MLPAutoencoder(None, (8,), 2), ValueError, "n_features must be an integer >= 1; got None"),
    (lambda: networks.MLPAutoencoder(4, "ab", 2), ValueError, "hidden_dims must be a sequence of integers >= 1"),
    (lambda: networks.autoencoder(4, (8,), 0), ValueError, "latent_dim must be an integer >= 1; got 0"),
    (lambda: networks.ConvAutoencoder((1, 8), (4,), 2), ValueError, "input_shape must be a sequence of 3 integers"),
    (lambda: networks.Classifier(4, 0, (8,)), ValueError, "n_classes must be an integer >= 1; got 0"),
    (lambda: networks.RowGAN(4, -1, (8,)), ValueError, "noise_dim must be an integer >= 1; got -1"),
    (lambda: networks.ResNetClassifier(None, 10), ValueError, "input_shape must be a sequence of 3 integers"),
    (lambda: networks.ResNetClassifier((1, 8, 8), 10, units_per_stage=0), ValueError, "units_per_stage must be"),
    (lambda: networks.VariationalAutoencoder(4, (8,), 2, "poisson"), ValueError, "likelihood must be one of"),
    (lambda: networks.DensityRatio(2, (8,), dropout=2.0), ValueError, r"dropout must be a real number in \[0.0, 1.0\)"),
    (lambda: networks.ClassVAEs(4, 0, (8,), 2), ValueError, "n_classes must be an integer >= 1; got 0"),
    (lambda: networks.Ensemble([1, 2]), TypeError, r"members\[0\] must be a torch.nn.Module; got int 1"),
    (lambda: networks.Ensemble([]), ValueError, "members must hold at least one classifier"),
    (lambda: networks.ClassifierWithGAN(None, None), TypeError, "classifier must be a torch.nn.Module; got NoneType"),
    (lambda: networks.ClassifierWithGAN(networks.Classifier(4, 3, (8,)), NET), TypeError, "gan must be a RowGAN"),
    (lambda: networks.mlp((4, 0)), ValueError, r"dims must be a sequence of integers >= 1; got \(4, 0\)"),
    (lambda: networks.bounded_logit([1.0]), TypeError, "z must be a floating-point torch.Tensor; got list"),
    (lambda: networks.LogitBound("tanh", 0.0), ValueError, r"bound must be a real number in \(0.0, inf\)"),
    (lambda: networks.build(None, _generator()), TypeError, "factory must be a callable"),
    (lambda: networks.build(lambda: NET, 0), TypeError, "generator must be a torch.Generator; got int 0"),
    (lambda: networks.build(lambda: "net", _generator()), TypeError, r"factory\(\) must be a torch.nn.Module; got str"),
    (lambda: diagonal_normal_log_density(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(4)), ValueError,
     r"z, mu and log_variance must have shapes that broadcast together; got \(2, 3\), \(2, 4\) and \(4,\)"),
]


@pytest.mark.parametrize("make, error, match", NETWORK_CASES)
def test_networks_name_a_wrong_size_or_part(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_engine_functions_name_their_arguments():
    with pytest.raises(TypeError, match="X must be a numpy array of rows; got list"):
        as_tensor([[1.0, 2.0]])
    with pytest.raises(TypeError, match="module must be a torch.nn.Module; got str"):
        inference_batch_size("net", 4)
    with pytest.raises(ValueError, match="n_features must be an integer >= 1"):
        inference_batch_size(NET, 0)
    with pytest.raises(TypeError, match="function must be a callable; got int"):
        predict_batched(3, np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        predict_batched(NET, np.zeros((2, 4), np.float32), batch_size=0)
    with pytest.raises(TypeError, match="X must be a numpy array of rows; got a torch.float32 tensor"):
        predict_float64(NET, lambda net, x: net(x), torch.zeros(2, 4))
    assert predict_float64(NET, lambda net, x: net(x), np.zeros((2, 4), np.float32)).shape == (2, 5)
