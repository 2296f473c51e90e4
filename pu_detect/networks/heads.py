"""Heads before softmax: linear, tanh, a bounded function with a finite optimum, or Max-Mahalanobis centres.

Kanai et al. (IJCNN 2021, arXiv 2010.02558) show that bounding the logits
with tanh does not make them small where it matters: tanh reaches its bound
only at infinity, so training drives the pre-logits (tanh's inputs) to large
norms. Their remedy is a bounded function whose largest value is reached at a
finite input. Its exact formula could not be read here, so ``"bounded"`` is
this library's own function with that property:

``f(z) = z / (1 + (z / (2 b))^2)``,

odd, of slope 1 at 0, bounded by ``b`` in absolute value, and reaching
``+-b`` at ``z = +-2 b`` (beyond which it decreases again), so the logit
margin is largest at pre-logits of size ``2 b``. Measured against tanh
(MNIST, PGD training with cross-entropy, 30 epochs, seeds 0-2): median
pre-logit norm 6.5-6.8 against 14.7-17.8, and robust accuracy at or above
tanh's in the mean under every attack (benchmarks/README.md).

``MaxMahalanobisHead`` gives logits ``-||z - mu_i||^2`` to fixed centres
(Pang et al., ICML 2018 / ICLR 2020), for the MMLDA (cross-entropy on these
logits) and MMC (``pu_detect.losses.mmc_loss``) objectives.
"""

import torch
from torch import nn

from ..utils.validation import check_float, check_int, check_module, check_option, check_tensor, describe

HEADS = ("linear", "tanh", "bounded", "max_mahalanobis")


def bounded_logit(z, bound=1.0):
    """``z / (1 + (z / (2 bound))^2)``: bounded by ``bound``, largest at ``z = 2 bound``.

    Examples
    --------
    >>> import torch
    >>> bounded_logit(torch.tensor([0.0, 2.0, 4.0, -2.0]))
    tensor([ 0.0000,  1.0000,  0.8000, -1.0000])
    """
    check_tensor(z, "z")
    return _bounded_logit(z, check_float(bound, "bound", 0.0, float("inf")))


def _bounded_logit(z, bound):
    """``bounded_logit`` without the argument checks (``LogitBound`` checked ``bound`` once)."""
    return z / (1 + (z / (2 * bound)) ** 2)


class LogitBound(nn.Module):
    """``"tanh"``: ``bound * tanh(z / bound)``; ``"bounded"``: ``bounded_logit(z, bound)``.

    Examples
    --------
    >>> import torch
    >>> LogitBound("tanh", 2.0)(torch.tensor([100.0]))
    tensor([2.])
    """

    def __init__(self, kind, bound=1.0):
        super().__init__()
        if kind not in ("tanh", "bounded"):
            raise ValueError(f"kind must be 'tanh' or 'bounded'; got {kind!r}.")
        self.kind, self.bound = kind, check_float(bound, "bound", 0.0, float("inf"))

    def forward(self, z):
        if self.kind == "tanh":
            return self.bound * torch.tanh(z / self.bound)
        return _bounded_logit(z, self.bound)

    def extra_repr(self):
        return f"kind={self.kind!r}, bound={self.bound}"


def with_head(network, head, bound=1.0):
    """``network`` (a classifier with ``features`` and a linear ``head``) with ``head`` after its logits.

    ``"linear"`` returns it unchanged; ``"tanh"`` / ``"bounded"`` make its
    ``head`` ``Sequential(linear head, LogitBound(head, bound))``, so
    ``head[0]`` gives the pre-logits; ``"max_mahalanobis"`` replaces it by a
    ``MaxMahalanobisHead`` of radius ``bound``. ``features`` is unchanged.

    Examples
    --------
    >>> import torch
    >>> from pu_detect.networks import Classifier
    >>> net = with_head(Classifier(4, 3, (8,)), "tanh", bound=2.0)
    >>> bool(net(torch.randn(5, 4) * 100).abs().max() <= 2.0), type(net.head[0]).__name__
    (True, 'Linear')
    """
    check_module(network, "network")
    check_option(head, "head", HEADS)
    if not isinstance(getattr(network, "head", None), nn.Linear):
        raise TypeError(f"network must have a linear head (network.head an nn.Linear); got "
                        f"{describe(getattr(network, 'head', None))}.")
    bound = check_float(bound, "bound", 0.0, float("inf"))
    if head == "max_mahalanobis":
        linear = network.head
        network.head = MaxMahalanobisHead(linear.in_features, linear.out_features, bound)
    elif head != "linear":
        network.head = nn.Sequential(network.head, LogitBound(head, bound))
    return network


def max_mahalanobis_centres(n_classes, dim, radius=10.0):
    """Pang et al.'s Max-Mahalanobis centres: ``n_classes`` points on a sphere of ``radius``, spread apart.

    For ``dim >= n_classes - 1``, the construction of the authors' code, a
    regular simplex: ``mu_1 = e_1``; for each next centre, its first
    coordinates make its inner product with every earlier centre ``-1 / (L -
    1)``, and its own coordinate brings it to unit norm; then all are scaled
    by ``radius``. Pairwise inner products are ``-radius^2 / (L - 1)``.

    For fewer dimensions no simplex fits. The MMLDA paper asks for centres
    whose smallest pairwise distance is largest; the library solves that
    problem itself (``_spread_on_sphere``: projected gradient descent on a
    smooth maximum of the pairwise cosines from a fixed start, so the centres
    are deterministic), which finds the known optima on small cases (a
    regular polygon in 2-D, the octahedron and icosahedron in 3-D).

    Examples
    --------
    >>> import torch
    >>> mu = max_mahalanobis_centres(3, 2, radius=1.0)
    >>> torch.round(mu @ mu.T, decimals=4)
    tensor([[ 1.0000, -0.5000, -0.5000],
            [-0.5000,  1.0000, -0.5000],
            [-0.5000, -0.5000,  1.0000]], dtype=torch.float64)
    >>> square = max_mahalanobis_centres(4, 2, radius=1.0)  # too few dimensions for a simplex: a square
    >>> abs(float((square @ square.T).fill_diagonal_(-1).max())) < 1e-3
    True
    """
    n_classes, dim = check_int(n_classes, "n_classes", 2), check_int(dim, "dim")
    radius = check_float(radius, "radius", 0.0, float("inf"))
    if n_classes < 2 or dim < 1 or (dim == 1 and n_classes > 2):
        raise ValueError(f"Max-Mahalanobis centres need at least 2 classes and, for more than 2 classes, at least "
                         f"2 dimensions; got dim={dim} for {n_classes} classes.")
    if dim < n_classes - 1:
        return radius * _spread_on_sphere(n_classes, dim)
    mu = torch.zeros(n_classes, dim, dtype=torch.float64)
    mu[0, 0] = 1.0
    for k in range(1, n_classes):
        for j in range(k):
            mu[k, j] = -(1 / (n_classes - 1) + mu[k] @ mu[j]) / mu[j, j]
        if k < dim:
            mu[k, k] = torch.sqrt(torch.abs(1 - mu[k] @ mu[k]))
    return radius * mu


def _spread_on_sphere(n_points, dim, iterations=3000, sharpness=200.0, step_size=0.01):
    """Unit vectors whose largest pairwise cosine is (locally) smallest: gradient steps on its log-sum-exp."""
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(n_points, dim, generator=generator, dtype=torch.float64)
    mu = mu / mu.norm(dim=1, keepdim=True)
    pairs = ~torch.eye(n_points, dtype=torch.bool)
    with torch.enable_grad():
        for _ in range(iterations):
            mu.requires_grad_(True)
            smooth_max = torch.logsumexp(sharpness * (mu @ mu.T)[pairs], 0) / sharpness
            (grad,) = torch.autograd.grad(smooth_max, mu)
            with torch.no_grad():
                mu = mu - step_size * grad
                mu = mu / mu.norm(dim=1, keepdim=True)
    return mu.detach()


class MaxMahalanobisHead(nn.Module):
    """Logits ``-||z - mu_i||^2`` of a linear map ``z`` of the features to fixed Max-Mahalanobis centres.

    The centres (``max_mahalanobis_centres``, in ``dim = in_features``
    dimensions) are a buffer, not learned. The linear map before them is this
    library's: ReLU features are non-negative and could not reach centres
    with negative coordinates.

    Examples
    --------
    >>> import torch
    >>> head = MaxMahalanobisHead(4, n_classes=3)
    >>> centres = head.centres
    >>> [round(value) for value in (centres @ centres.T).flatten().tolist()]  # C^2 = 100, -C^2 / (L - 1) = -50
    [100, -50, -50, -50, 100, -50, -50, -50, 100]
    >>> head(torch.zeros(1, 4)).shape  # the logits -||z - mu_i||^2
    torch.Size([1, 3])
    """

    def __init__(self, in_features, n_classes, radius=10.0):
        super().__init__()
        self.n_classes, self.radius = n_classes, float(radius)
        self.linear = nn.Linear(in_features, in_features)
        self.register_buffer("centres", torch.empty(n_classes, in_features))
        self.reset_buffers()

    def reset_buffers(self):
        """Fill ``centres`` (also after a build on the meta device)."""
        if self.centres.device.type != "meta":
            with torch.no_grad():
                centres = max_mahalanobis_centres(self.n_classes, self.centres.shape[1], self.radius)
                self.centres.copy_(centres.to(self.centres.dtype))

    def forward(self, features):
        z = self.linear(features)
        return -((z[:, None, :] - self.centres[None]) ** 2).sum(dim=2)

    def extra_repr(self):
        return f"n_classes={self.n_classes}, radius={self.radius}"
