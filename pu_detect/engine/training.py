"""The one training loop of pu_detect.

Training data stay as tensors in memory, in named *streams*. Each epoch
shuffles the first stream once (one gather) and takes contiguous slices of it
as batches; each step also takes a batch from every other stream's own
reshuffled cycle. The anomaly detectors train on ``{"unlabeled": ...,
"anomalies": ...}``, so every step sees both terms of a semi-supervised loss
even when labeled anomalies are under 1% of the rows; a classifier trains on
one stream of ``(features, targets)``. All randomness comes from a local
``torch.Generator``, which the objective also receives (a VAE samples inside
its loss); torch's global RNG is never read or advanced.
"""

import contextlib
import copy
import sys
import time

import numpy as np
import torch
from tqdm.auto import tqdm

from .optim import make_optimizer


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

    Examples
    --------
    >>> import torch
    >>> with subnormals_as_zero():
    ...     small = torch.tensor([1e-39]) * 1.0
    >>> float(torch.tensor([1e-39]) * 1.0) > 0  # the setting is restored after the block
    True
    """
    was_flushing = flushing_subnormals()
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported and not was_flushing:
            torch.set_flush_denormal(False)


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
    streams,
    *,
    epochs,
    batch_size,
    lr,
    weight_decay,
    generator,
    optimizer="adam",
    momentum=0.9,
    lr_schedule=None,
    validation_fraction=None,
    n_iter_no_change=10,
    batch_transform=None,
    callbacks=(),
    flush_subnormals=True,
    verbose=0,
    description="training",
):
    """Train ``module`` by minimising ``objective`` over batches of named data streams.

    Parameters
    ----------
    module : torch.nn.Module
    objective : callable ``(module, batches, generator) -> scalar Tensor``
        ``batches`` maps each stream's name to its batch (a tensor, or a
        tuple of tensors sliced together); a stream with no rows gives its
        empty tensor. ``generator`` is the loop's ``torch.Generator``.
    streams : dict of str to Tensor or tuple of Tensor
        All training rows, on the training device. The first stream defines
        an epoch: one pass over it in batches of ``batch_size``; each other
        stream gives ``min(batch_size, its rows)`` rows per step from its own
        reshuffled cycle.
    epochs, batch_size : int
    lr, weight_decay : float
        The step size and L2 penalty.
    generator : torch.Generator
        The only source of randomness.
    optimizer : {"adam", "sgd"}, default="adam"
        ``FlatAdam``, or SGD with ``momentum``.
    momentum : float, default=0.9
        SGD's momentum (unused by Adam).
    lr_schedule : callable ``epoch -> factor`` or None
        The step size of epoch ``e`` (from 0) is ``lr * lr_schedule(e)``
        (for example ``step_decay``).
    validation_fraction : float in (0, 1) or None
        Hold out this fraction of every stream, evaluate the objective on the
        held-out rows after every epoch, stop after ``n_iter_no_change``
        epochs without improvement and restore the best epoch's weights.
    batch_transform : callable ``(module, batches, generator) -> batches`` or None
        Applied to every training batch before the objective: adversarial
        training replaces the inputs by their attacked versions here.
    callbacks : sequence of callables ``(epoch, history, module) -> bool``
        Called after every epoch; a true return value stops training.
    flush_subnormals : bool, default=True
        Train inside ``subnormals_as_zero`` (the thread's setting is
        restored when training returns or raises).
    verbose : int, default=0
        ``>= 1``: a tqdm progress bar while training and a one-line summary
        (epochs, final loss, seconds) on standard error when it ends.

    Returns
    -------
    history : dict
        ``"loss"``: mean training objective per epoch; with validation also
        ``"val_loss"`` and ``"best_epoch"``.

    Raises
    ------
    FloatingPointError
        When the objective becomes NaN or infinite.

    Examples
    --------
    >>> import torch
    >>> X = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    >>> target = X @ torch.tensor([1.0, -2.0])
    >>> net = torch.nn.Linear(2, 1)
    >>> def objective(module, batches, generator):
    ...     rows, t = batches["rows"]
    ...     return ((module(rows).squeeze(1) - t) ** 2).mean()
    >>> history = train(net, objective, {"rows": (X, target)}, epochs=60, batch_size=16, lr=0.05,
    ...                 weight_decay=0.0, generator=torch.Generator().manual_seed(0))
    >>> len(history["loss"]), history["loss"][-1] < 0.01 < history["loss"][0]
    (60, True)
    """
    names = list(streams)
    first, others = names[0], names[1:]
    if validation_fraction:
        if _n_rows(streams[first]) < 2:
            raise ValueError(f"validation_fraction={validation_fraction} needs at least 2 training rows to "
                             f"hold one out; got {_n_rows(streams[first])}.")
        splits = {name: _split_validation(streams[name], validation_fraction, generator) for name in names}
        streams = {name: train_part for name, (train_part, _) in splits.items()}
        validation = {name: valid_part for name, (_, valid_part) in splits.items()}
    _check_batch_normalisation(module, streams[first], batch_size, validation_fraction)
    batches = {name: _CyclicBatches(streams[name], batch_size, generator) for name in names}
    device = _device(streams[first])
    parameters = [p for p in module.parameters() if p.requires_grad]
    steps_optimizer = make_optimizer(optimizer, parameters, lr=lr, weight_decay=weight_decay, momentum=momentum)
    history = {"loss": []}
    if validation_fraction:
        history.update(val_loss=[], best_epoch=0)
        best_loss, best_state = np.inf, None
    started = time.perf_counter()
    progress = tqdm(range(epochs), desc=description, disable=not verbose, leave=False)
    flushing = subnormals_as_zero() if flush_subnormals else contextlib.nullcontext()
    try:
        with flushing:
            for epoch in progress:
                if lr_schedule is not None:
                    steps_optimizer.set_lr(lr * lr_schedule(epoch))
                module.train()
                total, steps = torch.zeros((), device=device), 0
                for batch in batches[first].epoch():
                    batch = {first: batch, **{name: batches[name].next() for name in others}}
                    if batch_transform is not None:
                        batch = batch_transform(module, batch, generator)
                    loss = objective(module, batch, generator)
                    steps_optimizer.zero_grad()
                    loss.backward()
                    steps_optimizer.step()
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
                stop = False
                if validation_fraction:
                    module.eval()
                    with torch.no_grad():
                        val_loss = objective(module, validation, generator).item()
                    if not np.isfinite(val_loss):
                        raise FloatingPointError(
                            f"The validation loss became {val_loss} at epoch {epoch + 1}. Scale the "
                            f"features or lower lr (now {lr}), or fit without validation_fraction.")
                    history["val_loss"].append(val_loss)
                    postfix["val_loss"] = f"{val_loss:.4g}"
                    if val_loss < best_loss:
                        best_loss, history["best_epoch"] = val_loss, epoch
                        best_state = copy.deepcopy(module.state_dict())
                    elif epoch - history["best_epoch"] >= n_iter_no_change:
                        stop = True
                progress.set_postfix(postfix, refresh=False)
                if any([bool(callback(epoch, history, module)) for callback in callbacks]) or stop:
                    break
    finally:
        steps_optimizer.release()
        progress.close()
    if validation_fraction and best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    if verbose:
        print(_summary(description, history, time.perf_counter() - started), file=sys.stderr)
    return history


def _check_batch_normalisation(module, rows, batch_size, validation_fraction):
    """Refuse, naming the parameter, what would give batch normalisation a batch of one row."""
    if not any(isinstance(layer, torch.nn.modules.batchnorm._BatchNorm) for layer in module.modules()):
        return
    if batch_size < 2:
        raise ValueError(f"batch_size must be an integer >= 2 for a network with batch normalisation; "
                         f"got {batch_size}.")
    if _n_rows(rows) < 2:
        held_out = f" after validation_fraction={validation_fraction} held rows out" if validation_fraction else ""
        raise ValueError(f"A network with batch normalisation needs at least 2 training rows{held_out}; "
                         f"got {_n_rows(rows)}.")


def _summary(description, history, seconds):
    """``"PUAutoencoder training: 20 epochs, loss 0.1234, 3.2 s"`` (with validation: its best)."""
    line = f"{description}: {len(history['loss'])} epochs"
    if history["loss"]:
        line += f", loss {history['loss'][-1]:.4g}"
    if history.get("val_loss"):
        best = history["best_epoch"]
        line += f", best val_loss {history['val_loss'][best]:.4g} at epoch {best + 1}"
    return line + f", {seconds:.1f} s"
