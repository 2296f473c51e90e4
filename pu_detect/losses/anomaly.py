"""Losses of the anomaly detectors, as pure functions of tensors.

Per-sample losses take a ``reduction`` (``"none"``, ``"mean"`` or ``"sum"``)
so that one function gives both the anomaly score and the training loss.
The risks combine per-sample losses of a batch of unlabeled rows (U) and a
batch of labeled anomalies (A) into the scalar that training minimises.

References
----------
Yamanaka et al., "Autoencoding Binary Classifiers for Supervised Anomaly
Detection", PRICAI 2019 (ABC).
Takahashi et al., "Deep Positive-Unlabeled Anomaly Detection for Contaminated
Unlabeled Data", arXiv:2405.18929 (PU risk).
Kiryo et al., "Positive-Unlabeled Learning with Non-Negative Risk Estimator",
NeurIPS 2017 (nnPU correction).
Ruff et al., "Deep One-Class Classification", ICML 2018 (Deep SVDD), and
"Deep Semi-Supervised Anomaly Detection", ICLR 2020 (Deep SAD).
"""

import torch

from ..utils.validation import check_float, check_tensor
from ._reduction import _reduce

#: Added inside the logarithm of the anomaly loss, as in the ABC and PU papers.
LOG_EPS = 1e-6
#: Added to the squared distance in the inverse-distance loss, as in Deep SAD.
INVERSE_EPS = 1e-6

def reconstruction_error(x, x_hat, reduction="none"):
    """Unsquared Euclidean norm of the residual, per row: ``||x - x_hat||_2``.

    Rows may have any shape after the first axis (images are flattened).
    The gradient at a zero residual is zero (a subgradient), never NaN.

    Examples
    --------
    >>> import torch
    >>> reconstruction_error(torch.tensor([[3.0, 4.0]]), torch.zeros(1, 2))
    tensor([5.])
    """
    check_tensor(x, "x", rows=True)
    if check_tensor(x_hat, "x_hat").shape != x.shape:
        raise ValueError(f"x_hat must have x's shape {tuple(x.shape)}; got {tuple(x_hat.shape)}.")
    residual = (x - x_hat).flatten(1)
    return _reduce(torch.linalg.vector_norm(residual, dim=1), reduction)


def abc_anomaly_loss(score, reduction="none"):
    """Loss of a labeled anomaly with score ``s >= 0``: ``-log(1 - exp(-s) + 1e-6)``.

    It reads ``p(normal | x) = exp(-s)`` and is the negative log-likelihood of
    "anomalous"; it falls towards zero as the score grows.

    Examples
    --------
    >>> import torch
    >>> abc_anomaly_loss(torch.tensor([0.0]))  # -log(1e-6)
    tensor([13.8155])
    """
    # -expm1(-s) = 1 - exp(-s), accurate for small s.
    return _reduce(-torch.log(-torch.expm1(-check_tensor(score, "score")) + LOG_EPS), reduction)


def squared_distance(z, center, reduction="none"):
    """Squared distance to the hypersphere centre, per row: ``||z - c||^2``.

    Examples
    --------
    >>> import torch
    >>> squared_distance(torch.tensor([[1.0, 2.0]]), torch.tensor([1.0, 0.0]))
    tensor([4.])
    """
    check_tensor(z, "z", dim=2)
    check_tensor(center, "center", dim=(1, 2))
    return _reduce(((z - center) ** 2).sum(dim=1), reduction)


def inverse_distance_loss(squared_dist, eta=1.0, reduction="none"):
    """Loss of a labeled anomaly in Deep SAD and PU Deep SVDD: ``eta / (d^2 + 1e-6)``.

    It is large near the centre and pushes labeled anomalies away from it.

    Examples
    --------
    >>> import torch
    >>> inverse_distance_loss(torch.tensor([1.0, 0.0]), eta=2.0)
    tensor([2.0000e+00, 2.0000e+06])
    """
    check_float(eta, "eta", 0.0, float("inf"))
    return _reduce(eta / (check_tensor(squared_dist, "squared_dist") + INVERSE_EPS), reduction)


def weighted_risk(normal_loss_unlabeled, anomaly_loss_labeled, anomaly_weight):
    """Risk of ABC and Deep SAD: the mean loss over all training rows.

    With ``n_U`` unlabeled rows and ``n_A`` labeled anomalies the papers
    minimise the mean, over every row, of the normal loss (unlabeled rows) or
    the anomaly loss (labeled anomalies). Drawing U and A batches separately,
    the same objective in expectation is
    ``(1 - w) * mean_U l- + w * mean_A l+`` with ``w = n_A / (n_U + n_A)``.

    Parameters
    ----------
    normal_loss_unlabeled : Tensor of shape (n_u,)
    anomaly_loss_labeled : Tensor of shape (n_a,), may be empty
    anomaly_weight : float
        ``n_A / (n_U + n_A)`` over the whole training set.

    Examples
    --------
    >>> import torch
    >>> weighted_risk(torch.tensor([1.0, 3.0]), torch.tensor([10.0]), 0.25)
    tensor(4.)
    """
    check_float(anomaly_weight, "anomaly_weight", 0.0, 1.0, low_inclusive=True, high_inclusive=True)
    check_tensor(normal_loss_unlabeled, "normal_loss_unlabeled")
    check_tensor(anomaly_loss_labeled, "anomaly_loss_labeled")
    risk = normal_loss_unlabeled.mean()
    if anomaly_loss_labeled.numel() == 0:
        return risk
    return (1.0 - anomaly_weight) * risk + anomaly_weight * anomaly_loss_labeled.mean()


def pu_risk(
    normal_loss_unlabeled,
    normal_loss_labeled,
    anomaly_loss_labeled,
    prior,
    correction="abs",
):
    """Positive-unlabeled risk over any (normal-loss, anomaly-loss) pair.

    With ``a`` the anomaly fraction of the unlabeled data (``prior``)::

        R+ = a * mean_A l+
        R- = mean_U l- - a * mean_A l-

    ``R-`` estimates the normal rows' risk by removing the anomalies'
    share from the unlabeled mean. It can fall below zero when the model
    overfits, so it is corrected:

    * ``"abs"`` (Takahashi et al.): minimise ``R+ + |R-|``;
    * ``"nnpu"`` (Kiryo et al.): minimise ``R+ + R-`` while ``R- >= 0``, and
      step on ``-R-`` alone when it is negative.

    With no labeled anomaly (an empty ``A`` batch) both terms on ``A`` are
    zero and the risk is ``mean_U l-``.

    Parameters
    ----------
    normal_loss_unlabeled : Tensor of shape (n_u,)
        ``l-`` on the unlabeled batch.
    normal_loss_labeled : Tensor of shape (n_a,)
        ``l-`` on the labeled-anomaly batch.
    anomaly_loss_labeled : Tensor of shape (n_a,)
        ``l+`` on the labeled-anomaly batch.
    prior : float in (0, 1)
    correction : {"abs", "nnpu"}

    Returns
    -------
    Tensor
        The scalar to minimise.

    Examples
    --------
    >>> import torch
    >>> pu_risk(torch.tensor([1.0]), torch.tensor([4.0]), torch.tensor([2.0]), 0.5)
    tensor(2.)
    >>> pu_risk(torch.tensor([1.0]), torch.tensor([4.0]), torch.tensor([2.0]), 0.5, "nnpu")
    tensor(1.)
    """
    check_float(prior, "prior", 0.0, 1.0)
    check_tensor(normal_loss_unlabeled, "normal_loss_unlabeled")
    check_tensor(normal_loss_labeled, "normal_loss_labeled")
    check_tensor(anomaly_loss_labeled, "anomaly_loss_labeled")
    if normal_loss_labeled.numel() == 0:
        return normal_loss_unlabeled.mean()
    positive = prior * anomaly_loss_labeled.mean()
    negative = normal_loss_unlabeled.mean() - prior * normal_loss_labeled.mean()
    if correction == "abs":
        return positive + negative.abs()
    if correction == "nnpu":
        # torch.where back-propagates through the chosen branch only.
        return torch.where(negative >= 0, positive + negative, -negative)
    raise ValueError(f"correction must be one of 'abs', 'nnpu'; got {correction!r}.")
