"""A small GAN over flat rows, and a classifier trained beside one (the joint confidence loss)."""

import torch
from torch import nn

from ..utils.validation import check_module, describe
from .layers import check_sizes, mlp


class RowGAN(nn.Module):
    """MLP generator ``noise_dim -> hidden_dims -> n_features`` and discriminator back to one logit.

    ``output_range=(low, high)`` puts the generator's rows in that box (a
    scaled sigmoid, for images in [0, 1]); ``None`` leaves them unbounded.

    Examples
    --------
    >>> import torch
    >>> gan = RowGAN(6, 4, (16,), output_range=(0.0, 1.0))
    >>> rows = gan.generate(torch.zeros(3, 4))
    >>> rows.shape, bool(rows.min() >= 0), gan.discriminator(rows).shape
    (torch.Size([3, 6]), True, torch.Size([3]))
    """

    def __init__(self, n_features, noise_dim, hidden_dims, output_range=None):
        super().__init__()
        n_features, noise_dim, hidden_dims = check_sizes(n_features=n_features, noise_dim=noise_dim,
                                                         hidden_dims=hidden_dims)
        self.noise_dim = noise_dim
        self.output_range = None if output_range is None else tuple(float(b) for b in output_range)
        self.generator = mlp((noise_dim, *hidden_dims, n_features))
        self.critic = mlp((n_features, *hidden_dims[::-1], 1))

    def generate(self, noise):
        rows = self.generator(noise)
        if self.output_range is None:
            return rows
        low, high = self.output_range
        return low + (high - low) * torch.sigmoid(rows)

    def discriminator(self, rows):
        return self.critic(rows).squeeze(-1)

    def frozen_discriminator(self, rows):
        """The discriminator with its parameters cut from the graph (the generator's loss flows
        through it to the generator alone)."""
        parameters = {name: p.detach() for name, p in self.critic.named_parameters()}
        return torch.func.functional_call(self.critic, parameters, (rows,)).squeeze(-1)


class ClassifierWithGAN(nn.Module):
    """A classifier (``features`` then ``head``) trained beside a ``RowGAN``; ``forward`` is the classifier's.

    Examples
    --------
    >>> import torch
    >>> from pu_detect.networks import Classifier
    >>> joint = ClassifierWithGAN(Classifier(6, 3, (8,)), RowGAN(6, 4, (16,)))
    >>> joint(torch.zeros(2, 6)).shape, joint.gan.generate(torch.zeros(2, 4)).shape
    (torch.Size([2, 3]), torch.Size([2, 6]))
    """

    def __init__(self, classifier, gan):
        super().__init__()
        for name, value in (("classifier", classifier), ("gan", gan)):
            check_module(value, name)
        if not all(isinstance(getattr(classifier, part, None), nn.Module) for part in ("features", "head")):
            raise TypeError(f"classifier must be a network with features and head modules (as Classifier); "
                            f"got {describe(classifier)}.")
        if not isinstance(gan, RowGAN):
            raise TypeError(f"gan must be a RowGAN; got {describe(gan)}.")
        self.features, self.head = classifier.features, classifier.head
        self.gan = gan

    def forward(self, x):
        return self.head(self.features(x))
