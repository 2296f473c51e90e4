"""Functions applied to the logits before softmax: none, tanh, or a bounded function with a finite optimum.

Kanai et al. (IJCNN 2021, arXiv 2010.02558) show that bounding the logits
with tanh does not make them small where it matters: tanh reaches its bound
only at infinity, so training drives the pre-logits (tanh's inputs) to large
norms. Their remedy is a bounded function whose largest value is reached at a
finite input. Its exact formula could not be read here, so ``"bounded"`` is
this library's own function with that property:

``f(z) = z / (1 + (z / (2 b))^2)``,

odd, of slope 1 at 0, bounded by ``b`` in absolute value, and reaching
``+-b`` at ``z = +-2 b`` (beyond which it decreases again), so the logit
margin is largest at pre-logits of size ``2 b``.
"""

import torch
from torch import nn

HEADS = ("linear", "tanh", "bounded")


def bounded_logit(z, bound=1.0):
    """``z / (1 + (z / (2 bound))^2)``: bounded by ``bound``, largest at ``z = 2 bound``.

    Examples
    --------
    >>> import torch
    >>> bounded_logit(torch.tensor([0.0, 2.0, 4.0, -2.0]))
    tensor([ 0.0000,  1.0000,  0.8000, -1.0000])
    """
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
        self.kind, self.bound = kind, float(bound)

    def forward(self, z):
        if self.kind == "tanh":
            return self.bound * torch.tanh(z / self.bound)
        return bounded_logit(z, self.bound)

    def extra_repr(self):
        return f"kind={self.kind!r}, bound={self.bound}"


def with_head(network, head, bound=1.0):
    """``network`` (a classifier with ``features`` and a linear ``head``) with ``head`` after its logits.

    ``"linear"`` returns it unchanged; otherwise its ``head`` becomes
    ``Sequential(linear head, LogitBound(head, bound))``, so ``head[0]`` gives
    the pre-logits and ``features`` is unchanged.
    """
    if head != "linear":
        network.head = nn.Sequential(network.head, LogitBound(head, bound))
    return network
