"""MLP and convolutional autoencoders over flat rows."""

import math

from torch import nn

from ..utils.validation import check_int_tuple
from .layers import _activation, _conv, check_sizes, mlp


class MLPAutoencoder(nn.Module):
    """Fully connected autoencoder ``n_features -> hidden_dims -> latent_dim`` and back.

    Parameters
    ----------
    n_features : int
    hidden_dims : tuple of int
        Widths of the encoder's hidden layers; the decoder mirrors them.
    latent_dim : int
        Width of the bottleneck.
    bias_free : bool
        No biases, BatchNorm without affine terms, LeakyReLU (for Deep SVDD,
        whose encoder must not be able to map everything to a constant).

    Examples
    --------
    >>> import torch
    >>> net = MLPAutoencoder(6, (16,), 3)
    >>> net(torch.zeros(4, 6)).shape
    torch.Size([4, 6])
    """

    def __init__(self, n_features, hidden_dims, latent_dim, bias_free=False):
        super().__init__()
        n_features, hidden_dims, latent_dim = check_sizes(n_features=n_features, hidden_dims=hidden_dims,
                                                          latent_dim=latent_dim)
        dims = (n_features, *hidden_dims, latent_dim)
        self.encoder = mlp(dims, bias_free=bias_free)
        self.decoder = mlp(dims[::-1], bias_free=bias_free)

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder for flat rows that are images of ``input_shape``.

    Each encoder stage is a 3x3 convolution with ``hidden_dims[i]`` channels,
    ReLU and 2x2 max-pooling; a linear layer maps to ``latent_dim``. The
    decoder mirrors it with nearest-neighbour upsampling back to each stage's
    exact size, so any height and width work. ``bias_free`` as in
    ``MLPAutoencoder``. ``encoder_outputs`` (default ``latent_dim``) widens
    the encoder's last layer alone: a VAE's encoder gives a mean and a
    log-variance per latent.

    Examples
    --------
    >>> import torch
    >>> net = ConvAutoencoder((1, 28, 28), (8, 16), 10)
    >>> net(torch.zeros(2, 784)).shape
    torch.Size([2, 784])
    """

    def __init__(self, input_shape, hidden_dims, latent_dim, bias_free=False, encoder_outputs=None):
        super().__init__()
        input_shape = check_int_tuple(input_shape, "input_shape", length=3)  # required here, not optional
        hidden_dims, latent_dim = check_sizes(hidden_dims=hidden_dims, latent_dim=latent_dim)
        self.input_shape = tuple(input_shape)
        channels, height, width = self.input_shape
        sizes = [(height, width)]
        encoder = [nn.Unflatten(1, self.input_shape)]  # encoder and decoder speak flat rows
        for c_in, c_out in zip((channels, *hidden_dims[:-1]), hidden_dims):
            encoder += [*_conv(c_in, c_out, bias_free), _activation(bias_free), nn.MaxPool2d(2, ceil_mode=True)]
            h, w = sizes[-1]
            sizes.append((math.ceil(h / 2), math.ceil(w / 2)))
        h, w = sizes[-1]
        self._code_shape = (hidden_dims[-1], h, w)
        code_width = latent_dim if encoder_outputs is None else encoder_outputs
        encoder += [nn.Flatten(), nn.Linear(hidden_dims[-1] * h * w, code_width, bias=not bias_free)]
        self.encoder = nn.Sequential(*encoder)

        decoder = [
            nn.Linear(latent_dim, hidden_dims[-1] * h * w, bias=not bias_free),
            _activation(bias_free),
            nn.Unflatten(1, self._code_shape),
        ]
        outs = (*hidden_dims[-2::-1], channels)
        for i, (c_in, c_out) in enumerate(zip(hidden_dims[::-1], outs)):
            decoder.append(nn.Upsample(size=sizes[-2 - i]))
            if i < len(outs) - 1:
                decoder += [*_conv(c_in, c_out, bias_free), _activation(bias_free)]
            else:  # the reconstruction: a plain convolution
                decoder.append(nn.Conv2d(c_in, c_out, 3, padding=1, bias=not bias_free))
        self.decoder = nn.Sequential(*decoder, nn.Flatten())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def autoencoder(n_features, hidden_dims, latent_dim, input_shape=None, bias_free=False):
    """The MLP autoencoder, or the conv one when ``input_shape`` is given.

    Examples
    --------
    >>> import torch
    >>> network = autoencoder(6, hidden_dims=(8,), latent_dim=2)
    >>> network(torch.zeros(3, 6)).shape, network.encoder(torch.zeros(3, 6)).shape
    (torch.Size([3, 6]), torch.Size([3, 2]))
    """
    if input_shape is None:
        return MLPAutoencoder(n_features, hidden_dims, latent_dim, bias_free)
    return ConvAutoencoder(input_shape, hidden_dims, latent_dim, bias_free)
