"""Networks: MLP and convolutional autoencoders and classifiers over flat rows.

Every network takes and returns flat rows of ``n_features`` values, so the
estimators, the training loop and the losses never care whether a row is a
table row or an image; a conv encoder views rows as ``input_shape`` in its
first layer and a conv decoder flattens its output.

Networks are built with :func:`build` on the ``meta`` device and initialised
from a local ``torch.Generator``, so that building one never reads or
advances torch's global random state.
"""

import math

import torch
from torch import nn


def _activation(bias_free):
    # The bias-free (SVDD) networks follow Ruff et al.: LeakyReLU after BatchNorm without affine terms.
    return nn.LeakyReLU() if bias_free else nn.ReLU()


def mlp(dims, *, bias_free=False):
    """Linear layers through ``dims`` with an activation between them.

    ``bias_free=True`` gives the hypersphere networks of Deep SVDD: no biases,
    BatchNorm without affine parameters, no bounded activation.
    """
    layers = []
    for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(d_in, d_out, bias=not bias_free))
        if i < len(dims) - 2:
            if bias_free:
                layers.append(nn.BatchNorm1d(d_out, affine=False))
            layers.append(_activation(bias_free))
    return nn.Sequential(*layers)


def _conv(c_in, c_out, bias_free):
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=not bias_free)]
    if bias_free:
        layers.append(nn.BatchNorm2d(c_out, affine=False))
    return layers


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
    :class:`MLPAutoencoder`.

    Examples
    --------
    >>> import torch
    >>> net = ConvAutoencoder((1, 28, 28), (8, 16), 10)
    >>> net(torch.zeros(2, 784)).shape
    torch.Size([2, 784])
    """

    def __init__(self, input_shape, hidden_dims, latent_dim, bias_free=False):
        super().__init__()
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
        encoder += [nn.Flatten(), nn.Linear(hidden_dims[-1] * h * w, latent_dim, bias=not bias_free)]
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
    """The MLP autoencoder, or the conv one when ``input_shape`` is given."""
    if input_shape is None:
        return MLPAutoencoder(n_features, hidden_dims, latent_dim, bias_free)
    return ConvAutoencoder(input_shape, hidden_dims, latent_dim, bias_free)


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


def init_parameters(module, generator):
    """Initialise every parameter and buffer as torch would, from ``generator``.

    Linear and conv layers get torch's default (Kaiming-uniform weights with
    ``a = sqrt(5)``, uniform biases in ``+-1/sqrt(fan_in)``); normalisation
    layers their ones and zeros.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                bound = 1.0 / math.sqrt(layer.weight[0].numel())
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.reset_parameters()
        elif any(True for _ in layer.parameters(recurse=False)):
            raise TypeError(f"init_parameters does not know how to initialise {type(layer).__name__}")
    return module


def build(factory, generator, device="cpu"):
    """Build ``factory()`` without touching torch's global RNG, then initialise it.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> net = build(lambda: MLPAutoencoder(4, (8,), 2), g)
    >>> next(net.parameters()).device.type
    'cpu'
    """
    with torch.device("meta"):
        module = factory()
    module = module.to_empty(device=device)
    # Initialise on the CPU generator, then move: generators are per device.
    if torch.device(device).type != "cpu":
        module = module.to("cpu")
    init_parameters(module, generator)
    return module.to(device)
