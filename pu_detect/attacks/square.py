"""The Square Attack (Andriushchenko, Croce, Flammarion and Hein, ECCV 2020): a score-based random search.

No gradient is used, only the classifier's class scores, so it evaluates
models whose gradients are unavailable or misleading: inference by
optimisation (``ABSClassifier``), non-differentiable preprocessing, or any
scikit-learn classifier with ``predict_proba``. Each query changes the
current perturbation inside one random square window of the image and keeps
the change where it lowers the margin loss ``z_y - max_{i != y} z_i``; a row
stops being queried once it is misclassified.

* L-inf: the perturbation starts as vertical stripes of ``+-eps`` (one sign
  per column and channel); a query sets one window to ``+-eps`` (one sign
  per channel).
* L2: the perturbation starts as a grid of windows, each holding the
  paper's "pseudo-Gaussian" pattern (two halves of opposite sign, each a
  sum of centred nested rectangles weighted ``1 / (k + 1)^2``) with a random
  sign per channel, scaled to norm ``eps``. A query empties a second window,
  moves its mass into the first (the pattern plus the window's old content,
  rescaled so the perturbation keeps norm ``eps``).
* Window sizes: side ``round(sqrt(p * H * W))`` (L2: at least 3 and odd),
  with ``p`` starting at ``p_init`` and halved after queries 10, 50, 200,
  500, 1,000, 2,000, 4,000, 6,000 and 8,000 of a 10,000-query budget,
  rescaled to ``n_queries`` (the schedule of the reference implementation).

Ours where the paper leaves it open: each row draws its own windows (the
reference implementation draws one per batch); rows that are not images
(no ``input_shape``) are seen as one row of pixels, and their windows are
segments of ``round(p * n_features)`` features; the attack is untargeted only.

References
----------
Andriushchenko, Croce, Flammarion and Hein, "Square Attack: a query-efficient
black-box adversarial attack via random search", ECCV 2020.
"""

import math

import torch

from ..utils import validation as v
from ._core import (black_box_target, check_batch_size, check_clip, check_core_batch, check_rows, image_shape,
                    in_batches, margin)
from .gradient import check_norm, check_norm_eps

#: Queries (of a 10,000-query budget) after which ``p`` halves.
HALVINGS = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)


def _p_schedule(query, n_queries, p_init):
    """The fraction of pixels a window covers at ``query`` (0-based) of ``n_queries``.

    Examples
    --------
    >>> _p_schedule(0, 10000, 0.8), _p_schedule(11, 10000, 0.8), _p_schedule(1, 100, 0.8)
    (0.8, 0.4, 0.2)
    """
    rescaled = int(query / n_queries * 10000)
    return p_init / 2 ** sum(rescaled > h for h in HALVINGS)


def _window_size(p, height, width, minimum=1, odd=False):
    """``(rows, columns)`` of a window covering about ``p`` of a ``height x width`` image.

    A square of side ``round(sqrt(p * height * width))`` (at least ``minimum``,
    made odd when ``odd``, at most the image's smaller side); on a single
    row of pixels, a segment of ``round(p * width)``.

    Examples
    --------
    >>> _window_size(0.8, 28, 28), _window_size(0.01, 28, 28, minimum=3, odd=True), _window_size(0.1, 1, 64)
    ((25, 25), (3, 3), (1, 6))
    """
    if height == 1:
        side = max(int(round(p * width)), minimum)
        side += odd and side % 2 == 0
        return 1, min(side, width)
    side = max(int(round(math.sqrt(p * height * width))), minimum)
    side += odd and side % 2 == 0
    side = min(side, height, width)
    return side, side


def _pseudo_gaussian(rows, columns):
    """The L2 window pattern: two halves of opposite sign, unit L2 norm.

    Each half is a sum of rectangles centred on it, the ``k``-th (half-size
    ``k``, clipped to the half) weighted ``1 / (k + 1)^2``, so a cell at
    Chebyshev distance ``d`` from the centre holds ``sum_{k >= d} 1 / (k + 1)^2``.
    The halves split the rows (the columns of a single-row window).

    Examples
    --------
    >>> _pseudo_gaussian(2, 3) * (2 * (2 * 0.25**2 + 1.25**2)) ** 0.5  # [0.25, 1.25, 0.25] over its negative
    tensor([[ 0.2500,  1.2500,  0.2500],
            [-0.2500, -1.2500, -0.2500]])
    """
    if rows == 1:
        return torch.ones(1, 1) if columns == 1 else _pseudo_gaussian(columns, 1).T
    top = rows // 2
    pattern = torch.cat([_rectangles(top, columns), -_rectangles(rows - top, columns)])
    return pattern / pattern.norm()


def _rectangles(rows, columns):
    centre_r, centre_c = rows // 2, columns // 2
    n_rectangles = max(centre_r, centre_c) + 1
    weights = 1.0 / torch.arange(1, n_rectangles + 1, dtype=torch.float32) ** 2
    tail = weights.flip(0).cumsum(0).flip(0)  # tail[d] = sum_{k >= d} 1 / (k + 1)^2
    distance = torch.maximum((torch.arange(rows)[:, None] - centre_r).abs(),
                             (torch.arange(columns)[None, :] - centre_c).abs())
    return tail[distance]


def _windows(n, height, width, size, generator):
    """Per row, a random window of ``size``: its mask ``(n, H, W)`` and each cell's position inside it."""
    rows, columns = size
    top = torch.randint(0, height - rows + 1, (n,), generator=generator)
    left = torch.randint(0, width - columns + 1, (n,), generator=generator)
    r = torch.arange(height)[None, :] - top[:, None]
    c = torch.arange(width)[None, :] - left[:, None]
    inside = ((r >= 0) & (r < rows))[:, :, None] & ((c >= 0) & (c < columns))[:, None, :]
    return inside, r.clamp(0, rows - 1), c.clamp(0, columns - 1)


def _signs(shape, generator):
    return torch.randint(0, 2, shape, generator=generator).float() * 2 - 1


def _l2_normalise(delta, eps):
    norms = delta.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
    return delta / norms * eps


def _linf_start(x0, eps, clip, generator):
    n, channels, _, width = x0.shape
    return torch.clamp(x0 + eps * _signs((n, channels, 1, width), generator).to(x0), *clip)


def _l2_start(x0, eps, clip, generator):
    n, channels, height, width = x0.shape
    rows, columns = max(height // 5, 1), max(width // 5, 1)
    pattern = _pseudo_gaussian(rows, columns).to(x0)
    delta = torch.zeros_like(x0)
    top0, left0 = (height - rows * (height // rows)) // 2, (width - columns * (width // columns)) // 2
    for top in range(top0, height - rows + 1, rows):
        for left in range(left0, width - columns + 1, columns):
            delta[:, :, top:top + rows, left:left + columns] += (
                pattern * _signs((n, channels, 1, 1), generator).to(x0))
    return torch.clamp(x0 + _l2_normalise(delta, eps), *clip)


def _linf_query(x0, x, eps, clip, p, generator):
    n, channels, height, width = x0.shape
    inside, _, _ = _windows(n, height, width, _window_size(p, height, width), generator)
    change = 2 * eps * inside[:, None].to(x0) * _signs((n, channels, 1, 1), generator).to(x0)
    return torch.clamp(torch.minimum(torch.maximum(x + change, x0 - eps), x0 + eps), *clip)


def _l2_query(x0, x, eps, clip, p, generator):
    n, channels, height, width = x0.shape
    size = _window_size(p, height, width, minimum=3, odd=True)
    first, r, c = _windows(n, height, width, size, generator)
    second, _, _ = _windows(n, height, width, size, generator)
    first, second = first[:, None].to(x0), second[:, None].to(x0)
    delta = x - x0
    total = delta.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    both = torch.maximum(first, second)
    moved = (delta * both).pow(2).sum(dim=(2, 3), keepdim=True)  # per channel, the mass the windows hold
    pattern = _pseudo_gaussian(*size).to(x0)
    if size[0] == size[1]:  # a random orientation per row
        flip = torch.rand(n, generator=generator) < 0.5
        placed = torch.where(flip[:, None, None], pattern.T[r[:, :, None], c[:, None, :]],
                             pattern[r[:, :, None], c[:, None, :]])
    else:
        placed = pattern[r[:, :, None], c[:, None, :]]
    old = delta * first
    new = placed[:, None].to(x0) * first * _signs((n, channels, 1, 1), generator).to(x0)
    new = new + old / old.pow(2).sum(dim=(2, 3), keepdim=True).sqrt().clamp_min(1e-12)
    budget = ((eps**2 - total**2).clamp_min(0) / channels + moved).sqrt()
    new = new / new.pow(2).sum(dim=(2, 3), keepdim=True).sqrt().clamp_min(1e-12) * budget
    delta = delta * (1 - both) + new
    return torch.clamp(x0 + _l2_normalise(delta, eps), *clip)


def square_tensor(scores, x0, labels, *, eps, n_queries, p_init, clip, generator, norm="linf"):
    """The Square Attack's core on a batch of images ``x0`` of shape (n, C, H, W).

    ``scores`` is a callable ``images -> (n, n_classes)`` logits (or log
    probabilities), called without gradients; ``n_queries`` counts every
    call per row, the starting point included. Returns, per row, the
    perturbed image of least margin loss found (the first misclassified one,
    where one was found).

    Examples
    --------
    >>> import torch
    >>> weights = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [0.5, 0.5, -1.0]])
    >>> logits = lambda x: x.flatten(1) @ weights  # a linear classifier of 4 features, 3 classes
    >>> x0 = torch.tensor([[0.2, 0.4, 0.6, 0.8], [0.9, 0.1, 0.5, 0.3]])
    >>> labels = logits(x0).argmax(1)
    >>> images = x0.reshape(2, 1, 2, 2)  # the rows as 2 x 2 images
    >>> x = square_tensor(logits, images, labels, eps=0.2, n_queries=100, p_init=0.8, clip=(0.0, 1.0),
    ...                   generator=torch.Generator().manual_seed(0))
    >>> bool((x - images).abs().max() <= 0.2 + 1e-6), bool((logits(x).argmax(1) != labels).all())
    (True, True)
    """
    check_core_batch(x0, labels)
    start, query = (_linf_start, _linf_query) if norm == "linf" else (_l2_start, _l2_query)
    with torch.no_grad():
        x = start(x0, eps, clip, generator)
        loss = margin(scores(x), labels)
        for k in range(n_queries - 1):
            active = torch.nonzero(loss >= 0).squeeze(1)
            if not len(active):
                break
            candidate = query(x0[active], x[active], eps, clip, _p_schedule(k, n_queries, p_init), generator)
            new_loss = margin(scores(candidate), labels[active])
            better = new_loss < loss[active]
            x[active[better]] = candidate[better]
            loss[active[better]] = new_loss[better]
    return x


def square(model, X, y, eps, *, norm="linf", n_queries=5000, p_init=0.8, input_shape=None, clip=(0.0, 1.0),
           random_state=None, batch_size=512):
    """The Square Attack (Andriushchenko et al., 2020): untargeted, score-based, L-inf or L2.

    Parameters
    ----------
    model : fitted classifier
        Anything ``pu_detect.attacks.fgsm`` takes (its prediction logits are
        the scores, used without gradients), or a fitted scikit-learn
        classifier with ``predict_proba`` (its log probabilities).
    X, y, clip, batch_size
        As in ``pu_detect.attacks.fgsm``.
    eps : float > 0
        Radius of the ``norm`` ball.
    norm : {"linf", "l2"}, default="linf"
    n_queries : int, default=5000
        Score evaluations per row at most (AutoAttack's budget; the paper's
        is 10,000); a row stops once it is misclassified.
    p_init : float in (0, 1], default=0.8
        The share of the image the first windows cover (AutoAttack's value).
    input_shape : tuple (C, H, W) or None, default=None
        How the rows are images; ``None``: the classifier's ``input_shape``
        when it has one, else one row of ``n_features`` pixels.
    random_state : int, numpy generator or None, default=None
        Seed of the windows and signs (same seed, same output).

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> forest = RandomForestClassifier(random_state=0).fit(X[:1000] / 16, y[:1000])
    >>> X_adv = square(forest, X[1000:1020] / 16, y[1000:1020], eps=0.3, n_queries=200, input_shape=(1, 8, 8),
    ...                random_state=0)
    >>> float(np.abs(X_adv - X[1000:1020] / 16).max()) <= 0.3 + 1e-6
    True
    >>> bool(forest.score(X_adv, y[1000:1020]) < forest.score(X[1000:1020] / 16, y[1000:1020]))
    True
    """
    target = black_box_target(model, scores=True)
    clip = check_clip(clip)
    X = check_rows(X, clip, target)
    batch_size = check_batch_size(batch_size)
    norm = check_norm(norm)
    eps = check_norm_eps(eps, clip, norm)
    n_queries = v.check_int(n_queries, "n_queries")
    p_init = v.check_float(p_init, "p_init", 0.0, 1.0, high_inclusive=True)
    shape = image_shape(input_shape, model, X.shape[1], fallback=(1, 1, X.shape[1]))
    labels = target.class_index(y, len(X))
    generator = torch.Generator().manual_seed(v.check_seed(random_state))

    def attack(x, t):
        images = x.view(len(x), *shape)
        found = square_tensor(lambda z: target.logits(z.flatten(1)), images, t, eps=eps, n_queries=n_queries,
                              p_init=p_init, clip=clip, generator=generator, norm=norm)
        return found.flatten(1)

    return in_batches(attack, X, labels, batch_size)
