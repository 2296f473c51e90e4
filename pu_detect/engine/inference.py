"""Batched no-grad inference: scores in float64, independent of what else is scored."""

import copy

import numpy as np
import torch

from ..utils import validation as v

#: Values per row-batch of any one layer's output at inference (64 Ki values:
#: 512 KiB in float64). Batches that small stay in the CPU cache: scoring
#: 1,000,000 x 10 rows with a 64-unit autoencoder took 0.78 s in 1,024-row
#: batches and 1.78 s in 65,536-row ones (float64, one thread), where fresh
#: 32 MB activations cost page faults on every call.
ACTIVATION_BUDGET = 2**16
#: Fewest rows per inference batch, so that wide (convolutional) networks
#: still score in batches large enough to amortise per-call overhead.
MIN_INFERENCE_ROWS = 64



def _check_array(X):
    if not isinstance(X, np.ndarray) or X.ndim < 1:
        raise TypeError(f"X must be a numpy array of rows; got {v.describe(X)}.")


def as_tensor(X, device="cpu", dtype=torch.float32):
    """A tensor of ``X`` on ``device``, sharing memory where it can (copied if read-only).

    Examples
    --------
    >>> import numpy as np
    >>> as_tensor(np.arange(6.0).reshape(2, 3)).dtype
    torch.float32
    """
    _check_array(X)
    if not X.flags.writeable:
        X = X.copy()
    return torch.from_numpy(np.ascontiguousarray(X)).to(device, dtype)


def widest_activation(module, n_features, device="cpu", dtype=torch.float32):
    """The most values per row that ``module`` or any of its layers outputs (input included)."""
    widths = [n_features]

    def record(layer, inputs, output):
        if isinstance(output, torch.Tensor) and output.dim() > 0:
            widths.append(output[0].numel())

    hooks = [layer.register_forward_hook(record) for layer in module.modules()]
    try:
        with torch.inference_mode():
            module(torch.zeros(2, n_features, device=device, dtype=dtype))
    finally:
        for hook in hooks:
            hook.remove()
    return max(widths)


def inference_batch_size(module, n_features, device="cpu", dtype=torch.float32):
    """Rows per inference batch: the widest layer output stays within ``ACTIVATION_BUDGET``.

    Examples
    --------
    >>> inference_batch_size(torch.nn.Linear(4, 1024), 4)  # 2**16 values per batch / 1,024 per row
    64
    """
    v.check_module(module, "module")
    v.check_int(n_features, "n_features")
    width = widest_activation(module, n_features, device, dtype)
    return max(MIN_INFERENCE_ROWS, ACTIVATION_BUDGET // width)


def predict_batched(function, X, device="cpu", dtype=torch.float32, batch_size=1024):
    """Apply ``function`` to rows of ``X`` in no-grad batches of ``dtype``.

    Returns a float64 numpy array of the concatenated per-row outputs. At most
    ``batch_size`` rows' activations are alive at once, and the result does
    not depend on ``batch_size`` (networks run in eval mode).

    Examples
    --------
    >>> import numpy as np
    >>> predict_batched(lambda x: x.sum(1), np.ones((5, 3)), batch_size=2)
    array([3., 3., 3., 3., 3.])
    """
    _check_callable(function, "function")
    _check_array(X)
    v.check_int(batch_size, "batch_size")
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            batch = as_tensor(X[start : start + batch_size], device, dtype)
            outputs.append(function(batch).to("cpu", torch.float64).numpy())
    return np.concatenate(outputs)


def _check_callable(function, name):
    if not callable(function):
        raise TypeError(f"{name} must be a callable; got {v.describe(function)}.")


def module_device(module):
    """The device of the module's first parameter or buffer (the CPU for a module with neither)."""
    tensor = next(module.parameters(), None)
    if tensor is None:
        tensor = next(module.buffers(), None)
    return torch.device("cpu") if tensor is None else tensor.device


def predict_float64(module, function, X, *, n_features=None, samples_per_row=1):
    """``function(network, batch)`` over the rows of ``X``, on a float64 copy of ``module``.

    float32 matrix kernels give a row results that differ (at the 1e-6 level)
    with the number of rows computed alongside it; in float64 on the copy a
    row's output does not depend on what else is scored with it. Batches
    follow ``inference_batch_size`` of the network's own input width
    (``n_features``, default ``X``'s: pass it when ``X`` is not what the
    network's forward takes, such as latent codes), divided by
    ``samples_per_row`` when ``function`` runs the network that many times
    per row.

    Examples
    --------
    >>> import numpy as np
    >>> net = torch.nn.Linear(3, 2)
    >>> out = predict_float64(net, lambda module, x: module(x), np.ones((4, 3), np.float32))
    >>> out.dtype, out.shape, next(net.parameters()).dtype  # the module itself stays float32
    (dtype('float64'), (4, 2), torch.float32)
    """
    v.check_module(module, "module")
    _check_callable(function, "function")
    _check_array(X)
    samples_per_row = v.check_int(samples_per_row, "samples_per_row")
    if X.ndim < 2 and n_features is None:
        raise ValueError(f"X must have 2 or more dimensions (rows of features) unless n_features is given; got {v.describe(X)}.")
    network = copy.deepcopy(module).double().eval()
    device = module_device(network)
    width = X.shape[1] if n_features is None else n_features
    batch_size = max(1, inference_batch_size(network, width, device, torch.float64) // samples_per_row)
    return predict_batched(lambda batch: function(network, batch), X, device, torch.float64, batch_size)
