"""Building networks without touching torch's global random state."""

import math

import torch
from torch import nn

from ..utils.validation import check_device, check_generator, check_module, describe


def init_parameters(module, generator):
    """Initialise every parameter and buffer as torch would, from ``generator``.

    Linear and conv layers get torch's default (Kaiming-uniform weights with
    ``a = sqrt(5)``, uniform biases in ``+-1/sqrt(fan_in)``); normalisation
    layers their ones and zeros (as does any layer marked
    ``deterministic_init``, with its own ``reset_parameters``); a layer with fixed buffers (such as the
    Max-Mahalanobis centres) recomputes them in its ``reset_buffers()``.

    Examples
    --------
    >>> import torch
    >>> a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    >>> a = init_parameters(a, torch.Generator().manual_seed(0))  # returns the module
    >>> b = init_parameters(b, torch.Generator().manual_seed(0))
    >>> bool(torch.equal(a.weight, b.weight))  # the same generator seed, the same weights
    True
    """
    check_module(module, "module")
    check_generator(generator)
    for layer in module.modules():
        if callable(getattr(layer, "reset_buffers", None)):
            layer.reset_buffers()
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                bound = 1.0 / math.sqrt(layer.weight[0].numel())
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, nn.modules.batchnorm._BatchNorm) or getattr(layer, "deterministic_init", False):
            layer.reset_parameters()
        elif any(True for _ in layer.parameters(recurse=False)):
            raise TypeError(f"init_parameters does not know how to initialise {type(layer).__name__}")
    return module


#: The largest network ``build`` makes (2**31 float32 values are 8 GiB before any gradient).
MAX_PARAMETERS = 2**31


def build(factory, generator, device="cpu"):
    """Build ``factory()`` without touching torch's global RNG, then initialise it.

    Examples
    --------
    >>> import torch
    >>> from pu_detect.networks import MLPAutoencoder
    >>> g = torch.Generator().manual_seed(0)
    >>> net = build(lambda: MLPAutoencoder(4, (8,), 2), g)
    >>> next(net.parameters()).device.type
    'cpu'
    """
    if not callable(factory):
        raise TypeError(f"factory must be a callable that returns a torch.nn.Module; got {describe(factory)}.")
    check_generator(generator)
    device = check_device(device)
    with torch.device("meta"):
        module = factory()
    check_module(module, "factory()")
    n_parameters = sum(p.numel() for p in module.parameters())
    if n_parameters > MAX_PARAMETERS:
        raise ValueError(f"The network would have {n_parameters:,} parameters, more than {MAX_PARAMETERS:,}: "
                         "lower hidden_dims, latent_dim or the input size.")
    module = module.to_empty(device=device)
    # Initialise on the CPU generator, then move: generators are per device.
    if torch.device(device).type != "cpu":
        module = module.to("cpu")
    init_parameters(module, generator)
    return module.to(device)
