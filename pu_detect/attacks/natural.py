"""Natural adversarial examples (Zhao, Dua and Singh, ICLR 2018): searched in a generator's latent space.

The row ``x`` is mapped to a latent code ``z = invert(x)``; candidates
``generate(z + dz)`` for random ``dz`` at growing (or shrinking) L2 radii are
classified by the black-box ``predict``, and the nearest one in latent space
whose class differs from ``y`` (or equals ``target``) is returned. With a
fitted ``pu_detect.VAEDetector`` the generator is ``vae.decode`` and the
inverter ``vae.encode`` (the posterior mean); the paper uses a WGAN with a
trained inverter, and says a VAE's blurrier samples are a weaker notion of
"natural".
"""

import numpy as np

from ..utils import validation as v

SEARCHES = ("hybrid", "iterative")


def _directions(rng, n, dim, low, high):
    """``n`` random latent offsets with L2 norms uniform in ``[low, high)``, and the norms."""
    directions = rng.standard_normal((n, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = rng.uniform(low, high, n)
    return directions * radii[:, None], radii


class _Search:
    """One row's search: draws candidates in a radius window and keeps the nearest that flips."""

    def __init__(self, z, label, target, generate, predict, rng, n_samples):
        self.z, self.label, self.target = z, label, target
        self.generate, self.predict, self.rng, self.n_samples = generate, predict, rng, n_samples
        self.best_row, self.best_distance, self.rounds = None, np.inf, 0

    def draw(self, low, high):
        """Search ``[low, high)`` once; the smallest flipping radius found (``inf`` if none)."""
        self.rounds += 1
        offsets, radii = _directions(self.rng, self.n_samples, len(self.z), low, high)
        rows = np.asarray(self.generate(self.z[None] + offsets), dtype=np.float64)
        classes = np.asarray(self.predict(rows))
        flipped = classes == self.target if self.target is not None else classes != self.label
        if not flipped.any():
            return np.inf
        i = np.flatnonzero(flipped)[np.argmin(radii[flipped])]
        if radii[i] < self.best_distance:
            self.best_row, self.best_distance = rows[i], float(radii[i])
        return float(radii[i])


def _iterative(search, step, max_rounds):
    """Algorithm 1: windows ``[0, step)``, ``[step, 2 step)``, ... until one flips."""
    low = 0.0
    while search.rounds < max_rounds:
        if np.isfinite(search.draw(low, low + step)):
            return
        low += step


def _hybrid(search, step, max_rounds, initial_radius, patience):
    """Algorithm 2: bisect ``[0, initial_radius)`` towards the smallest flip, then slide a window down."""
    low, high, misses = 0.0, initial_radius, 0
    while search.rounds < max_rounds:
        found = search.draw(low, high)
        if not np.isfinite(found):  # nothing flips below high: look further out
            if high - low < step:
                break
            low = (low + high) / 2
        elif found <= search.best_distance:  # a new best: search below it
            low, high = found / 2, found
        else:
            high, misses = (low + high) / 2, misses + 1
        if misses > patience or high - low < step:
            break
    if search.best_row is None:
        return
    high = search.best_distance  # phase 2: windows of width step below the best radius
    while high > 1e-4 and search.rounds < max_rounds:
        low = max(high - step, 0.0)
        if not any(np.isfinite(search.draw(low, high)) for _ in range(patience)):
            break
        high = min(low, search.best_distance)


def natural_adversarial(predict, X, y, generate, invert, *, target=None, search="hybrid", n_samples=5000,
                        step=0.01, initial_radius=10.0, patience=5, max_rounds=200, random_state=0):
    """Natural adversarial examples by latent-space search (Zhao et al., ICLR 2018).

    Parameters
    ----------
    predict : callable or fitted classifier
        Class labels of rows (``classifier.predict`` is used when it has
        one); a black box: no gradient is needed.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        The rows' true classes (what an untargeted search must leave).
    generate : callable ``Z (m, d) -> rows (m, n_features)``
        The generator (for example ``VAEDetector.decode``).
    invert : callable ``rows (n, n_features) -> Z (n, d)``
        The inverter (for example ``VAEDetector.encode``).
    target : array-like of shape (n_samples,) or None
        Classes to reach (targeted search); ``None``: any other class.
    search : {"hybrid", "iterative"}, default="hybrid"
        ``"iterative"``: Algorithm 1, windows ``[k step, (k + 1) step)`` of
        growing radius until one holds a flip. ``"hybrid"`` (the authors'
        default): Algorithm 2, bisection from ``[0, initial_radius)`` towards
        the smallest flipping radius (ending after ``patience`` flips that do
        not improve it), then windows of width ``step`` slid down from it,
        each tried ``patience`` times. Phase 2's exact stopping rule is our
        reading of the authors' ``recursive_search``.
    n_samples : int, default=5000
        Candidates per round (the authors' value).
    step : float, default=0.01
        Window width (the authors' value; larger is faster and coarser).
    initial_radius : float, default=10.0
        The hybrid search's first window ``[0, initial_radius)``.
    patience : int, default=5
        The hybrid search's ``stop``.
    max_rounds : int, default=200
        Rounds per row at most (the authors' searches have no cap and loop
        forever when no adversary exists).
    random_state : int, numpy generator or None, default=0

    Returns
    -------
    X_adv : ndarray of shape (n_samples, n_features)
        The natural adversary of each row (the row itself where none was found).
    distances : ndarray of shape (n_samples,)
        ``||dz||_2`` of each adversary in latent space (``inf`` where none was found).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); y = (X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> X_adv, d = natural_adversarial(clf, X[:3], y[:3], generate=lambda z: z, invert=lambda x: x, step=0.05)
    >>> bool(np.all(clf.predict(X_adv) != y[:3]))
    True
    """
    predict = getattr(predict, "predict", predict)
    if not callable(predict):
        v._fail("predict", "a fitted classifier or a callable returning class labels", type(predict).__name__)
    for name, function in (("generate", generate), ("invert", invert)):
        if not callable(function):
            v._fail(name, "a callable", type(function).__name__)
    X = v.check_rows(X, "X", dtype=np.float64)
    y = np.asarray(y)
    if y.shape != (len(X),):
        v._fail("y", f"one class label per row of X ({len(X)})", f"an array of shape {y.shape}")
    if target is not None:
        target = np.asarray(target)
        if target.shape != (len(X),):
            v._fail("target", f"one class per row of X ({len(X)})", f"an array of shape {target.shape}")
    search = v.check_option(search, "search", SEARCHES)
    n_samples = v.check_int(n_samples, "n_samples")
    step = v.check_float(step, "step", 0.0, np.inf)
    initial_radius = v.check_float(initial_radius, "initial_radius", 0.0, np.inf)
    patience = v.check_int(patience, "patience")
    max_rounds = v.check_int(max_rounds, "max_rounds")
    rng = np.random.default_rng(v.check_seed(random_state))
    Z = np.asarray(invert(X), dtype=np.float64)
    if Z.ndim != 2 or len(Z) != len(X):
        v._fail("invert", "a function returning one latent code per row (a 2-D array)",
                f"an array of shape {Z.shape}")
    X_adv, distances = X.copy(), np.full(len(X), np.inf)
    for i in range(len(X)):
        row_search = _Search(Z[i], y[i], None if target is None else target[i], generate, predict, rng, n_samples)
        if search == "iterative":
            _iterative(row_search, step, max_rounds)
        else:
            _hybrid(row_search, step, max_rounds, initial_radius, patience)
        if row_search.best_row is not None:
            X_adv[i], distances[i] = row_search.best_row, row_search.best_distance
    return X_adv.astype(np.float32), distances
