"""The one training loop of pu_detect, and batched no-grad inference.

Training data stay as tensors in memory; each epoch shuffles the unlabeled
rows once (one gather) and takes contiguous slices as batches. Each step also
takes a batch of labeled anomalies from their own reshuffled cycle, so every
step sees both terms of a semi-supervised loss even when labeled anomalies
are under 1% of the rows. All randomness comes from a local
``torch.Generator``; torch's global RNG is never read or advanced.
"""

import contextlib
import copy

import numpy as np
import torch
from tqdm.auto import tqdm

#: Values per row-batch of any one layer's output at inference (64 Ki values:
#: 512 KiB in float64). Batches that small stay in the CPU cache: scoring
#: 1,000,000 x 10 rows with a 64-unit autoencoder took 0.78 s in 1,024-row
#: batches and 1.78 s in 65,536-row ones (float64, one thread), where fresh
#: 32 MB activations cost page faults on every call.
ACTIVATION_BUDGET = 2**16
#: Fewest rows per inference batch, so that wide (convolutional) networks
#: still score in batches large enough to amortise per-call overhead.
MIN_INFERENCE_ROWS = 64


def _rows(data, index):
    """Rows ``index`` of a tensor, or of each tensor of a tuple (features, targets, ...)."""
    return tuple(t[index] for t in data) if isinstance(data, tuple) else data[index]


def _n_rows(data):
    return len(data[0]) if isinstance(data, tuple) else len(data)


def _device(data):
    return data[0].device if isinstance(data, tuple) else data.device


class _CyclicBatches:
    """Contiguous slices of a reshuffled copy of ``data``; reshuffles when exhausted.

    ``data`` is a tensor or a tuple of tensors with the same number of rows
    (for example features and class labels), sliced together.
    """

    def __init__(self, data, batch_size, generator):
        self.data = data
        self.n_rows = _n_rows(data)
        self.batch_size = min(batch_size, self.n_rows)
        self.generator = generator
        self._position = self.n_rows  # forces a shuffle on first use

    def shuffle(self):
        order = torch.randperm(self.n_rows, generator=self.generator).to(_device(self.data))
        self._shuffled = _rows(self.data, order)
        self._position = 0

    def epoch(self):
        """Yield one pass of batches over a fresh shuffle.

        A trailing batch of a single row joins the batch before it, so that
        batch normalisation never sees a batch of one.
        """
        self.shuffle()
        n, size = self.n_rows, self.batch_size
        starts = list(range(0, n, size))
        if len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else n
            yield _rows(self._shuffled, slice(start, stop))

    def next(self):
        """The next batch of a never-ending cycle of shuffles."""
        if self.n_rows == 0:
            return self.data
        if self._position + self.batch_size > self.n_rows:
            self.shuffle()
        batch = _rows(self._shuffled, slice(self._position, self._position + self.batch_size))
        self._position += self.batch_size
        return batch


def flushing_subnormals():
    """Whether this thread's CPU flushes subnormal floats to zero now (``torch.set_flush_denormal``).

    torch has a setter and no getter, so this divides a normal float32 by 100
    and checks whether the subnormal result came back as zero.
    """
    return bool(torch.tensor(2e-38) / 100 == 0)


@contextlib.contextmanager
def subnormals_as_zero():
    """Flush subnormal floats to zero on this thread inside the block, then restore the setting.

    Weights and Adam moments that weight decay shrinks toward zero (a unit
    that no data reaches, a constant feature) pass through float32's
    subnormal range below 1.2e-38, where each arithmetic operation costs
    about a hundred times a normal one on x86 CPUs. On ADBench's shuttle set
    (34,367 training rows, one thread) 20 epochs of PUAutoencoder took 12.8
    to 17.6 s with subnormals and 6.8 to 9.4 s without. Only rounding below
    1.2e-38 changes, but training amplifies rounding, so a fit is no longer
    bit-identical to one made with subnormals kept (same seed, same data).
    The flag is the calling thread's (torch's own threads keep theirs), and
    where the CPU has no such mode (``torch.set_flush_denormal`` returns
    False) nothing changes.
    """
    was_flushing = flushing_subnormals()
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported and not was_flushing:
            torch.set_flush_denormal(False)


class FlatAdam:
    """Adam (L2 weight decay added to the gradient, as ``torch.optim.Adam``) over one flat buffer.

    The parameters become views into one contiguous vector and their
    gradients views into another, so a step is one call of torch's fused
    Adam kernel (the one behind ``torch.optim.Adam(fused=True)``) on four
    vectors however many layers the network has, and zeroing the gradients
    is one operation. On the small networks of this library a step of
    ``torch.optim.Adam`` (even ``fused=True``) spent most of its time in
    per-call Python overhead (about 0.5 ms of a 1.3 ms training step
    measured with cProfile); this step took 17 us where the same update as
    eight separate tensor operations took 56 us (2,321 parameters, one
    thread). :meth:`release` gives each parameter its own storage again.
    """

    def __init__(self, parameters, lr, weight_decay=0.0, betas=(0.9, 0.999), eps=1e-8):
        self.parameters = list(parameters)
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        first = self.parameters[0]
        size = sum(p.numel() for p in self.parameters)
        self.flat = torch.empty(size, device=first.device, dtype=first.dtype)
        self.grad = torch.zeros_like(self.flat)
        offset = 0
        for p in self.parameters:
            view = slice(offset, offset + p.numel())
            self.flat[view].copy_(p.detach().reshape(-1))
            p.data = self.flat[view].view_as(p)
            # Backward adds into an existing gradient in place, so these stay views.
            p.grad = self.grad[view].view_as(p)
            offset += p.numel()
        self.exp_avg = torch.zeros_like(self.flat)
        self.exp_avg_sq = torch.zeros_like(self.flat)
        # The fused kernel reads the step count from a float32 tensor on the parameters' device.
        self.steps = torch.zeros((), device=first.device, dtype=torch.float32)

    def zero_grad(self):
        self.grad.zero_()

    @torch.no_grad()
    def step(self):
        self.steps += 1
        beta1, beta2 = self.betas
        torch._fused_adam_(
            [self.flat], [self.grad], [self.exp_avg], [self.exp_avg_sq], [], [self.steps],
            lr=self.lr, beta1=beta1, beta2=beta2, weight_decay=self.weight_decay, eps=self.eps,
            amsgrad=False, maximize=False,
        )

    def release(self):
        """Give every parameter its own storage and drop the gradients."""
        for p in self.parameters:
            p.data = p.data.clone()
            p.grad = None


def _split_validation(data, fraction, generator):
    """Hold out ``fraction`` of the rows (at least one when there are two or more)."""
    n_rows = _n_rows(data)
    n_valid = int(round(fraction * n_rows))
    if n_rows >= 2:
        n_valid = min(max(n_valid, 1), n_rows - 1)
    else:
        n_valid = 0
    order = torch.randperm(n_rows, generator=generator).to(_device(data))
    return _rows(data, order[n_valid:]), _rows(data, order[:n_valid])


def train(
    module,
    objective,
    unlabeled,
    anomalies,
    *,
    epochs,
    batch_size,
    lr,
    weight_decay,
    generator,
    validation_fraction=None,
    n_iter_no_change=10,
    verbose=False,
    description="training",
):
    """Train ``module`` by minimising ``objective`` with Adam.

    Parameters
    ----------
    module : torch.nn.Module
    objective : callable ``(module, x_unlabeled, x_anomalies) -> scalar Tensor``
        ``x_anomalies`` has zero rows when there is no labeled anomaly.
    unlabeled, anomalies : Tensor or tuple of Tensor
        All unlabeled rows and all labeled anomalies, on the training device.
        A classifier passes ``(features, targets)`` as ``unlabeled`` and no
        anomaly rows; tuples are shuffled and sliced together.
    epochs, batch_size : int
        An epoch is one pass over the unlabeled rows in batches of
        ``batch_size``; each step also takes ``min(batch_size, n_anomalies)``
        labeled anomalies from their own cycle.
    lr, weight_decay : float
        Adam's step size and L2 penalty.
    generator : torch.Generator
        The only source of randomness.
    validation_fraction : float in (0, 1) or None
        Hold out this fraction of the unlabeled rows and of the labeled
        anomalies, evaluate the objective on them after every epoch, stop
        after ``n_iter_no_change`` epochs without improvement and restore the
        best epoch's weights.
    verbose : bool
        Show a tqdm progress bar.

    Returns
    -------
    history : dict
        ``"loss"``: mean training objective per epoch; with validation also
        ``"val_loss"`` and ``"best_epoch"``.

    Raises
    ------
    FloatingPointError
        When the objective becomes NaN or infinite.

    Notes
    -----
    Training runs inside :func:`subnormals_as_zero`, which restores the
    thread's subnormal-float setting when it returns or raises.
    """
    if validation_fraction:
        unlabeled, valid_unlabeled = _split_validation(unlabeled, validation_fraction, generator)
        anomalies, valid_anomalies = _split_validation(anomalies, validation_fraction, generator)
    unlabeled_batches = _CyclicBatches(unlabeled, batch_size, generator)
    anomaly_batches = _CyclicBatches(anomalies, batch_size, generator)
    parameters = [p for p in module.parameters() if p.requires_grad]
    optimizer = FlatAdam(parameters, lr=lr, weight_decay=weight_decay)
    history = {"loss": []}
    if validation_fraction:
        history.update(val_loss=[], best_epoch=0)
        best_loss, best_state = np.inf, None
    progress = tqdm(range(epochs), desc=description, disable=not verbose, leave=False)
    try:
        with subnormals_as_zero():
            for epoch in progress:
                module.train()
                total, steps = torch.zeros((), device=_device(unlabeled)), 0
                for x_unlabeled in unlabeled_batches.epoch():
                    loss = objective(module, x_unlabeled, anomaly_batches.next())
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.detach()
                    steps += 1
                epoch_loss = total.item() / max(steps, 1)
                if not np.isfinite(epoch_loss):
                    raise FloatingPointError(
                        f"The training loss became {epoch_loss} at epoch {epoch + 1}. Scale the "
                        "features (for example with sklearn's MinMaxScaler or StandardScaler) "
                        f"or lower lr (now {lr})."
                    )
                history["loss"].append(epoch_loss)
                postfix = {"loss": f"{epoch_loss:.4g}"}
                if validation_fraction:
                    module.eval()
                    with torch.no_grad():
                        val_loss = objective(module, valid_unlabeled, valid_anomalies).item()
                    history["val_loss"].append(val_loss)
                    postfix["val_loss"] = f"{val_loss:.4g}"
                    if val_loss < best_loss:
                        best_loss, history["best_epoch"] = val_loss, epoch
                        best_state = copy.deepcopy(module.state_dict())
                    elif epoch - history["best_epoch"] >= n_iter_no_change:
                        break
                progress.set_postfix(postfix, refresh=False)
    finally:
        optimizer.release()
    if validation_fraction and best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history


def as_tensor(X, device="cpu", dtype=torch.float32):
    """A tensor of ``X`` on ``device``, sharing memory where it can (copied if read-only)."""
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
    """Rows per inference batch: the widest layer output stays within :data:`ACTIVATION_BUDGET`."""
    width = widest_activation(module, n_features, device, dtype)
    return max(MIN_INFERENCE_ROWS, ACTIVATION_BUDGET // width)


def predict_batched(function, X, device="cpu", dtype=torch.float32, batch_size=1024):
    """Apply ``function`` to rows of ``X`` in no-grad batches of ``dtype``.

    Returns a float64 numpy array of the concatenated per-row outputs. At most
    ``batch_size`` rows' activations are alive at once, and the result does
    not depend on ``batch_size`` (networks run in eval mode).
    """
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            batch = as_tensor(X[start : start + batch_size], device, dtype)
            outputs.append(function(batch).to("cpu", torch.float64).numpy())
    return np.concatenate(outputs)


def predict_float64(module, function, X):
    """``function(network, batch)`` over the rows of ``X``, on a float64 copy of ``module``.

    float32 matrix kernels give a row results that differ (at the 1e-6 level)
    with the number of rows computed alongside it; in float64 on the copy a
    row's output does not depend on what else is scored with it. Batches
    follow :func:`inference_batch_size`.
    """
    network = copy.deepcopy(module).double().eval()
    device = next(network.parameters()).device
    batch_size = inference_batch_size(network, X.shape[1], device, torch.float64)
    return predict_batched(lambda batch: function(network, batch), X, device, torch.float64, batch_size)
