"""Classifiers over flat rows whose penultimate layer is exposed."""

import math

import torch
from torch import nn

from ..utils.validation import check_module, describe
from .layers import _conv, check_sizes


class Classifier(nn.Module):
    """A classifier whose penultimate layer is exposed: ``head(features(x))`` = logits.

    MLP (``input_shape=None``): linear layers with ReLU through
    ``hidden_dims``. Conv (``input_shape=(C, H, W)``): a 3x3 convolution,
    ReLU and 2x2 max-pooling per ``hidden_dims[:-1]`` channel count, then a
    dense ReLU layer of ``hidden_dims[-1]`` units. The features are the last
    hidden layer's activations (K-density's space); the head is linear.

    Examples
    --------
    >>> import torch
    >>> net = Classifier(784, 10, (8, 16, 32), input_shape=(1, 28, 28))
    >>> net(torch.zeros(2, 784)).shape, net.features(torch.zeros(2, 784)).shape
    (torch.Size([2, 10]), torch.Size([2, 32]))
    """

    def __init__(self, n_features, n_classes, hidden_dims, input_shape=None):
        super().__init__()
        n_features, n_classes, hidden_dims, input_shape = check_sizes(
            n_features=n_features, n_classes=n_classes, hidden_dims=hidden_dims, input_shape=input_shape)
        if input_shape is None:
            layers = []
            for d_in, d_out in zip((n_features, *hidden_dims[:-1]), hidden_dims):
                layers += [nn.Linear(d_in, d_out), nn.ReLU()]
        else:
            channels, height, width = input_shape
            layers = [nn.Unflatten(1, tuple(input_shape))]
            for c_in, c_out in zip((channels, *hidden_dims[:-2]), hidden_dims[:-1]):
                layers += [*_conv(c_in, c_out, False), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
                height, width = math.ceil(height / 2), math.ceil(width / 2)
            flat = (hidden_dims[-2] if len(hidden_dims) > 1 else channels) * height * width
            layers += [nn.Flatten(), nn.Linear(flat, hidden_dims[-1]), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(hidden_dims[-1], n_classes)

    def forward(self, x):
        return self.head(self.features(x))


class Ensemble(nn.Module):
    """Member classifiers whose averaged softmax is the prediction: ``forward`` returns its log.

    ``member_logits(x)`` gives each member's logits (for an ensemble loss);
    ``softmax(forward(x))`` is the mean of the members' softmax outputs.

    Examples
    --------
    >>> import torch
    >>> net = Ensemble([Classifier(4, 3, (8,)), Classifier(4, 3, (8,))])
    >>> bool(torch.allclose(torch.softmax(net(torch.zeros(2, 4)), 1).sum(1), torch.ones(2)))
    True
    """

    def __init__(self, members):
        super().__init__()
        if isinstance(members, nn.Module) or not hasattr(members, "__iter__"):
            raise TypeError(f"members must be a list of torch.nn.Module classifiers; got {describe(members)}.")
        members = list(members)
        if not members:
            raise ValueError("members must hold at least one classifier; got an empty list.")
        for i, member in enumerate(members):
            check_module(member, f"members[{i}]")
        self.members = nn.ModuleList(members)

    def member_logits(self, x):
        return [member(x) for member in self.members]

    def forward(self, x):
        log_p = torch.stack([torch.log_softmax(z, dim=1) for z in self.member_logits(x)])
        return torch.logsumexp(log_p, dim=0) - math.log(len(self.members))
