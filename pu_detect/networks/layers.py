"""Layer stacks shared by the networks: MLPs and 3x3 convolutions, plain or bias-free."""

from torch import nn

from ..utils.validation import check_int, check_int_tuple


def check_sizes(**sizes):
    """Check a network's size arguments by their names; return them in order.

    Names ending in ``dims`` or ``widths``: a sequence of integers >= 1 (may be
    empty); ``input_shape``: None or ``(C, H, W)``; any other: an integer >= 1.

    Examples
    --------
    >>> check_sizes(n_features=4, hidden_dims=[8])
    (4, (8,))
    >>> check_sizes(n_features=0)
    Traceback (most recent call last):
    ...
    ValueError: n_features must be an integer >= 1; got 0.
    """
    checked = []
    for name, value in sizes.items():
        if name.endswith(("dims", "widths")):
            checked.append(check_int_tuple(value, name))
        elif name == "input_shape":
            checked.append(None if value is None else check_int_tuple(value, name, length=3))
        else:
            checked.append(check_int(value, name))
    return tuple(checked)


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
    dims = check_int_tuple(dims, "dims")
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
