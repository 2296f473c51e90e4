"""The Jacobian saliency map attack (Papernot et al., 2016), pixel-pair version."""

import numpy as np
import torch

from ..utils import validation as v
from ._core import in_batches, prepare, target_classes


def jsma(model, X, y, *, targets=None, theta=1.0, gamma=0.1, clip=(0.0, 1.0), random_state=None,
         batch_size=32):
    """Jacobian saliency map attack (Papernot et al., 2016), pixel-pair version, increasing features.

    Each iteration picks, for every row not yet classified as its target,
    the pair of features ``(p, q)`` still below ``clip[1]`` that maximises
    ``alpha * |beta|`` with ``alpha = dZ_t/dx_p + dZ_t/dx_q > 0`` and
    ``beta`` the same sum over the other classes' logits ``< 0``, and adds
    ``theta`` to both (clipped). At most ``gamma`` of the features change.
    ``targets`` default to a random class other than ``y`` per row.

    Parameters
    ----------
    model, X, y, clip
        As in ``pu_detect.attacks.fgsm``.
    targets : array-like of shape (n_samples,) or None, default=None
        The class each row is pushed to (different from its ``y``).
    theta : float > 0, default=1.0
        Added to both features of the chosen pair (then clipped).
    gamma : float in (0, 1], default=0.1
        Largest fraction of the features that may change.
    random_state : int, numpy generator or None, default=None
        Seed of the random targets.
    batch_size : int, default=32

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> jsma(clf, X[:3] / 16, y[:3], random_state=0).shape
    (3, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    labels = target.class_index(y, len(X))
    theta = v.check_float(theta, "theta", 0.0, np.inf)
    gamma = v.check_float(gamma, "gamma", 0.0, 1.0, high_inclusive=True)
    goals = target_classes(target, X, targets, labels, random_state)
    max_iter = max(1, int(gamma * X.shape[1] / 2))

    def attack(x0, goal):
        x = x0.clone()
        domain = x < clip[1]
        active = torch.ones(len(x), dtype=torch.bool, device=x.device)
        pair_ok = ~torch.eye(x.shape[1], dtype=torch.bool, device=x.device)
        for _ in range(max_iter):
            x_ = x.clone().requires_grad_(True)
            logits = target.logits(x_)
            active &= logits.argmax(1) != goal
            if not active.any():
                break
            chosen = logits.gather(1, goal[:, None]).sum()
            grad_target = torch.autograd.grad(chosen, x_, retain_graph=True)[0]
            grad_others = torch.autograd.grad(logits.sum() - chosen, x_)[0]
            with torch.no_grad():
                alpha = grad_target[:, :, None] + grad_target[:, None, :]
                beta = grad_others[:, :, None] + grad_others[:, None, :]
                valid = (alpha > 0) & (beta < 0) & pair_ok & domain[:, :, None] & domain[:, None, :]
                saliency = torch.where(valid, alpha * -beta, torch.zeros((), device=x.device)).flatten(1)
                best, index = saliency.max(dim=1)
                move = active & (best > 0)
                if not move.any():
                    break
                p, q = index // x.shape[1], index % x.shape[1]
                rows = torch.nonzero(move).squeeze(1)
                for feature in (p, q):
                    x[rows, feature[rows]] = torch.clamp(x[rows, feature[rows]] + theta, *clip)
                    domain[rows, feature[rows]] = False
        return x

    return in_batches(attack, X, goals, batch_size)
