"""HopSkipJump (Chen, Jordan and Wainwright, IEEE S&P 2020): a decision-based attack.

Only the predicted class is queried, never a score or a gradient, so any
classifier with ``predict`` can be attacked, whatever its inference does.
From an adversarial starting point (uniform noise that is misclassified) the
attack repeats three steps:

1. a binary search between the row and the adversarial point lands on the
   decision boundary (blending in L2, shrinking an L-inf box around the row);
2. the boundary's normal is estimated from ``B_t = B_0 sqrt(t)`` random unit
   directions at radius ``delta_t = ||x_t - x||_p / d``, each scored +1 when
   the perturbed point is adversarial and -1 when not, their mean subtracted;
3. a step of size ``||x_t - x||_p / sqrt(t)`` along that estimate (its unit
   L2 direction, or its sign in L-inf), halved until the point is
   adversarial again.

The result is the adversarial row of least distance found: a minimum-norm
attack, with no ``eps``. Robust accuracy at a radius is the share of rows
that are either not fooled or fooled only further away.

The paper's choices kept here: ``delta_t`` (``sqrt(d) theta`` times the
distance in L2 and ``d theta`` in L-inf, with ``theta = d^-3/2`` and
``d^-2``: both ``1 / d``), ``B_t``, the geometric step search and the
binary search's tolerance ``theta``. Ours: every direction is drawn from the
unit sphere, and clipping to the input range is undone in the estimate (a
direction counts as far as it moved); at most 25 halvings per step.

References
----------
Chen, Jordan and Wainwright, "HopSkipJumpAttack: a query-efficient
decision-based attack", IEEE Symposium on Security and Privacy, 2020.
"""

import math

import torch

from ..utils import validation as v
from ._core import black_box_target, check_batch_size, check_clip, check_core_batch, check_rows, in_batches
from .gradient import check_norm

#: Halvings of a step before it is given up (the step is then 2^-25 of the distance).
MAX_HALVINGS = 25


def _distance(delta, norm):
    flat = delta.flatten(1)
    return flat.norm(dim=1) if norm == "l2" else flat.abs().max(dim=1).values


def _blend(x0, x_far, alpha, norm):
    """Points between ``x0`` (``alpha = 0``) and ``x_far`` (``alpha = 1``)."""
    alpha = alpha.view(-1, *[1] * (x0.dim() - 1))
    if norm == "l2":
        return (1 - alpha) * x0 + alpha * x_far
    radius = alpha * _distance(x_far - x0, "linf").view_as(alpha)
    return torch.minimum(torch.maximum(x_far, x0 - radius), x0 + radius)


def _to_boundary(adversarial, x0, x_far, labels, norm, tolerance):
    """Binary search for the boundary between ``x0`` and adversarial ``x_far``; the adversarial side."""
    low = torch.zeros(len(x0), device=x0.device)
    high = torch.ones(len(x0), device=x0.device)
    for _ in range(max(math.ceil(math.log2(1 / tolerance)), 1)):
        middle = (low + high) / 2
        hit = adversarial(_blend(x0, x_far, middle, norm), labels)
        high, low = torch.where(hit, middle, high), torch.where(hit, low, middle)
    return _blend(x0, x_far, high, norm)


def _boundary_normal(adversarial, x, labels, radius, n_samples, clip, generator, chunk=8192):
    """The Monte Carlo estimate of the boundary's normal at ``x`` (rows), pointing to the adversarial side."""
    n, d = len(x), x[0].numel()
    signs, directions = [], []
    per_chunk = max(chunk // max(n, 1), 1)
    for start in range(0, n_samples, per_chunk):
        m = min(per_chunk, n_samples - start)
        u = torch.randn((n, m, d), generator=generator).to(x)
        u = u / u.norm(dim=2, keepdim=True).clamp_min(1e-12)
        probes = torch.clamp(x.flatten(1)[:, None] + radius.view(-1, 1, 1) * u, *clip)
        u = (probes - x.flatten(1)[:, None]) / radius.view(-1, 1, 1).clamp_min(1e-12)  # as far as each moved
        hit = adversarial(probes.view(n * m, *x.shape[1:]), labels.repeat_interleave(m))
        signs.append(hit.view(n, m).float() * 2 - 1)
        directions.append(u)
    phi, u = torch.cat(signs, 1), torch.cat(directions, 1)
    mean = phi.mean(dim=1, keepdim=True)
    # all probes on one side: their mean direction, signed; else the baseline-subtracted estimate
    centred = torch.where(mean.abs() == 1, mean, phi - mean)
    return (centred[:, :, None] * u).mean(dim=1).view_as(x)


def hop_skip_jump_tensor(adversarial, x0, labels, *, norm, steps, n_gradient_samples, max_gradient_samples,
                         n_init_draws, clip, generator, starts=None, start_classes=None):
    """HopSkipJump's core on a batch: the adversarial rows of least distance found (``x0`` where none was).

    ``adversarial(rows, labels)`` answers, per row, whether the classifier's
    decision differs from ``labels``; ``starts`` (or None) are candidate
    starting points whose predicted classes are ``start_classes``.

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> adversarial = lambda rows, classes: logits(rows).argmax(1) != classes  # decisions only
    >>> x = hop_skip_jump_tensor(adversarial, x0, labels, norm="l2", steps=5, n_gradient_samples=20,
    ...                          max_gradient_samples=100, n_init_draws=50, clip=(0.0, 1.0),
    ...                          generator=torch.Generator().manual_seed(0))
    >>> bool(adversarial(x, labels).all()), bool(((x >= 0) & (x <= 1)).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    n, d = len(x0), x0[0].numel()
    tolerance = d ** -1.5 if norm == "l2" else d ** -2.0
    with torch.no_grad():
        x = x0.clone()
        found = adversarial(x0, labels)  # already misclassified: the row itself, at distance 0
        todo = ~found
        if starts is not None and todo.any():  # the nearest start of another class
            distance = torch.cdist(x0.flatten(1), starts.flatten(1), p=2.0 if norm == "l2" else float("inf"))
            distance[start_classes[None, :] == labels[:, None]] = float("inf")
            nearest = distance.min(dim=1)
            usable = todo & torch.isfinite(nearest.values)
            x[usable] = starts[nearest.indices[usable]]
            todo &= ~usable
        for _ in range(n_init_draws):
            if not todo.any():
                break
            rows = todo.nonzero().squeeze(1)
            noise = torch.rand((len(rows),) + x0.shape[1:], generator=generator).to(x0) * (clip[1] - clip[0]) + clip[0]
            hit = adversarial(noise, labels[rows])
            x[rows[hit]] = noise[hit]
            todo[rows[hit]] = False
        active = (~found & ~todo).nonzero().squeeze(1)
        if not len(active):
            return x0.clone()
        origin, t_labels = x0[active], labels[active]
        current = _to_boundary(adversarial, origin, x[active], t_labels, norm, tolerance)
        for t in range(1, steps + 1):
            distance = _distance(current - origin, norm)
            n_samples = min(int(n_gradient_samples * math.sqrt(t)), max_gradient_samples)
            normal = _boundary_normal(adversarial, current, t_labels, distance / d, n_samples, clip, generator)
            if norm == "l2":
                step_direction = normal / _distance(normal, "l2").view(-1, *[1] * (x0.dim() - 1)).clamp_min(1e-12)
            else:
                step_direction = normal.sign()
            size = distance / math.sqrt(t)
            candidate = current.clone()
            pending = torch.ones(len(active), dtype=torch.bool, device=x0.device)
            for _ in range(MAX_HALVINGS):
                trial = torch.clamp(current[pending] + size[pending].view(-1, *[1] * (x0.dim() - 1))
                                    * step_direction[pending], *clip)
                hit = adversarial(trial, t_labels[pending])
                rows = pending.nonzero().squeeze(1)
                candidate[rows[hit]] = trial[hit]
                pending[rows[hit]] = False
                size[rows[~hit]] /= 2
                if not pending.any():
                    break
            moved = _to_boundary(adversarial, origin, candidate, t_labels, norm, tolerance)
            closer = _distance(moved - origin, norm) < distance
            current = torch.where(closer.view(-1, *[1] * (x0.dim() - 1)), moved, current)
        x[active] = current
    return x


def hop_skip_jump(model, X, y, *, norm="l2", steps=50, n_gradient_samples=100, max_gradient_samples=10000,
                  n_init_draws=100, starts=None, clip=(0.0, 1.0), random_state=None, batch_size=64):
    """HopSkipJump (Chen et al., 2020): the least-distance adversarial rows found from decisions alone.

    Parameters
    ----------
    model : fitted classifier
        Anything ``pu_detect.attacks.fgsm`` takes (its predicted class is
        queried, never a gradient), or any fitted scikit-learn classifier
        (its ``predict``).
    X, y, clip
        As in ``pu_detect.attacks.fgsm``.
    norm : {"l2", "linf"}, default="l2"
        The distance minimised.
    steps : int, default=50
        Iterations (boundary search, normal estimate, step); the defaults of
        this and the next three are the Adversarial Robustness Toolbox's.
    n_gradient_samples : int, default=100
        ``B_0``: directions for the first normal estimate (``B_0 sqrt(t)`` at
        iteration ``t``).
    max_gradient_samples : int, default=10000
        At most this many directions per estimate.
    n_init_draws : int, default=100
        Uniform noise draws to find an adversarial starting point (the
        paper's start); a row for which none is misclassified is returned
        unchanged.
    starts : array-like of shape (n_starts, n_features) or None, default=None
        Candidate starting points, for example training rows: each row starts
        from the nearest one the classifier puts in another class (noise
        only where none is), so the attack also runs on models that put all
        noise in one class. Classifying them costs ``n_starts`` queries in all.
        Ours, not the paper's.
    random_state : int, numpy generator or None, default=None
        Seed of the starting points and the directions (same seed, same output).
    batch_size : int, default=64
        Rows attacked at once (each iteration queries ``B_t`` points per row).

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32
        The adversarial row of least distance found for each row; the row
        itself where it is already misclassified or no start was found.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.svm import SVC
    >>> X, y = load_digits(return_X_y=True)
    >>> svm = SVC().fit(X[:1000] / 16, y[:1000])  # decisions only: no predict_proba
    >>> X_adv = hop_skip_jump(svm, X[1000:1005] / 16, y[1000:1005], steps=10, random_state=0)
    >>> bool((svm.predict(X_adv) != y[1000:1005]).all())
    True
    >>> bool(np.linalg.norm(X_adv - X[1000:1005] / 16, axis=1).max() < 3.0)
    True
    """
    target = black_box_target(model, scores=False)
    clip = check_clip(clip)
    X = check_rows(X, clip, target)
    batch_size = check_batch_size(batch_size)
    norm = check_norm(norm)
    steps = v.check_int(steps, "steps", min_value=0)
    n_gradient_samples = v.check_int(n_gradient_samples, "n_gradient_samples")
    max_gradient_samples = v.check_int(max_gradient_samples, "max_gradient_samples")
    n_init_draws = v.check_int(n_init_draws, "n_init_draws")
    labels = target.class_index(y, len(X))
    generator = torch.Generator().manual_seed(v.check_seed(random_state))
    start_classes = None
    if starts is not None:
        starts = check_rows(starts, clip, target, name="starts")
        with torch.no_grad():
            start_classes = torch.cat([target.predicted_index(starts[i:i + batch_size])
                                       for i in range(0, len(starts), batch_size)])

    def adversarial(rows, t):
        return target.predicted_index(rows) != t

    return in_batches(lambda x, t: hop_skip_jump_tensor(
        adversarial, x, t, norm=norm, steps=steps, n_gradient_samples=n_gradient_samples,
        max_gradient_samples=max_gradient_samples, n_init_draws=n_init_draws, clip=clip, generator=generator,
        starts=starts, start_classes=start_classes), X, labels, batch_size)
