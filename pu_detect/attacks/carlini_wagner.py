"""The Carlini-Wagner L2 attack (Carlini and Wagner, 2017) and its high-confidence variant."""

import numpy as np
import torch

from ..utils import validation as v
from ._core import in_batches, prepare


def _margin(logits, labels, targeted):
    """C&W's f: how far the attack is from its goal (<= -kappa when reached with confidence kappa)."""
    chosen = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.masked_fill(torch.nn.functional.one_hot(labels, logits.shape[1]).bool(), -torch.inf)
    best_other = others.max(dim=1).values
    return best_other - chosen if targeted else chosen - best_other


def carlini_wagner_tensor(logits, x0, labels, *, kappa, initial_const, binary_search_steps, max_iter, lr,
                    clip, targeted=False, penalty=None):
    low, high = clip
    n = len(x0)
    scaled = ((x0 - low) / (high - low) * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6)
    w0 = torch.atanh(scaled)
    const = torch.full((n,), float(initial_const), device=x0.device)
    lower, upper = torch.zeros(n, device=x0.device), torch.full((n,), 1e10, device=x0.device)
    best_l2 = torch.full((n,), torch.inf, device=x0.device)
    best = x0.clone()
    for _ in range(binary_search_steps):
        w = w0.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([w], lr=lr)
        succeeded = torch.zeros(n, dtype=torch.bool, device=x0.device)
        for _ in range(max_iter):
            x = low + (high - low) * (torch.tanh(w) + 1) / 2
            l2 = (x - x0).square().flatten(1).sum(1)
            margin = _margin(logits(x), labels, targeted)
            objective = l2 + const * torch.clamp(margin, min=-kappa)
            extra = None
            if penalty is not None:
                extra = penalty(x, labels)
                objective = objective + const * extra
            optimizer.zero_grad()
            objective.sum().backward()
            optimizer.step()
            with torch.no_grad():
                done = margin <= -kappa
                if extra is not None:
                    done &= extra <= 0
                improved = done & (l2 < best_l2)
                best_l2 = torch.where(improved, l2, best_l2)
                best[improved] = x[improved].detach()
                succeeded |= done
        with torch.no_grad():  # binary search on the constant, per row
            upper = torch.where(succeeded, torch.minimum(upper, const), upper)
            lower = torch.where(succeeded, lower, torch.maximum(lower, const))
            const = torch.where(upper < 1e9, (lower + upper) / 2, const * 10)
    return best


def carlini_wagner(model, X, y, *, kappa=0.0, initial_const=1.0, binary_search_steps=5, max_iter=100,
                   lr=0.05, clip=(0.0, 1.0), batch_size=512):
    """Carlini-Wagner L2 attack (Carlini and Wagner, 2017), untargeted, with confidence ``kappa``.

    Minimises ``||x' - x||^2 + c * max(Z_y - max_{i != y} Z_i, -kappa)`` over
    ``x'`` in tanh space (so ``x'`` stays in ``clip``) with Adam, with a
    per-row binary search over ``c``; returns the smallest successful
    perturbation found for each row, or the row unchanged where none was.
    ``Z`` are the logits the classifier predicts with.

    Parameters
    ----------
    model, X, y, clip, batch_size
        As in ``pu_detect.attacks.fgsm``.
    kappa : float >= 0, default=0.0
        Confidence: success needs a logit margin of at least ``kappa``.
    initial_const : float > 0, default=1.0
        The first ``c`` of the binary search.
    binary_search_steps : int, default=5
    max_iter : int, default=100
        Adam steps per value of ``c``.
    lr : float, default=0.05
        Adam's step size.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> carlini_wagner(clf, X[:4] / 16, y[:4], binary_search_steps=2, max_iter=10).shape
    (4, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    options = check_cw_options(kappa, initial_const, binary_search_steps, max_iter, lr, clip)
    labels = target.class_index(y, len(X))
    return in_batches(lambda x, t: carlini_wagner_tensor(target.logits, x, t, **options), X, labels, batch_size)


def check_cw_options(kappa, initial_const, binary_search_steps, max_iter, lr, clip):
    """C&W's options, checked, as keyword arguments of ``carlini_wagner_tensor``."""
    return dict(kappa=v.check_float(kappa, "kappa", 0.0, np.inf, low_inclusive=True),
                initial_const=v.check_float(initial_const, "initial_const", 0.0, np.inf),
                binary_search_steps=v.check_int(binary_search_steps, "binary_search_steps"),
                max_iter=v.check_int(max_iter, "max_iter"), lr=v.check_float(lr, "lr", 0.0, np.inf),
                clip=clip)


def high_confidence_cw(model, X, y, *, kappa=10.0, **options):
    """High-confidence C&W: ``carlini_wagner`` with ``kappa = 10``.

    Parameters
    ----------
    model, X, y
        As in ``carlini_wagner``.
    kappa : float, default=10.0
    **options
        Any other keyword of ``carlini_wagner``.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> high_confidence_cw(clf, X[:4] / 16, y[:4], binary_search_steps=2, max_iter=10).shape
    (4, 64)
    """
    return carlini_wagner(model, X, y, kappa=kappa, **options)
