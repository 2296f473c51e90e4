"""Gradient attacks in the L-inf (and, for PGD, L2) ball: FGSM, BIM, ILCM, PGD and MIM.

Each has a tensor-level core that runs on a live module's logits with a
given generator (adversarial training calls it every step without copying
the network) and a NumPy-facing wrapper that checks its inputs, freezes a
copy of the classifier and works in batches.
"""

import numpy as np
import torch
from torch.nn.functional import cross_entropy

from ..utils import validation as v
from ._core import check_core_batch, check_eps, check_steps, gradient, in_batches, margin, prepare


NORMS = ("linf", "l2")
PGD_LOSSES = ("ce", "margin")


def _unit_step(grad, norm):
    """The steepest-ascent direction of unit ``norm`` for ``grad``: its sign (L-inf) or its L2 direction."""
    if norm == "linf":
        return grad.sign()
    flat = grad.flatten(1)
    return (flat / flat.norm(dim=1, keepdim=True).clamp_min(1e-12)).view_as(grad)


def project(x, x0, eps, clip, norm="linf"):
    """``x`` projected on the ``norm`` ball of radius ``eps`` around ``x0``, then clipped to ``clip``."""
    if norm == "linf":
        x = torch.minimum(torch.maximum(x, x0 - eps), x0 + eps)
    else:
        delta = (x - x0).flatten(1)
        scale = torch.clamp(eps / delta.norm(dim=1, keepdim=True).clamp_min(1e-12), max=1.0)
        x = x0 + (delta * scale).view_as(x0)
    return torch.clamp(x, *clip)


def projected_gradient_steps(loss, x0, *, eps, steps, step_size, clip, norm="linf", start=None, momentum=0.0):
    """Projected steepest-ascent steps on ``loss(x)`` in the ``norm`` ball around ``x0``.

    Each step follows ``g_t = momentum * g_{t-1} + grad / ||grad||_1`` (per
    row; Dong et al.'s momentum, which with ``momentum=0`` is the plain
    gradient's direction).

    Parameters
    ----------
    loss : callable ``x -> scalar Tensor``
        Differentiable in ``x``; summed over rows, so each row's step is its own.
    x0 : Tensor of shape (n, d)
        Clean rows.
    eps, steps, step_size : float, int, float
    clip : tuple (low, high)
    norm : {"linf", "l2"}, default="linf"
        The ball and the step: the gradient's sign (L-inf) or its unit L2
        direction, times ``step_size``.
    start : Tensor or None
        The first iterate (``None``: ``x0``).
    momentum : float >= 0, default=0.0
        The decay of the accumulated gradient (MIM uses 1.0).

    Returns
    -------
    Tensor, detached, within ``eps`` of ``x0`` in ``norm`` and inside ``clip``.

    Examples
    --------
    >>> import torch
    >>> x0 = torch.full((1, 3), 0.5)
    >>> x = projected_gradient_steps(lambda x: (x ** 2).sum(), x0, eps=0.1, steps=5, step_size=0.05, clip=(0.0, 1.0))
    >>> x.tolist()  # ascends |x|^2 to the corner of the L-inf ball
    [[0.6000000238418579, 0.6000000238418579, 0.6000000238418579]]
    """
    check_core_batch(x0)
    x = x0.clone() if start is None else start
    accumulated = torch.zeros_like(x0)
    for _ in range(steps):
        x.requires_grad_(True)
        grad = gradient(loss(x), x)
        with torch.no_grad():
            l1 = grad.flatten(1).abs().sum(1).clamp_min(1e-12).view(-1, *([1] * (grad.dim() - 1)))
            accumulated = momentum * accumulated + grad / l1
            x = project(x + step_size * _unit_step(accumulated, norm), x0, eps, clip, norm)
    return x.detach()


def signed_gradient_steps(logits, x0, labels, *, eps, steps, step_size, clip, start=None, toward=False,
                          norm="linf", momentum=0.0):
    """Projected gradient steps on the cross-entropy of ``labels`` (``projected_gradient_steps``).

    Parameters
    ----------
    logits : callable ``x -> Tensor``
        The classifier's prediction logits (differentiable in ``x``).
    x0 : Tensor of shape (n, d)
        Clean rows.
    labels : integer Tensor of shape (n,)
        Classes whose cross-entropy each step ascends (``toward=False``) or
        descends (``toward=True``: a targeted attack).
    eps, steps, step_size : float, int, float
    clip : tuple (low, high)
    start : Tensor or None
        The first iterate (``None``: ``x0``).
    norm : {"linf", "l2"}, default="linf"
        L-inf: signed steps (FGSM, BIM, PGD); L2: normalised-gradient steps.
    momentum : float >= 0, default=0.0
        As in ``projected_gradient_steps`` (MIM: 1.0).

    Returns
    -------
    Tensor, detached, within ``eps`` of ``x0`` in ``norm`` and inside ``clip``.

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> x = signed_gradient_steps(logits, x0, labels, eps=0.2, steps=10, step_size=0.04, clip=(0.0, 1.0))
    >>> bool((x - x0).abs().max() <= 0.2 + 1e-6), bool((logits(x).argmax(1) != labels).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    sign = -1.0 if toward else 1.0  # toward a target class: descend its cross-entropy
    return projected_gradient_steps(lambda x: sign * cross_entropy(logits(x), labels, reduction="sum"), x0,
                                    eps=eps, steps=steps, step_size=step_size, clip=clip, norm=norm, start=start,
                                    momentum=momentum)


def uniform_start(x0, eps, clip, generator, norm="linf"):
    """A random point of the ``norm`` ball of radius ``eps`` around ``x0``, clipped.

    L-inf: uniform in the cube. L2: a uniformly random direction at a radius
    drawn uniformly in ``[0, eps]`` (the library's choice; not uniform in the ball's volume).
    """
    if norm == "linf":
        noise = (torch.rand(x0.shape, generator=generator) * 2 - 1) * eps
    else:
        direction = torch.randn(x0.shape, generator=generator).flatten(1)
        direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
        noise = (direction * torch.rand(len(x0), 1, generator=generator) * eps).view(x0.shape)
    return torch.clamp(x0 + noise.to(x0.device), *clip)


def pgd_tensor(logits, x0, labels, *, eps, steps, step_size, clip, generator, norm="linf", loss="ce"):
    """PGD's core: projected gradient steps from ``uniform_start`` (``generator`` draws it), ascending the
    cross-entropy of ``labels`` (``loss="ce"``, ``signed_gradient_steps``) or their logit margin (``"margin"``).

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> x = pgd_tensor(logits, x0, labels, eps=0.2, steps=10, step_size=0.04, clip=(0.0, 1.0),
    ...                generator=torch.Generator().manual_seed(0))
    >>> bool((x - x0).abs().max() <= 0.2 + 1e-6), bool((logits(x).argmax(1) != labels).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    start = uniform_start(x0, eps, clip, generator, norm)
    if loss == "margin":
        return projected_gradient_steps(lambda x: -margin(logits(x), labels).sum(), x0, eps=eps, steps=steps,
                                        step_size=step_size, clip=clip, norm=norm, start=start)
    return signed_gradient_steps(logits, x0, labels, eps=eps, steps=steps, step_size=step_size,
                                 clip=clip, start=start, norm=norm)


def check_norm(norm):
    return v.check_option(norm, "norm", NORMS)


def check_norm_eps(eps, clip, norm):
    """``eps``: at most the clip width in L-inf; any positive radius in L2."""
    return check_eps(eps, clip) if norm == "linf" else v.check_float(eps, "eps", 0.0, np.inf)


def fgsm(model, X, y, eps, *, clip=(0.0, 1.0), batch_size=512):
    """Fast gradient sign method (Goodfellow et al., 2015): ``x + eps * sign(grad_x CE)``, clipped.

    Parameters
    ----------
    model : fitted classifier
        Any that ``pu_detect.classifiers.torch_classifier`` accepts; the
        attack differentiates the logits it predicts with (``-Z`` for RCE).
    X : array-like of shape (n_samples, n_features)
        Clean rows inside ``clip``.
    y : array-like of shape (n_samples,)
        Their true classes.
    eps : float in (0, clip[1] - clip[0]]
        L-inf size of the step.
    clip : tuple (low, high), default=(0.0, 1.0)
        The input range the adversarial rows are clipped to.
    batch_size : int, default=512
        Rows attacked at once.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> X_adv = fgsm(clf, X[:20] / 16, y[:20], eps=0.2)
    >>> float(np.abs(X_adv - X[:20] / 16).max()) <= 0.2 + 1e-6
    True
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    eps = check_eps(eps, clip)
    labels = target.class_index(y, len(X))
    return in_batches(lambda x, t: signed_gradient_steps(target.logits, x, t, eps=eps, steps=1, step_size=eps,
                                                         clip=clip), X, labels, batch_size)


def bim(model, X, y, eps, *, steps=10, step_size=None, clip=(0.0, 1.0), batch_size=512):
    """Basic iterative method (Kurakin et al., 2017): ``steps`` signed steps in the L-inf ball.

    Parameters
    ----------
    model, X, y, eps, clip, batch_size
        As in ``fgsm``.
    steps : int, default=10
    step_size : float or None, default=None
        ``None``: ``eps / steps``.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> bim(clf, X[:5] / 16, y[:5], eps=0.2, steps=5).shape
    (5, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    eps = check_eps(eps, clip)
    steps, step_size = check_steps(steps, step_size, lambda n: eps / n)
    labels = target.class_index(y, len(X))
    return in_batches(lambda x, t: signed_gradient_steps(target.logits, x, t, eps=eps, steps=steps,
                                                         step_size=step_size, clip=clip), X, labels, batch_size)


def ilcm(model, X, eps, *, steps=10, step_size=None, clip=(0.0, 1.0), batch_size=512):
    """Iterative least-likely class method (Kurakin et al., 2017): BIM toward the least-likely class.

    Each row descends the cross-entropy of the class its clean version
    finds least likely; no true labels are needed.

    Parameters
    ----------
    model, X, eps, clip, batch_size
        As in ``fgsm``.
    steps : int, default=10
    step_size : float or None, default=None
        ``None``: ``eps / steps``.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> ilcm(clf, X[:5] / 16, eps=0.1).shape
    (5, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    eps = check_eps(eps, clip)
    steps, step_size = check_steps(steps, step_size, lambda n: eps / n)

    def attack(x, _):
        with torch.no_grad():
            least = target.logits(x).argmin(dim=1)
        return signed_gradient_steps(target.logits, x, least, eps=eps, steps=steps, step_size=step_size,
                                     clip=clip, toward=True)

    return in_batches(attack, X, torch.zeros(len(X), dtype=torch.long), batch_size)


def pgd(model, X, y, eps, *, steps=40, step_size=None, norm="linf", loss="ce", clip=(0.0, 1.0),
        random_state=None, batch_size=512):
    """Projected gradient descent (Madry et al., 2018): BIM from a uniform random start in the ball.

    Parameters
    ----------
    model, X, y, clip, batch_size
        As in ``fgsm``.
    eps : float > 0
        Radius of the ball (at most ``clip[1] - clip[0]`` in L-inf).
    steps : int, default=40
    step_size : float or None, default=None
        ``None``: ``2.5 * eps / steps`` (Madry et al.).
    norm : {"linf", "l2"}, default="linf"
        The threat model: signed steps in the L-inf ball, or normalised-gradient
        steps in the L2 ball.
    loss : {"ce", "margin"}, default="ce"
        The objective ascended: the cross-entropy of the true class, or the
        logit margin ``max_{i != y} Z_i - Z_y`` (C&W's, independent of the
        logits' scale; an adaptive choice for networks whose softmax
        saturates, such as Max-Mahalanobis ones, where it ascends
        ``||z - mu_y||^2 - min_{i != y} ||z - mu_i||^2``).
    random_state : int, numpy generator or None, default=None
        Seed of the random starts (same seed, same output).

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> pgd(clf, X[:5] / 16, y[:5], eps=0.2, steps=5, random_state=0).shape
    (5, 64)
    >>> pgd(clf, X[:5] / 16, y[:5], eps=1.0, norm="l2", steps=5, random_state=0).shape
    (5, 64)
    >>> pgd(clf, X[:5] / 16, y[:5], eps=0.2, loss="margin", steps=5, random_state=0).shape
    (5, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    norm = check_norm(norm)
    eps = check_norm_eps(eps, clip, norm)
    steps, step_size = check_steps(steps, step_size, lambda n: 2.5 * eps / n)
    loss = v.check_option(loss, "loss", PGD_LOSSES)
    labels = target.class_index(y, len(X))
    generator = torch.Generator().manual_seed(v.check_seed(random_state))
    return in_batches(lambda x, t: pgd_tensor(target.logits, x, t, eps=eps, steps=steps, step_size=step_size,
                                              clip=clip, generator=generator, norm=norm, loss=loss),
                      X, labels, batch_size)


def mim(model, X, y, eps, *, steps=10, step_size=None, momentum=1.0, clip=(0.0, 1.0), batch_size=512):
    """Momentum iterative method (Dong et al., 2018): BIM whose steps follow an accumulated gradient.

    Each step adds ``step_size * sign(g_t)`` with ``g_t = momentum * g_{t-1} +
    grad_x CE / ||grad_x CE||_1`` and projects on the L-inf ball, as in
    cleverhans' ``MomentumIterativeMethod`` (which the ADP paper's tables used).

    Parameters
    ----------
    model, X, y, eps, clip, batch_size
        As in ``fgsm``.
    steps : int, default=10
    step_size : float or None, default=None
        ``None``: ``eps / steps``.
    momentum : float >= 0, default=1.0
        The decay factor ``mu`` (0: BIM).

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> mim(clf, X[:5] / 16, y[:5], eps=0.1).shape
    (5, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    eps = check_eps(eps, clip)
    steps, step_size = check_steps(steps, step_size, lambda n: eps / n)
    momentum = v.check_float(momentum, "momentum", 0.0, np.inf, low_inclusive=True)
    labels = target.class_index(y, len(X))
    return in_batches(lambda x, t: signed_gradient_steps(target.logits, x, t, eps=eps, steps=steps,
                                                         step_size=step_size, clip=clip, momentum=momentum),
                      X, labels, batch_size)
