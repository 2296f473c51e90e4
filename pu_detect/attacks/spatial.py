"""Spatially transformed adversarial examples (stAdv; Xiao et al., ICLR 2018).

Instead of changing pixel values, stAdv moves pixels: a per-pixel flow field
``f = (du, dv)`` resamples the image at ``p + f_p`` by bilinear interpolation,
and the flow minimises ``L_adv + tau * L_flow``, with ``L_adv = max(max_{i != t}
Z_i - Z_t, -kappa)`` (the C&W margin towards the target ``t``) and ``L_flow``
the flow's total variation over each pixel's four diagonal neighbours,
``sum_p sum_q sqrt(|du_p - du_q|^2 + |dv_p - dv_q|^2 + 1e-8)`` (zero padding),
as in the authors' released code.

What is the paper's and what is ours: the loss, ``tau = 0.05`` and bilinear
resampling are theirs; they optimise each image's flow with SciPy's L-BFGS-B
from a random flow, while ``stadv`` runs torch's L-BFGS (strong Wolfe line
search) on a batch's flows together from a zero flow, and keeps, per row, the
flow of the last iterate that reached the target.
"""

import numpy as np
import torch
from torch.nn.functional import grid_sample, pad

from ..utils import validation as v
from ._core import check_core_batch, image_shape, in_batches, prepare, target_classes

FLOW_EPS = 1e-8


def _check_flow(flow, shape=None):
    """``flow`` a float (n, 2, H, W) tensor, of ``shape`` when given."""
    v.check_tensor(flow, "flow", dim=4)
    if flow.shape[1] != 2 or (shape is not None and tuple(flow.shape) != shape):
        expected = "(n, 2, H, W)" if shape is None else f"{shape} (n, 2, H, W of images)"
        raise ValueError(f"flow must have shape {expected}; got {v.describe(flow)}.")


def flow_transform(images, flow):
    """``images`` (n, C, H, W) resampled at ``p + flow_p`` by bilinear interpolation (zero outside).

    ``flow[:, 0]`` moves along the rows (down), ``flow[:, 1]`` along the columns (right), in pixels.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(9.0).view(1, 1, 3, 3)
    >>> bool(torch.allclose(flow_transform(x, torch.zeros(1, 2, 3, 3)), x))  # zero flow: the identity
    True
    """
    v.check_tensor(images, "images", dim=4)
    n, _, height, width = images.shape
    _check_flow(flow, (n, 2, height, width))
    rows = torch.arange(height, dtype=images.dtype, device=images.device).view(1, height, 1)
    cols = torch.arange(width, dtype=images.dtype, device=images.device).view(1, 1, width)
    y = (rows + flow[:, 0]) * (2 / max(height - 1, 1)) - 1
    x = (cols + flow[:, 1]) * (2 / max(width - 1, 1)) - 1
    return grid_sample(images, torch.stack([x, y], dim=-1), mode="bilinear", padding_mode="zeros",
                       align_corners=True)


def flow_loss(flow):
    """``L_flow`` per row: the flow's total variation over the four diagonal neighbours (zero padding).

    Examples
    --------
    >>> import torch
    >>> round(float(flow_loss(torch.zeros(1, 2, 3, 3))[0]), 6)  # 4 * H * W * sqrt(1e-8)
    0.0036
    """
    _check_flow(flow)
    padded = pad(flow, (1, 1, 1, 1))
    height, width = flow.shape[2:]
    total = 0.0
    for dr in (-1, 1):
        for dc in (-1, 1):
            neighbour = padded[:, :, 1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]
            total = total + torch.sqrt(((flow - neighbour) ** 2).sum(dim=1) + FLOW_EPS).flatten(1).sum(dim=1)
    return total


def stadv_tensor(logits, images, targets, *, tau, kappa, max_iter):
    """stAdv's core on a batch of images (n, C, H, W): the transformed images (detached).

    Examples
    --------
    >>> import torch
    >>> images = torch.linspace(1.0, 0.0, 4).repeat(4, 1)[None, None]  # a 4 x 4 ramp, bright on the left
    >>> column_2 = torch.zeros(16)
    >>> column_2[[2, 6, 10, 14]] = 1.0
    >>> logits = lambda x: torch.stack([torch.full((len(x),), 2.0), x.flatten(1) @ column_2], 1)
    >>> logits(images).argmax(1).tolist()
    [0]
    >>> x = stadv_tensor(logits, images, torch.tensor([1]), tau=0.05, kappa=0.1, max_iter=50)
    >>> logits(x).argmax(1).tolist()  # brighter pixels flowed into column 2
    [1]
    """
    check_core_batch(images, targets, x_name="images", labels_name="targets")
    flow = torch.zeros(len(images), 2, *images.shape[2:], dtype=images.dtype, device=images.device,
                       requires_grad=True)
    optimizer = torch.optim.LBFGS([flow], lr=1, max_iter=max_iter, line_search_fn="strong_wolfe")
    best = images.clone()

    def objective():
        optimizer.zero_grad()
        z = logits(flow_transform(images, flow))
        z_t = z.gather(1, targets[:, None]).squeeze(1)
        others = z.scatter(1, targets[:, None], float("-inf")).max(dim=1).values
        loss = (torch.clamp(others - z_t, min=-kappa) + tau * flow_loss(flow)).sum()
        loss.backward()
        with torch.no_grad():
            reached = z.argmax(1) == targets
            best[reached] = flow_transform(images, flow)[reached]
        return loss

    optimizer.step(objective)
    return best.detach()


def stadv(model, X, y, *, targets=None, input_shape=None, tau=0.05, kappa=0.0, max_iter=200, random_state=None,
          clip=(0.0, 1.0), batch_size=100):
    """Spatially transformed adversarial examples (Xiao et al., 2018), targeted.

    Parameters
    ----------
    model, X, y, clip, batch_size
        As in ``pu_detect.attacks.fgsm``.
    targets : array-like of shape (n_samples,) or None, default=None
        The class each row is pushed to; ``None``: a random class other than ``y``.
    input_shape : tuple (C, H, W) or None, default=None
        How rows are images; ``None``: the classifier's ``input_shape``.
    tau : float >= 0, default=0.05
        Weight of the flow's smoothness.
    kappa : float >= 0, default=0.0
        Confidence of the margin loss.
    max_iter : int, default=200
        L-BFGS iterations per batch.
    random_state : int, numpy generator or None, default=None
        Seed of the random targets.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32
        Rows that never reached their target are returned unchanged.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pu_detect import RCEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(loss="ce", hidden_dims=(32,), epochs=10, random_state=0).fit(X / 16, y)
    >>> stadv(clf, X[:4] / 16, y[:4], input_shape=(1, 8, 8), max_iter=20, random_state=0).shape
    (4, 64)
    """
    target, X, clip, batch_size = prepare(model, X, clip, batch_size)
    shape = image_shape(input_shape, model, X.shape[1])
    tau = v.check_float(tau, "tau", 0.0, np.inf, low_inclusive=True)
    kappa = v.check_float(kappa, "kappa", 0.0, np.inf, low_inclusive=True)
    max_iter = v.check_int(max_iter, "max_iter")
    labels = target.class_index(y, len(X))
    goal = target_classes(target, X, targets, labels, random_state)

    def attack(x, t):
        images = x.view(len(x), *shape)
        adversarial = stadv_tensor(lambda im: target.logits(im.flatten(1)), images, t, tau=tau, kappa=kappa,
                                   max_iter=max_iter)
        return torch.clamp(adversarial.flatten(1), *clip)

    return in_batches(attack, X, goal, batch_size)
