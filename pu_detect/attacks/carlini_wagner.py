"""The Carlini-Wagner L2 attack (Carlini and Wagner, 2017), its high-confidence variant, and EAD (Chen et al., 2018)."""

import numpy as np
import torch

from ..utils import validation as v
from ._core import check_core_batch, in_batches, margin, prepare


def search_constant(x0, initial_const, binary_search_steps, attempt):
    """The best rows of ``attempt`` over a per-row binary search on the constant ``c`` (C&W's and EAD's).

    ``attempt(const)`` yields ``(x, done, distance)`` per optimisation step
    (rows, whether each reached the goal, each row's distance to minimise);
    the kept row is the successful one of least distance over all steps.
    After each attempt, ``c`` is bisected where it succeeded and multiplied
    by 10 where it never has.
    """
    n, device = len(x0), x0.device
    const = torch.full((n,), float(initial_const), device=device)
    lower, upper = torch.zeros(n, device=device), torch.full((n,), 1e10, device=device)
    best_distance = torch.full((n,), torch.inf, device=device)
    best = x0.clone()
    for _ in range(binary_search_steps):
        succeeded = torch.zeros(n, dtype=torch.bool, device=device)
        for x, done, distance in attempt(const):
            with torch.no_grad():
                improved = done & (distance < best_distance)
                best_distance = torch.where(improved, distance, best_distance)
                best[improved] = x[improved].detach()
                succeeded |= done
        with torch.no_grad():
            upper = torch.where(succeeded, torch.minimum(upper, const), upper)
            lower = torch.where(succeeded, lower, torch.maximum(lower, const))
            const = torch.where(upper < 1e9, (lower + upper) / 2, const * 10)
    return best


def carlini_wagner_tensor(logits, x0, labels, *, kappa, initial_const, binary_search_steps, max_iter, lr,
                          clip, targeted=False, penalty=None):
    """C&W-L2's core on a callable ``logits``; ``penalty(x, labels)``, if given, is added (times ``c``).

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> x = carlini_wagner_tensor(logits, x0, labels, kappa=0.1, initial_const=1.0, binary_search_steps=3,
    ...                           max_iter=50, lr=0.05, clip=(0.0, 1.0))
    >>> bool((logits(x).argmax(1) != labels).all()), bool(((x >= 0) & (x <= 1)).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    low, high = clip
    w0 = torch.atanh(((x0 - low) / (high - low) * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6))

    def attempt(const):
        w = w0.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([w], lr=lr)
        for _ in range(max_iter):
            x = low + (high - low) * (torch.tanh(w) + 1) / 2
            l2 = (x - x0).square().flatten(1).sum(1)
            gap = margin(logits(x), labels, targeted)
            objective = l2 + const * torch.clamp(gap, min=-kappa)
            done = gap.detach() <= -kappa
            if penalty is not None:
                extra = penalty(x, labels)
                objective = objective + const * extra
                done &= extra.detach() <= 0
            optimizer.zero_grad()
            objective.sum().backward()
            optimizer.step()
            yield x.detach(), done, l2.detach()

    return search_constant(x0, initial_const, binary_search_steps, attempt)


def elastic_net_tensor(logits, x0, labels, *, beta, kappa, initial_const, binary_search_steps, max_iter, lr,
                       clip, decision_rule="en"):
    """EAD's core: FISTA on ``c * f(x) + ||x - x0||_2^2`` with the shrinkage-thresholding step of ``beta``.

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> x = elastic_net_tensor(logits, x0, labels, beta=0.01, kappa=0.1, initial_const=1.0, binary_search_steps=3,
    ...                        max_iter=50, lr=0.05, clip=(0.0, 1.0))
    >>> bool((logits(x).argmax(1) != labels).all()), bool(((x >= 0) & (x <= 1)).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    low, high = clip

    def distance(x):
        delta = (x - x0).flatten(1)
        l1 = delta.abs().sum(1)
        return l1 if decision_rule == "l1" else beta * l1 + delta.square().sum(1)

    def attempt(const):
        x, slack = x0.clone(), x0.clone()
        for k in range(max_iter):
            slack.requires_grad_(True)
            smooth = (slack - x0).square().flatten(1).sum(1)
            smooth = smooth + const * torch.clamp(margin(logits(slack), labels), min=-kappa)
            grad = torch.autograd.grad(smooth.sum(), slack)[0]
            with torch.no_grad():
                step = slack - lr * (1 - k / max_iter) ** 0.5 * grad  # the polynomial decay of EAD's code
                shift = step - x0
                new = torch.where(shift > beta, torch.clamp(step - beta, max=high),
                                  torch.where(shift < -beta, torch.clamp(step + beta, min=low), x0))
                slack = torch.clamp(new + k / (k + 3) * (new - x), low, high)
                x = new
                done = margin(logits(x), labels) <= -kappa
            yield x, done, distance(x)

    return search_constant(x0, initial_const, binary_search_steps, attempt)


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


DECISION_RULES = ("en", "l1")


def elastic_net(model, X, y, *, beta=0.01, kappa=0.0, initial_const=1.0, binary_search_steps=5, max_iter=100,
                lr=0.01, decision_rule="en", clip=(0.0, 1.0), batch_size=512):
    """EAD, the elastic-net attack (Chen et al., 2018): C&W's margin loss with an L1 + L2 distortion.

    Minimises ``c * max(Z_y - max_{i != y} Z_i, -kappa) + ||x' - x||_2^2 +
    beta * ||x' - x||_1`` by FISTA: a gradient step on the smooth part (step
    size ``lr``, decayed as ``(1 - k / max_iter)^0.5``), then the projected
    shrinkage-thresholding ``S_beta`` toward ``x`` clipped to ``clip``, with a
    per-row binary search over ``c`` as in ``carlini_wagner``. Among the
    successful iterates, each row keeps the one of least elastic-net
    (``decision_rule="en"``) or L1 (``"l1"``) distortion; rows never fooled
    come back unchanged. ``S_beta`` thresholds at ``beta`` itself, as in
    the paper's algorithm and cleverhans' ``ElasticNetMethod``.

    Parameters
    ----------
    model, X, y, clip, batch_size
        As in ``pu_detect.attacks.fgsm``.
    beta : float > 0, default=0.01
        The L1 weight (the paper's and the ADP paper's 0.01).
    kappa : float >= 0, default=0.0
        Confidence of the margin loss.
    initial_const : float > 0, default=1.0
        The first ``c`` (with ``binary_search_steps=1``: the only one).
    binary_search_steps : int, default=5
    max_iter : int, default=100
        FISTA iterations per value of ``c``.
    lr : float > 0, default=0.01
        The initial step size of the gradient step.
    decision_rule : {"en", "l1"}, default="en"

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> elastic_net(clf, X[:4] / 16, y[:4], binary_search_steps=2, max_iter=10).shape
    (4, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    options = check_cw_options(kappa, initial_const, binary_search_steps, max_iter, lr, clip)
    options.update(beta=v.check_float(beta, "beta", 0.0, np.inf),
                   decision_rule=v.check_option(decision_rule, "decision_rule", DECISION_RULES))
    labels = target.class_index(y, len(X))
    return in_batches(lambda x, t: elastic_net_tensor(target.logits, x, t, **options), X, labels, batch_size)
