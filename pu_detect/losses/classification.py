"""Losses of the classifiers, as pure functions of tensors.

References
----------
Pang, Du, Dong and Zhu, "Towards Robust Detection of Adversarial Examples",
NeurIPS 2018 (reverse cross-entropy).
Kanai, Yamaguchi, Yamada, Takahashi, Ohno and Ida, "Switching One-Versus-the-Rest
Loss to Increase the Margin of Logits for Adversarial Robustness", arXiv
2207.10283 (SOVR).
Zhang, Yu, Jiao, Xing, El Ghaoui and Jordan, "Theoretically Principled Trade-off
between Robustness and Accuracy", ICML 2019 (TRADES).
"""

import torch

from ..utils.validation import check_class_indices, check_float, check_tensor
from ._reduction import _reduce


def _check_logits_target(logits, target, min_classes=2, name="logits"):
    """``logits`` (called ``name``) 2-D with at least ``min_classes`` columns, ``target`` one class index per row; the class count."""
    check_tensor(logits, name)
    n_classes = logits.shape[1] if logits.dim() == 2 else 0
    if logits.dim() != 2 or n_classes < min_classes:
        raise ValueError(f"{name} must be a 2-D tensor of at least {min_classes} classes; "
                         f"got {n_classes} (shape {tuple(logits.shape)}).")
    check_class_indices(target, "target", len(logits), name, n_classes)
    return n_classes


def reverse_cross_entropy(logits, target, reduction="none"):
    """Reverse cross-entropy (Pang et al., NeurIPS 2018), per row.

    ``-(1 / (L - 1)) * sum_{i != y} log softmax(Z)_i`` for logits ``Z`` over
    ``L`` classes and true class ``y``: the cross-entropy against the
    *reverse* label, uniform over the wrong classes. Its minimiser makes the
    non-true softmax probabilities uniform; the classifier then predicts with
    ``softmax(-Z)`` (``reversed_softmax``).

    Examples
    --------
    >>> import torch
    >>> reverse_cross_entropy(torch.zeros(1, 3), torch.tensor([0]))  # log 3
    tensor([1.0986])
    """
    n_classes = _check_logits_target(logits, target)
    log_p = torch.log_softmax(logits, dim=1)
    wrong = log_p.sum(dim=1) - log_p.gather(1, target[:, None]).squeeze(1)
    return _reduce(-wrong / (n_classes - 1), reduction)


def logit_margin(logits, target):
    """The logit margin per row: ``z_y - max_{k != y} z_k`` (negative when the row is misclassified).

    Examples
    --------
    >>> import torch
    >>> logit_margin(torch.tensor([[2.0, 3.0, -1.0]]), torch.tensor([0]))
    tensor([-1.])
    """
    _check_logits_target(logits, target)
    return _margin(logits, target)


def _margin(logits, target):
    z_y = logits.gather(1, target[:, None]).squeeze(1)
    return z_y - logits.scatter(1, target[:, None], float("-inf")).max(dim=1).values


def one_vs_rest_loss(logits, target, reduction="none"):
    """One-versus-the-rest loss per row: a logistic loss per class, summed over the classes.

    ``softplus(-z_y) + sum_{k != y} softplus(z_k)``, i.e. the binary
    cross-entropy of each logit against the one-hot label.

    Examples
    --------
    >>> import torch
    >>> one_vs_rest_loss(torch.zeros(1, 3), torch.tensor([0]))  # 3 log 2
    tensor([2.0794])
    """
    _check_logits_target(logits, target)
    return _reduce(_one_vs_rest(logits, target), reduction)


def _one_vs_rest(logits, target):
    sign = torch.ones_like(logits).scatter(1, target[:, None], -1.0)  # -1 on the true class: softplus(-z_y)
    return torch.nn.functional.softplus(sign * logits).sum(dim=1)


def sovr_loss(logits, target, switch_fraction=0.5, reduction="mean"):
    """Switching one-versus-the-rest loss (Kanai et al.): OVR on the smallest-margin rows, CE on the rest.

    The ``round(switch_fraction * n)`` rows of the batch with the smallest
    ``logit_margin`` (ties broken by row order) take ``one_vs_rest_loss``;
    the others take the cross-entropy. Under adversarial training the
    logits are those of the adversarial rows.

    What is the paper's and what is ours: switching from cross-entropy to OVR
    for the samples with small logit margins is the paper's (its abstract);
    the rule that picks them, a fixed fraction of each batch, and its default
    are this library's, since the paper's exact criterion could not be read.

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])  # margins 2 and -1
    >>> sovr_loss(logits, torch.tensor([0, 0]), switch_fraction=0.5, reduction="none")  # CE, then OVR
    tensor([0.1269, 2.0064])
    """
    _check_logits_target(logits, target)
    if not 0.0 <= float(switch_fraction) <= 1.0:
        raise ValueError(f"switch_fraction must be a fraction in [0, 1]; got {switch_fraction!r}.")
    n_switched = int(round(float(switch_fraction) * len(target)))
    switched = torch.zeros(len(target), dtype=torch.bool, device=logits.device)
    if n_switched:
        # a stable sort, so that equal margins are taken in row order
        order = torch.sort(_margin(logits, target).detach(), stable=True).indices
        switched[order[:n_switched]] = True
    ce = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    return _reduce(torch.where(switched, _one_vs_rest(logits, target), ce), reduction)


def trades_loss(clean_logits, adversarial_logits, target, beta=6.0, reduction="mean"):
    """TRADES (Zhang et al., ICML 2019): ``CE(f(x), y) + beta * KL(softmax f(x) || softmax f(x'))`` per row.

    Examples
    --------
    >>> import torch
    >>> trades_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.tensor([0]))  # log 2, no KL
    tensor(0.6931)
    """
    _check_logits_target(clean_logits, target, name="clean_logits")
    check_tensor(adversarial_logits, "adversarial_logits")
    check_float(beta, "beta", 0.0, float("inf"), low_inclusive=True)
    if adversarial_logits.shape != clean_logits.shape:
        raise ValueError(f"adversarial_logits must have the shape of clean_logits {tuple(clean_logits.shape)}; "
                         f"got {tuple(adversarial_logits.shape)}.")
    ce = torch.nn.functional.cross_entropy(clean_logits, target, reduction="none")
    return _reduce(ce + beta * softmax_kl(clean_logits, adversarial_logits), reduction)


def softmax_kl(logits_p, logits_q):
    """``KL(softmax(logits_p) || softmax(logits_q))`` per row.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    >>> q = torch.zeros(2, 2)  # uniform: KL = log 2 - H(p)
    >>> [round(value, 4) for value in softmax_kl(p, q).tolist()]
    [0.0, 0.3278]
    """
    check_tensor(logits_p, "logits_p", dim=2)
    if check_tensor(logits_q, "logits_q", dim=2).shape != logits_p.shape:
        raise ValueError(f"logits_q must have the shape of logits_p {tuple(logits_p.shape)}; got {tuple(logits_q.shape)}.")
    log_p, log_q = torch.log_softmax(logits_p, dim=1), torch.log_softmax(logits_q, dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=1)


def mmc_loss(logits, target, reduction="mean"):
    """Max-Mahalanobis centre loss (Pang et al., ICLR 2020): ``||z - mu_y||^2 / 2`` per row.

    Takes the logits ``-||z - mu_i||^2`` of a ``pu_detect.networks.MaxMahalanobisHead``,
    so the loss is half the negated true-class logit.

    Examples
    --------
    >>> import torch
    >>> mmc_loss(torch.tensor([[-4.0, -1.0]]), torch.tensor([0]))  # ||z - mu_0||^2 = 4
    tensor(2.)
    """
    _check_logits_target(logits, target)
    return _reduce(-0.5 * logits.gather(1, target[:, None]).squeeze(1), reduction)


def reversed_softmax(logits):
    """Class probabilities of an RCE-trained network: ``softmax(-Z)``.

    Pass it as ``predict_nonlinearity`` to a skorch ``NeuralNetClassifier``
    trained with ``ReverseCrossEntropyLoss``.

    Examples
    --------
    >>> import torch
    >>> reversed_softmax(torch.tensor([[-3.0, 0.0, 0.0]])).argmax(dim=1).item()  # the smallest logit wins
    0
    """
    return torch.softmax(-check_tensor(logits, "logits", dim=2), dim=1)


class ReverseCrossEntropyLoss(torch.nn.Module):
    """``reverse_cross_entropy`` as a torch criterion (for skorch or any torch loop).

    Examples
    --------
    >>> import torch
    >>> criterion = ReverseCrossEntropyLoss()
    >>> criterion(torch.zeros(2, 3), torch.tensor([0, 2]))
    tensor(1.0986)
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        return reverse_cross_entropy(logits, target, self.reduction)
