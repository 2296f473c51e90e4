"""Auto-PGD (Croce and Hein, ICML 2020), with the cross-entropy and DLR losses, and AutoAttack.

``apgd`` is the library's own implementation of APGD from the paper's
description: steps of size ``eta`` (starting at ``2 eps``) with momentum 0.75,
and at each checkpoint ``w_j`` (``p_0 = 0``, ``p_1 = 0.22``,
``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)`` of the iterations) a
row's step size is halved and its iterate restarted from its best point when
its loss increased in fewer than ``rho`` of the steps since the last
checkpoint, or when neither its step size nor its best loss changed since
then. ``autoattack`` runs the reference ensemble (the ``pyautoattack``
package, an optional extra) at its standard settings.

References
----------
Croce and Hein, "Reliable evaluation of adversarial robustness with an
ensemble of diverse parameter-free attacks", ICML 2020.
"""

import math

import numpy as np
import torch
from torch.nn.functional import cross_entropy

from ..utils import validation as v
from ._core import check_core_batch, gradient, image_shape, in_batches, n_outputs, prepare
from .gradient import _unit_step, check_norm, check_norm_eps, project, uniform_start

LOSSES = ("ce", "dlr")
MOMENTUM = 0.75


def dlr_loss(logits, labels, targets=None):
    """The difference-of-logits-ratio loss per row (Croce and Hein, 2020); higher = more adversarial.

    Untargeted: ``-(z_y - max_{i != y} z_i) / (z_(1) - z_(3))``; targeted towards
    ``t``: ``-(z_y - z_t) / (z_(1) - (z_(3) + z_(4)) / 2)``, with ``z_(k)`` the
    k-th largest logit (1e-12 is added to the denominators). Invariant to
    shifting and scaling the logits.

    Examples
    --------
    >>> import torch
    >>> dlr_loss(torch.tensor([[3.0, 1.0, 0.0]]), torch.tensor([0]))  # -(3 - 1) / (3 - 0)
    tensor([-0.6667])
    """
    v.check_tensor(logits, "logits", dim=2)
    n_classes = logits.shape[1]
    if n_classes < (4 if targets is not None else 3):
        raise ValueError(f"logits must have at least {4 if targets is not None else 3} classes for the "
                         f"{'targeted ' if targets is not None else ''}DLR loss; got {n_classes}.")
    v.check_class_indices(labels, "labels", len(logits), "logits", n_classes)
    if targets is not None:
        v.check_class_indices(targets, "targets", len(logits), "logits", n_classes)
    ordered = logits.sort(dim=1, descending=True).values
    z_y = logits.gather(1, labels[:, None]).squeeze(1)
    if targets is None:
        others = logits.scatter(1, labels[:, None], float("-inf")).max(dim=1).values
        return -(z_y - others) / (ordered[:, 0] - ordered[:, 2] + 1e-12)
    z_t = logits.gather(1, targets[:, None]).squeeze(1)
    return -(z_y - z_t) / (ordered[:, 0] - (ordered[:, 2] + ordered[:, 3]) / 2 + 1e-12)


def _row_loss(name, logits, labels, targets):
    if name == "dlr":
        return dlr_loss(logits, labels, targets)
    if targets is None:
        return cross_entropy(logits, labels, reduction="none")
    return -cross_entropy(logits, targets, reduction="none")  # towards the target: descend its CE


def checkpoints(steps):
    """APGD's checkpoint iterations ``ceil(p_j * steps)`` for ``j >= 1``."""
    p = [0.0, 0.22]
    while p[-1] + max(p[-1] - p[-2] - 0.03, 0.06) <= 1:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    return sorted({math.ceil(q * steps) for q in p[1:]} - {0})


def apgd_tensor(logits, x0, labels, *, eps, steps, clip, norm="linf", loss="ce", targets=None, rho=0.75,
                start=None):
    """APGD's core on a batch: the adversarial rows (the first successful iterate, else the best-loss one).

    ``logits`` is a callable ``x -> Tensor``; ``targets`` (or None) the class each
    row is pushed to; ``start`` the first iterate (None: ``x0``).

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> x = apgd_tensor(logits, x0, labels, eps=0.2, steps=10, clip=(0.0, 1.0), loss="dlr")
    >>> bool((x - x0).abs().max() <= 0.2 + 1e-6), bool((logits(x).argmax(1) != labels).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    if targets is not None:
        check_core_batch(x0, targets, labels_name="targets")
    ck = set(checkpoints(steps))

    def evaluate(x):
        x = x.detach().requires_grad_(True)
        z = logits(x)
        per_row = _row_loss(loss, z, labels, targets)
        grad = gradient(per_row.sum(), x)
        hit = z.argmax(1) == targets if targets is not None else z.argmax(1) != labels
        return per_row.detach(), grad, hit

    x = x0.clone() if start is None else start.clone()
    eta = torch.full((len(x0),) + (1,) * (x0.dim() - 1), 2.0 * eps, device=x0.device)
    current, grad, hit = evaluate(x)
    adversarial, found = torch.where(hit.view(-1, *[1] * (x0.dim() - 1)), x, x0), hit.clone()
    best, x_best, grad_best = current.clone(), x.clone(), grad.clone()
    eta_at_ck, best_at_ck = eta.clone(), best.clone()
    increases, last_ck = torch.zeros(len(x0), device=x0.device), 0
    x_prev = x.clone()
    for k in range(steps - 1):
        with torch.no_grad():
            z_step = project(x + eta * _unit_step(grad, norm), x0, eps, clip, norm)
            alpha = MOMENTUM if k > 0 else 1.0
            x_next = project(x + alpha * (z_step - x) + (1 - alpha) * (x - x_prev), x0, eps, clip, norm)
        x_prev, x = x, x_next
        loss_new, grad, hit = evaluate(x)
        with torch.no_grad():
            increases += (loss_new > current).float()
            current = loss_new
            new_hit = hit & ~found
            adversarial[new_hit] = x[new_hit]
            found |= hit
            better = current > best
            best[better], x_best[better], grad_best[better] = current[better], x[better], grad[better]
            if k + 1 in ck:
                window = k + 1 - last_ck
                stalled = (eta.flatten() == eta_at_ck.flatten()) & (best == best_at_ck)
                reduce = (increases < rho * window) | stalled
                eta[reduce] /= 2
                x[reduce], grad[reduce] = x_best[reduce], grad_best[reduce]
                eta_at_ck, best_at_ck, increases, last_ck = eta.clone(), best.clone(), increases.zero_(), k + 1
    return torch.where(found.view(-1, *[1] * (x0.dim() - 1)), adversarial, x_best).detach()


def apgd(model, X, y, eps, *, norm="linf", loss="ce", targeted=False, n_target_classes=9, steps=100, rho=0.75,
         clip=(0.0, 1.0), random_state=None, batch_size=512):
    """Auto-PGD (Croce and Hein, 2020): step-size-free PGD on the cross-entropy or DLR loss.

    Parameters
    ----------
    model, X, y, clip, batch_size
        As in ``pu_detect.attacks.fgsm``.
    eps : float > 0
        Radius of the ``norm`` ball.
    norm : {"linf", "l2"}, default="linf"
    loss : {"ce", "dlr"}, default="ce"
        APGD-CE or APGD-DLR (DLR needs at least 3 classes, 4 when targeted).
    targeted : bool, default=False
        ``True``: APGD-T, run towards each of the ``n_target_classes`` most
        likely wrong classes in turn (on the rows not yet fooled), as in AutoAttack.
    n_target_classes : int, default=9
        At most the number of classes minus one.
    steps : int, default=100
        Gradient evaluations per run.
    rho : float in (0, 1), default=0.75
        The checkpoints' fraction of loss increases below which the step size is halved.
    random_state : int, numpy generator or None, default=None
        Seed of the random start in the ball (same seed, same output).

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
    >>> X_adv = apgd(clf, X[:20] / 16, y[:20], eps=0.2, steps=20, random_state=0)
    >>> float(np.abs(X_adv - X[:20] / 16).max()) <= 0.2 + 1e-6
    True
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    norm = check_norm(norm)
    eps = check_norm_eps(eps, clip, norm)
    loss = v.check_option(loss, "loss", LOSSES)
    targeted = v.check_bool(targeted, "targeted")
    steps = v.check_int(steps, "steps")
    rho = v.check_float(rho, "rho", 0.0, 1.0)
    labels = target.class_index(y, len(X))
    generator = torch.Generator().manual_seed(v.check_seed(random_state))
    n_classes = n_outputs(target, X)
    if targeted:
        n_target_classes = v.check_int(n_target_classes, "n_target_classes")
        if n_target_classes > n_classes - 1:
            v._fail("n_target_classes", f"at most the {n_classes - 1} wrong classes", n_target_classes)

    def run(x0, t, targets=None):
        start = uniform_start(x0, eps, clip, generator, norm)
        return apgd_tensor(target.logits, x0, t, eps=eps, steps=steps, clip=clip, norm=norm, loss=loss,
                           targets=targets, rho=rho, start=start)

    if not targeted:
        return in_batches(run, X, labels, batch_size)

    def run_targeted(x0, t):
        with torch.no_grad():
            ranked = target.logits(x0).argsort(dim=1, descending=True)
            ranked = torch.stack([r[r != c] for r, c in zip(ranked, t)]) if len(t) else ranked[:, 1:]
        best = x0.clone()
        fooled = torch.zeros(len(x0), dtype=torch.bool, device=x0.device)
        for rank in range(n_target_classes):
            todo = ~fooled
            if not todo.any():
                break
            x_adv = run(x0[todo], t[todo], ranked[todo, rank])
            with torch.no_grad():
                hit = target.logits(x_adv).argmax(1) != t[todo]
            rows = todo.nonzero().squeeze(1)
            best[rows] = x_adv
            fooled[rows[hit]] = True
        return best

    return in_batches(run_targeted, X, labels, batch_size)


def autoattack(model, X, y, eps, *, norm="linf", version="standard", input_shape=None, random_state=0,
               batch_size=500):
    """The reference AutoAttack ensemble (Croce and Hein, 2020) on a fitted classifier.

    Runs ``pyautoattack.AutoAttack`` (install with ``pip install
    "pu_detect[autoattack]"``) on a frozen copy of the classifier's prediction
    logits, at the package's own settings for ``version``.

    Parameters
    ----------
    model, X, y
        As in ``pu_detect.attacks.fgsm``; ``X`` in ``[0, 1]``.
    eps : float > 0
    norm : {"linf", "l2"}, default="linf"
    version : {"standard", "plus", "rand"}, default="standard"
    input_shape : tuple (C, H, W) or None, default=None
        How the rows are images (the Square attack needs ``(C, H, W)``);
        ``None``: the classifier's ``input_shape`` when it has one, else ``(1, 1, n_features)``.
    random_state : int, default=0
        AutoAttack's seed.
    batch_size : int, default=500

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    With ``pyautoattack`` installed:

    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RobustClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RobustClassifier(hidden_dims=(32,), epochs=40, random_state=0).fit(X[:300] / 16, y[:300])
    >>> X_adv = autoattack(clf, X[:20] / 16, y[:20], eps=0.1)  # doctest: +SKIP
    >>> clf.score(X_adv, y[:20]) <= clf.score(X[:20] / 16, y[:20])  # doctest: +SKIP
    True
    """
    try:
        from pyautoattack import AutoAttack
    except ImportError as error:
        raise ImportError("autoattack needs the pyautoattack package: pip install 'pu_detect[autoattack]'") from error
    target, X, clip, batch_size = prepare(model, X, (0.0, 1.0), batch_size)
    norm = check_norm(norm)
    eps = check_norm_eps(eps, clip, norm)
    version = v.check_option(version, "version", ("standard", "plus", "rand"))
    seed = v.check_int(random_state, "random_state", min_value=0)
    labels = target.class_index(y, len(X))
    shape = image_shape(input_shape, model, X.shape[1], fallback=(1, 1, X.shape[1]))

    class Images(torch.nn.Module):
        def forward(self, images):
            return target.logits(images.flatten(1))

    attack = AutoAttack(Images().eval(), norm="Linf" if norm == "linf" else "L2", eps=eps, version=version,
                        device=target.device, seed=seed)
    images, _ = attack.run_standard_evaluation(X.view(len(X), *shape), labels, batch_size=batch_size)
    return images.flatten(1).detach().cpu().numpy().astype(np.float32)
