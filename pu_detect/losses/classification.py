"""Losses of the classifiers, as pure functions of tensors.

References
----------
Pang, Du, Dong and Zhu, "Towards Robust Detection of Adversarial Examples",
NeurIPS 2018 (reverse cross-entropy).
"""

import torch

from ._reduction import _reduce


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
    n_classes = logits.shape[1]
    if n_classes < 2:
        raise ValueError(f"logits must have at least 2 classes; got {n_classes}.")
    if target.shape != logits.shape[:1] or (len(target) and not 0 <= int(target.min()) <= int(target.max()) < n_classes):
        raise ValueError(f"target must be one class index in [0, {n_classes}) per row of logits "
                         f"({logits.shape[0]} rows); got shape {tuple(target.shape)}.")
    log_p = torch.log_softmax(logits, dim=1)
    wrong = log_p.sum(dim=1) - log_p.gather(1, target[:, None]).squeeze(1)
    return _reduce(-wrong / (n_classes - 1), reduction)


def reversed_softmax(logits):
    """Class probabilities of an RCE-trained network: ``softmax(-Z)``.

    Pass it as ``predict_nonlinearity`` to a skorch ``NeuralNetClassifier``
    trained with ``ReverseCrossEntropyLoss``.
    """
    return torch.softmax(-logits, dim=1)


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
