"""The Adaptive Diversity Promoting (ADP) ensemble loss (Pang et al., ICML 2019), as a pure function.

References
----------
Pang, Xu, Du, Chen and Zhu, "Improving Adversarial Robustness via Promoting
Ensemble Diversity", ICML 2019.
"""

import torch
from torch.nn.functional import cross_entropy

from ..utils.validation import check_float, check_tensor, describe
from ._reduction import _reduce
from .classification import _check_logits_target

#: Added inside the entropy's log, as in the authors' code.
ENTROPY_EPS = 1e-20


def _check_members(member_logits, target):
    """``member_logits`` a non-empty list of 2-D float logits of one shape, ``target`` one class per row."""
    if not isinstance(member_logits, (list, tuple)) or not member_logits:
        raise TypeError(f"member_logits must be a non-empty list of logit tensors; got {describe(member_logits)}.")
    for k, z in enumerate(member_logits):
        check_tensor(z, f"member_logits[{k}]")
    if any(z.shape != member_logits[0].shape for z in member_logits):
        raise ValueError("member_logits must be a non-empty list of logits of one shape; got shapes "
                         f"{[tuple(z.shape) for z in member_logits]}.")
    _check_logits_target(member_logits[0], target)


def ensemble_diversity(member_logits, target, delta=1e-6):
    """``log det(M^T M + delta I)`` per row: the log ensemble diversity of ADP.

    ``M``'s columns are the members' predictions with the true class left
    out (their *non-maximal* predictions), each scaled to unit L2 norm.

    Examples
    --------
    >>> import torch
    >>> same = [torch.tensor([[0.0, 1.0, 2.0]])] * 2  # identical members: M^T M is singular
    >>> float(ensemble_diversity(same, torch.tensor([0]))[0]) < -10
    True
    """
    _check_members(member_logits, target)
    check_float(delta, "delta", 0.0, float("inf"))
    return _log_diversity(_member_probabilities(member_logits), target, delta)


def _member_probabilities(member_logits):
    """The members' softmax outputs stacked as ``(n, L, K)``: row, class, member."""
    return torch.stack([torch.softmax(z, dim=1) for z in member_logits], dim=2)


def _log_diversity(p, target, delta):
    """``ensemble_diversity`` from checked arguments, on the members' probabilities ``p`` of shape ``(n, L, K)``."""
    keep = torch.ones(p.shape[:2], dtype=torch.bool, device=p.device).scatter(1, target[:, None], False)
    non_true = p[keep].view(p.shape[0], p.shape[1] - 1, p.shape[2])
    non_true = non_true / non_true.norm(dim=1, keepdim=True).clamp_min(1e-12)
    gram = non_true.transpose(1, 2) @ non_true
    return torch.logdet(gram + delta * torch.eye(gram.shape[1], dtype=gram.dtype, device=gram.device))


def adp_loss(member_logits, target, alpha=2.0, beta=0.5, delta=1e-6, reduction="mean"):
    """ADP: ``sum_k CE(z_k, y) - alpha H(mean_k softmax z_k) - beta log(ED + delta)`` per row.

    ``H`` is the Shannon entropy of the ensemble's averaged prediction and
    ``log(ED + delta)`` is ``ensemble_diversity``.

    Examples
    --------
    >>> import torch
    >>> z = [torch.zeros(1, 3), torch.zeros(1, 3)]  # both uniform: CE log 3 each, H = log 3
    >>> round(float(adp_loss(z, torch.tensor([0]), alpha=2.0, beta=0.0)), 4)  # 2 log 3 - 2 log 3
    0.0
    """
    _check_members(member_logits, target)
    for name, value in (("alpha", alpha), ("beta", beta)):
        check_float(value, name, 0.0, float("inf"), low_inclusive=True)
    check_float(delta, "delta", 0.0, float("inf"))
    ce = sum(cross_entropy(z, target, reduction="none") for z in member_logits)
    p = _member_probabilities(member_logits)
    mean = p.mean(dim=2)
    entropy = -(mean * torch.log(mean + ENTROPY_EPS)).sum(dim=1)
    values = ce - alpha * entropy
    if beta:
        values = values - beta * _log_diversity(p, target, delta)
    return _reduce(values, reduction)
