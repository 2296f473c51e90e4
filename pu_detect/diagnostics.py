"""Diagnostics of adversarial training: sharpness of the weight-loss landscape and smoothness of the loss.

Two analyses of adversarial training (Kanai et al.; Yamada, Kanai et al.)
measure the loss as a function of the *weights*:

* **sharpness**: the largest eigenvalue of the Hessian of the loss with
  respect to the weights (``hessian_top_eigenvalue``, by power iteration on
  Hessian-vector products; ``classifier_sharpness`` for a fitted
  classifier on clean or adversarial rows);
* **smoothness**: whether the gradient of the adversarial loss is Lipschitz,
  measured as ``||grad L(w + h d) - grad L(w - h d)|| / (2 h)`` for shrinking
  ``h`` along a direction ``d`` (``gradient_difference_ratios``): bounded
  where the gradient is Lipschitz, growing like ``1 / h`` across a jump.

For binary linear logistic regression the optimal attack is closed-form,
``adversarial_logistic_loss``: with ``f(x) = w.x``, labels in {-1, +1} and an
attack of size ``eps`` in the ``p``-norm, the loss is
``softplus(-(y w.x - eps ||w||_q))`` with ``1/p + 1/q = 1``.

References
----------
Kanai, Yamada, Takahashi, Yamanaka and Ida, "Smoothness Analysis of
Adversarial Training", arXiv 2103.01400.
Yamada, Kanai, Iwata, Takahashi, Yamanaka, Takahashi and Ida, "Adversarial
Training Makes Weight Loss Landscape Sharper in Logistic Regression",
arXiv 2102.02950.
"""

import numpy as np
import torch
from torch.nn.functional import cross_entropy, softplus

from .attacks._core import Target, check_clip, check_rows
from .attacks.gradient import NORMS, pgd_tensor
from .utils import validation as v

__all__ = ["adversarial_logistic_loss", "classifier_sharpness", "gradient_difference_ratios", "hessian_top_eigenvalue"]


def adversarial_logistic_loss(w, X, y, eps, norm="l2"):
    """Mean logistic loss of ``w`` under the optimal ``norm`` attack of size ``eps`` (closed form).

    Parameters
    ----------
    w : Tensor of shape (d,)
    X : Tensor of shape (n, d)
    y : Tensor of shape (n,), labels in {-1, +1}
    eps : float >= 0
    norm : {"l2", "linf"}, default="l2"
        The attack's norm; the loss takes the dual norm of ``w`` (L2, or L1 for L-inf).

    Examples
    --------
    >>> import torch
    >>> w, X, y = torch.tensor([3.0, 4.0]), torch.tensor([[1.0, 0.0]]), torch.tensor([1.0])
    >>> adversarial_logistic_loss(w, X, y, eps=0.2)  # softplus(-(3 - 0.2 * 5))
    tensor(0.1269)
    """
    norm = v.check_option(norm, "norm", NORMS)
    eps = v.check_float(eps, "eps", 0.0, np.inf, low_inclusive=True)
    dual = w.norm(p=2) if norm == "l2" else w.abs().sum()
    return softplus(-(y * (X @ w) - eps * dual)).mean()


def hessian_top_eigenvalue(loss, parameters, *, n_iter=100, tol=1e-6, random_state=None):
    """The Hessian's eigenvalue of largest magnitude for ``loss()`` w.r.t. ``parameters``, by power iteration.

    Parameters
    ----------
    loss : callable ``() -> scalar Tensor``
        Recomputed at each iteration, twice differentiable in ``parameters``.
    parameters : sequence of Tensor
        Leaf tensors with ``requires_grad=True``.
    n_iter : int, default=100
        Most Hessian-vector products.
    tol : float, default=1e-6
        Stop when the estimate changes by less than ``tol`` relative to itself.
    random_state : int, numpy generator or None, default=None
        Seed of the starting vector.

    Returns
    -------
    float

    Examples
    --------
    >>> import torch
    >>> w = torch.zeros(2, requires_grad=True)
    >>> round(hessian_top_eigenvalue(lambda: 3 * w[0] ** 2 + w[1] ** 2, [w], random_state=0), 4)  # eig 6, 2
    6.0
    """
    parameters = list(parameters)
    if not parameters or not all(isinstance(p, torch.Tensor) and p.requires_grad for p in parameters):
        v._fail("parameters", "a non-empty sequence of tensors with requires_grad=True", parameters)
    n_iter = v.check_int(n_iter, "n_iter")
    tol = v.check_float(tol, "tol", 0.0, np.inf, low_inclusive=True)
    generator = torch.Generator().manual_seed(v.check_seed(random_state))
    vector = [torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device) for p in parameters]
    eigenvalue = 0.0
    for _ in range(n_iter):
        norm = torch.sqrt(sum((u ** 2).sum() for u in vector))
        vector = [u / norm for u in vector]
        grads = torch.autograd.grad(loss(), parameters, create_graph=True)
        product = torch.autograd.grad(grads, parameters, grad_outputs=vector, allow_unused=True)
        product = [torch.zeros_like(p) if h is None else h.detach() for p, h in zip(parameters, product)]
        new = float(sum((h * u).sum() for h, u in zip(product, vector)))
        vector = product
        if abs(new - eigenvalue) <= tol * max(abs(new), 1e-12):
            return new
        eigenvalue = new
    return eigenvalue


def gradient_difference_ratios(loss, w, direction, steps):
    """``||grad L(w + h d) - grad L(w - h d)|| / (2 h)`` for each ``h`` in ``steps`` (``d`` normalised).

    Bounded as ``h -> 0`` where the gradient is Lipschitz at ``w``; growing
    like ``1 / h`` where it jumps.

    Examples
    --------
    >>> import torch
    >>> ratios = gradient_difference_ratios(lambda w: w.abs().sum(), torch.zeros(1), torch.ones(1), [1e-1, 1e-3])
    >>> [round(r) for r in ratios]  # |w| has a jump of 2 in its gradient at 0
    [10, 1000]
    """
    w, direction = torch.as_tensor(w, dtype=torch.float64), torch.as_tensor(direction, dtype=torch.float64)
    if w.shape != direction.shape or not float(direction.norm()) > 0:
        v._fail("direction", f"a non-zero tensor of w's shape {tuple(w.shape)}", tuple(direction.shape))
    direction = direction / direction.norm()

    def grad_at(point):
        point = point.clone().requires_grad_(True)
        return torch.autograd.grad(loss(point), point)[0]

    ratios = []
    for h in steps:
        h = v.check_float(h, "steps", 0.0, np.inf)
        ratios.append(float((grad_at(w + h * direction) - grad_at(w - h * direction)).norm() / (2 * h)))
    return ratios


def classifier_sharpness(classifier, X, y, *, eps=0.0, norm="l2", attack_steps=10, n_iter=50, clip=(0.0, 1.0),
                         random_state=None):
    """Top Hessian eigenvalue of a fitted classifier's mean cross-entropy w.r.t. its weights.

    With ``eps > 0`` the rows are first replaced by PGD adversarial rows
    (``attack_steps`` steps in the ``norm`` ball, computed at the fitted
    weights and then held fixed), so the value is the sharpness of the
    adversarial training loss at the fitted point. The network is evaluated
    in eval mode, on a copy (the classifier is not changed).

    Parameters
    ----------
    classifier : fitted pu_detect classifier (or any ``torch_classifier`` accepts)
    X, y : array-like
        Rows inside ``clip`` and their classes.
    eps : float >= 0, default=0.0
    norm : {"l2", "linf"}, default="l2"
    attack_steps : int, default=10
    n_iter : int, default=50
        Power-iteration steps (``hessian_top_eigenvalue``).
    clip : tuple, default=(0.0, 1.0)
    random_state : int or None, default=None

    Returns
    -------
    float

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RobustClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RobustClassifier(hidden_dims=(32,), epochs=40, random_state=0).fit(X[:300] / 16, y[:300])
    >>> clean = classifier_sharpness(clf, X[:100] / 16, y[:100], n_iter=20, random_state=0)
    >>> attacked = classifier_sharpness(clf, X[:100] / 16, y[:100], eps=1.0, n_iter=20, random_state=0)
    >>> bool(attacked > clean > 0)  # the adversarial loss is sharper at the fitted weights
    True
    """
    target = Target(classifier, "classifier")
    clip = check_clip(clip)
    x = check_rows(X, clip, target)
    labels = target.class_index(y, len(x))
    norm = v.check_option(norm, "norm", NORMS)
    eps = v.check_float(eps, "eps", 0.0, np.inf, low_inclusive=True)
    seed = v.check_seed(random_state)
    if eps > 0:
        x = pgd_tensor(target.logits, x, labels, eps=eps, steps=v.check_int(attack_steps, "attack_steps"),
                       step_size=2.5 * eps / attack_steps, clip=clip, generator=torch.Generator().manual_seed(seed),
                       norm=norm)
    parameters = list(target.module.parameters())
    for p in parameters:
        p.requires_grad_(True)
    return hessian_top_eigenvalue(lambda: cross_entropy(target.logits(x), labels), parameters, n_iter=n_iter,
                                  random_state=seed)
