"""Layer stacks shared by the networks: MLPs and 3x3 convolutions, plain or bias-free."""

from torch import nn


def _activation(bias_free):
    # The bias-free (SVDD) networks follow Ruff et al.: LeakyReLU after BatchNorm without affine terms.
    return nn.LeakyReLU() if bias_free else nn.ReLU()


def mlp(dims, *, bias_free=False):
    """Linear layers through ``dims`` with an activation between them.

    ``bias_free=True`` gives the hypersphere networks of Deep SVDD: no biases,
    BatchNorm without affine parameters, no bounded activation.

    Examples
    --------
    >>> mlp((4, 8, 2))
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
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
