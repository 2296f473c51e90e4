"""Gradient-sign attacks in the L-inf ball: FGSM, BIM, ILCM and PGD.

Each has a tensor-level core that runs on a live module's logits with a
given generator (adversarial training calls it every step without copying
the network) and a NumPy-facing wrapper that checks its inputs, freezes a
copy of the classifier and works in batches.
"""

import torch
from torch.nn.functional import cross_entropy

from ..utils import validation as v
from ._core import check_eps, check_steps, gradient, in_batches, prepare


def signed_gradient_steps(logits, x0, labels, *, eps, steps, step_size, clip, start=None, toward=False):
    """Iterated signed-gradient steps on the cross-entropy, projected on the L-inf ball and ``clip``.

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

    Returns
    -------
    Tensor, detached, within ``eps`` of ``x0`` in L-inf and inside ``clip``.
    """
    x = x0.clone() if start is None else start
    sign = -1.0 if toward else 1.0  # toward a target class: descend its cross-entropy
    for _ in range(steps):
        x.requires_grad_(True)
        grad = gradient(cross_entropy(logits(x), labels, reduction="sum"), x)
        with torch.no_grad():
            x = x + sign * step_size * grad.sign()
            x = torch.clamp(torch.minimum(torch.maximum(x, x0 - eps), x0 + eps), *clip)
    return x.detach()


def uniform_start(x0, eps, clip, generator):
    """A uniform random point of the L-inf ball of radius ``eps`` around ``x0``, clipped."""
    noise = (torch.rand(x0.shape, generator=generator) * 2 - 1).to(x0.device) * eps
    return torch.clamp(x0 + noise, *clip)


def pgd_tensor(logits, x0, labels, *, eps, steps, step_size, clip, generator):
    """PGD's core: ``signed_gradient_steps`` from ``uniform_start`` (``generator`` draws it)."""
    start = uniform_start(x0, eps, clip, generator)
    return signed_gradient_steps(logits, x0, labels, eps=eps, steps=steps, step_size=step_size,
                                 clip=clip, start=start)


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
    >>> bim(clf, X[:5] / 16, y[:5], eps=0.1, steps=5).shape
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


def pgd(model, X, y, eps, *, steps=40, step_size=None, clip=(0.0, 1.0), random_state=None, batch_size=512):
    """Projected gradient descent (Madry et al., 2018): BIM from a uniform random start in the ball.

    Parameters
    ----------
    model, X, y, eps, clip, batch_size
        As in ``fgsm``.
    steps : int, default=40
    step_size : float or None, default=None
        ``None``: ``2.5 * eps / steps`` (Madry et al.).
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
    >>> pgd(clf, X[:5] / 16, y[:5], eps=0.1, steps=5, random_state=0).shape
    (5, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    eps = check_eps(eps, clip)
    steps, step_size = check_steps(steps, step_size, lambda n: 2.5 * eps / n)
    labels = target.class_index(y, len(X))
    generator = torch.Generator().manual_seed(v.check_seed(random_state))
    return in_batches(lambda x, t: pgd_tensor(target.logits, x, t, eps=eps, steps=steps, step_size=step_size,
                                              clip=clip, generator=generator), X, labels, batch_size)
