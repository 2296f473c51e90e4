"""Adversarial attacks on a fitted classifier: batched torch, clipped to the input range.

Every attack takes the classifier as it predicts (``softmax(-Z)`` for an RCE
network; see :func:`pu_detect.adversarial.torch_classifier`), rows ``X`` in
``clip`` (default ``[0, 1]``) and their true classes ``y``, and returns the
adversarial rows as a float32 array of the same shape. Randomness comes from
``random_state`` only.

* :func:`fgsm`: one signed-gradient step of size ``eps`` (Goodfellow et al., 2015).
* :func:`bim`: ``steps`` signed steps of ``eps / steps`` in the L-inf ball (Kurakin et al., 2017).
* :func:`ilcm`: BIM towards the least-likely class (Kurakin et al., 2017).
* :func:`pgd`: BIM from a random start in the ball (Madry et al., 2018).
* :func:`carlini_wagner`: C&W-L2 with confidence ``kappa`` and a binary search
  over its constant (Carlini and Wagner, 2017); ``kappa=10`` is the
  high-confidence variant (:func:`high_confidence_cw`).
* :func:`jsma`: the Jacobian saliency map attack over pixel pairs (Papernot et al., 2016).
* :func:`kdensity_cw`: the adaptive attack: targeted C&W that also pushes the
  K-density score under a fitted :class:`~pu_detect.adversarial.KDensityDetector`'s
  threshold (Carlini and Wagner, "Adversarial Examples Are Not Easily
  Detected", 2017).
"""

import copy

import numpy as np
import torch
from torch.nn.functional import cross_entropy

from . import _validation as v
from .adversarial import class_indices, torch_classifier


class _Target:
    """The classifier as float32 torch functions on a frozen eval-mode copy."""

    def __init__(self, model):
        model = torch_classifier(model)
        self.module = copy.deepcopy(model.module).float().eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.model = model
        self.device = next(self.module.parameters()).device

    def logits(self, x):
        return self.model.logits(self.module, x)

    def features(self, x):
        return self.model.features(self.module, x)

    def class_index(self, y, n_rows):
        """True classes as indices into the classifier's outputs, on the attack's device."""
        return torch.as_tensor(class_indices(self.model.classes, y, n_rows), device=self.device)


def _check_rows(X, clip, target):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or len(X) == 0:
        v._fail("X", "a non-empty 2-D array of rows", f"shape {X.shape}")
    if not np.all(np.isfinite(X)):
        v._fail("X", "finite values", "NaN or infinity")
    low, high = clip
    if X.min() < low - 1e-6 or X.max() > high + 1e-6:
        v._fail("X", f"values inside clip={clip}", f"values in [{X.min():.3g}, {X.max():.3g}]")
    if target.model.n_features is not None and X.shape[1] != target.model.n_features:
        v._fail("X", f"rows of the classifier's {target.model.n_features} features", f"{X.shape[1]} features")
    return torch.as_tensor(X, device=target.device)


def _in_batches(attack, X, labels, batch_size):
    out = [attack(X[i : i + batch_size], labels[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    return torch.cat(out).cpu().numpy()


def _gradient(loss, x):
    return torch.autograd.grad(loss, x)[0]


def _signed_steps(target, x0, labels, eps, steps, step_size, clip, start=None, toward=False):
    """Iterated signed-gradient steps on the cross-entropy, projected on the L-inf ball and ``clip``."""
    x = x0.clone() if start is None else start
    sign = -1.0 if toward else 1.0  # toward a target class: descend its cross-entropy
    for _ in range(steps):
        x.requires_grad_(True)
        grad = _gradient(cross_entropy(target.logits(x), labels, reduction="sum"), x)
        with torch.no_grad():
            x = x + sign * step_size * grad.sign()
            x = torch.clamp(torch.minimum(torch.maximum(x, x0 - eps), x0 + eps), *clip)
    return x.detach()


def _check_eps(eps, clip):
    return v.check_float(eps, "eps", 0.0, clip[1] - clip[0], high_inclusive=True)


def fgsm(model, X, y, eps, *, clip=(0.0, 1.0), batch_size=512):
    """Fast gradient sign method: ``x + eps * sign(grad_x CE)``, clipped.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect.adversarial import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> X_adv = fgsm(clf, X[:20] / 16, y[:20], eps=0.2)
    >>> float(np.abs(X_adv - X[:20] / 16).max()) <= 0.2 + 1e-6
    True
    """
    target = _Target(model)
    X = _check_rows(X, clip, target)
    eps = _check_eps(eps, clip)
    labels = target.class_index(y, len(X))
    return _in_batches(lambda x, t: _signed_steps(target, x, t, eps, 1, eps, clip), X, labels, batch_size)


def bim(model, X, y, eps, *, steps=10, step_size=None, clip=(0.0, 1.0), batch_size=512):
    """Basic iterative method: ``steps`` signed steps of ``eps / steps`` (default) in the L-inf ball."""
    target = _Target(model)
    X = _check_rows(X, clip, target)
    eps, steps = _check_eps(eps, clip), v.check_int(steps, "steps")
    step_size = eps / steps if step_size is None else step_size
    labels = target.class_index(y, len(X))
    return _in_batches(lambda x, t: _signed_steps(target, x, t, eps, steps, step_size, clip), X, labels, batch_size)


def ilcm(model, X, eps, *, steps=10, step_size=None, clip=(0.0, 1.0), batch_size=512):
    """Iterative least-likely class method: BIM descending the cross-entropy of the least-likely class."""
    target = _Target(model)
    X = _check_rows(X, clip, target)
    eps, steps = _check_eps(eps, clip), v.check_int(steps, "steps")
    step_size = eps / steps if step_size is None else step_size

    def attack(x, _):
        with torch.no_grad():
            least = target.logits(x).argmin(dim=1)
        return _signed_steps(target, x, least, eps, steps, step_size, clip, toward=True)

    return _in_batches(attack, X, torch.zeros(len(X), dtype=torch.long), batch_size)


def pgd(model, X, y, eps, *, steps=40, step_size=None, clip=(0.0, 1.0), random_state=None, batch_size=512):
    """Projected gradient descent: BIM from a uniform random start in the L-inf ball.

    ``step_size`` defaults to ``2.5 * eps / steps`` (Madry et al.).
    """
    target = _Target(model)
    X = _check_rows(X, clip, target)
    eps, steps = _check_eps(eps, clip), v.check_int(steps, "steps")
    step_size = 2.5 * eps / steps if step_size is None else step_size
    labels = target.class_index(y, len(X))
    generator = torch.Generator().manual_seed(v.check_seed(random_state))

    def attack(x, t):
        noise = (torch.rand(x.shape, generator=generator) * 2 - 1).to(x.device) * eps
        start = torch.clamp(x + noise, *clip)
        return _signed_steps(target, x, t, eps, steps, step_size, clip, start=start)

    return _in_batches(attack, X, labels, batch_size)


def _margin(logits, labels, targeted):
    """C&W's f: how far the attack is from its goal (<= -kappa when reached with confidence kappa)."""
    chosen = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.masked_fill(torch.nn.functional.one_hot(labels, logits.shape[1]).bool(), -torch.inf)
    best_other = others.max(dim=1).values
    return best_other - chosen if targeted else chosen - best_other


def _carlini_wagner(target, x0, labels, *, kappa, initial_const, binary_search_steps, max_iter, lr,
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
            margin = _margin(target.logits(x), labels, targeted)
            objective = l2 + const * torch.clamp(margin, min=-kappa)
            extra = None
            if penalty is not None:
                extra = penalty(target, x, labels)
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
    """Carlini-Wagner L2 attack (untargeted) with confidence ``kappa``.

    Minimises ``||x' - x||^2 + c * max(Z_y - max_{i != y} Z_i, -kappa)`` over
    ``x'`` in tanh space (so ``x'`` stays in ``clip``) with Adam, with a
    per-row binary search over ``c``; returns the smallest successful
    perturbation found for each row, or the row unchanged where none was.
    ``Z`` are the logits the classifier predicts with.
    """
    target = _Target(model)
    X = _check_rows(X, clip, target)
    kappa = v.check_float(kappa, "kappa", 0.0, np.inf, low_inclusive=True)
    labels = target.class_index(y, len(X))
    options = dict(kappa=kappa, initial_const=v.check_float(initial_const, "initial_const", 0.0, np.inf),
                   binary_search_steps=v.check_int(binary_search_steps, "binary_search_steps"),
                   max_iter=v.check_int(max_iter, "max_iter"), lr=v.check_float(lr, "lr", 0.0, np.inf),
                   clip=clip)
    return _in_batches(lambda x, t: _carlini_wagner(target, x, t, **options), X, labels, batch_size)


def high_confidence_cw(model, X, y, *, kappa=10.0, **options):
    """High-confidence C&W: :func:`carlini_wagner` with ``kappa = 10``."""
    return carlini_wagner(model, X, y, kappa=kappa, **options)


def _second_class(target, X, labels, batch_size):
    """The most likely wrong class of each clean row: the adaptive attack's target."""
    with torch.no_grad():
        logits = torch.cat([target.logits(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
    return logits.scatter(1, labels[:, None], -torch.inf).argmax(dim=1)


def kdensity_cw(model, detector, X, y, *, margin=0.0, kappa=0.0, initial_const=1.0, binary_search_steps=5,
                max_iter=100, lr=0.05, clip=(0.0, 1.0), batch_size=512):
    """Adaptive attack: targeted C&W that also drives the K-density score under the detector's threshold.

    The target is each row's most likely wrong class; the objective adds
    ``c * max(0, s(x') - threshold_ + margin)``, with ``s`` the fitted
    :class:`~pu_detect.adversarial.KDensityDetector`'s score ``-log KD``
    computed in torch for the target class. A row counts as successful only
    when it is misclassified as its target with confidence ``kappa`` *and*
    scores under the threshold.
    """
    from .adversarial import KDensityDetector

    if not isinstance(detector, KDensityDetector) or not hasattr(detector, "centers_"):
        v._fail("detector", "a fitted KDensityDetector", type(detector).__name__)
    target = _Target(model)
    X = _check_rows(X, clip, target)
    labels = target.class_index(y, len(X))
    goals = _second_class(target, X, labels, batch_size)
    centers = {c: torch.as_tensor(z, dtype=torch.float32, device=target.device)
               for c, z in detector.centers_.items()}
    bandwidth, threshold = detector.bandwidth_, float(detector.threshold_)

    def penalty(target_, x, goal):
        z = target_.features(x)
        scores = torch.zeros(len(x), device=x.device)
        for c in goal.unique().tolist():
            rows = goal == c
            if c not in centers:
                continue
            exponents = -torch.cdist(z[rows], centers[c]).square() / bandwidth
            scores[rows] = -(torch.logsumexp(exponents, dim=1) - np.log(len(centers[c])))
        return torch.clamp(scores - threshold + margin, min=0)

    options = dict(kappa=v.check_float(kappa, "kappa", 0.0, np.inf, low_inclusive=True),
                   initial_const=initial_const, binary_search_steps=binary_search_steps,
                   max_iter=max_iter, lr=lr, clip=clip, targeted=True, penalty=penalty)
    return _in_batches(lambda x, t: _carlini_wagner(target, x, t, **options), X, goals, batch_size)


def jsma(model, X, y, *, targets=None, theta=1.0, gamma=0.1, clip=(0.0, 1.0), random_state=None,
         batch_size=32):
    """Jacobian saliency map attack (Papernot et al., 2016), pixel-pair version, increasing features.

    Each iteration picks, for every row not yet classified as its target,
    the pair of features ``(p, q)`` still below ``clip[1]`` that maximises
    ``alpha * |beta|`` with ``alpha = dZ_t/dx_p + dZ_t/dx_q > 0`` and
    ``beta`` the same sum over the other classes' logits ``< 0``, and adds
    ``theta`` to both (clipped). At most ``gamma`` of the features change.
    ``targets`` default to a random class other than ``y`` per row.
    """
    target = _Target(model)
    X = _check_rows(X, clip, target)
    labels = target.class_index(y, len(X))
    theta = v.check_float(theta, "theta", 0.0, np.inf)
    gamma = v.check_float(gamma, "gamma", 0.0, 1.0, high_inclusive=True)
    with torch.no_grad():
        n_classes = target.logits(X[:1]).shape[1]
    if targets is None:
        generator = torch.Generator().manual_seed(v.check_seed(random_state))
        shift = torch.randint(1, n_classes, (len(X),), generator=generator).to(target.device)
        goals = (labels + shift) % n_classes
    else:
        goals = target.class_index(targets, len(X))
        if torch.any(goals == labels):
            v._fail("targets", "classes different from y in every row", "a target equal to its y")
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

    return _in_batches(attack, X, goals, batch_size)
