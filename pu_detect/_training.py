"""The one training loop of pu_detect, and batched no-grad inference.

Training data stay as tensors in memory; each epoch shuffles the unlabeled
rows once (one gather) and takes contiguous slices as batches. Each step also
takes a batch of labeled anomalies from their own reshuffled cycle, so every
step sees both terms of a semi-supervised loss even when labeled anomalies
are under 1% of the rows. All randomness comes from a local
``torch.Generator``; torch's global RNG is never read or advanced.
"""

import copy

import numpy as np
import torch
from tqdm.auto import tqdm

#: Rows per no-grad forward pass at inference: bounds activation memory
#: while keeping per-call overhead negligible.
INFERENCE_BATCH_SIZE = 65536


class _CyclicBatches:
    """Contiguous slices of a reshuffled copy of ``data``; reshuffles when exhausted."""

    def __init__(self, data, batch_size, generator):
        self.data = data
        self.batch_size = min(batch_size, len(data))
        self.generator = generator
        self._position = len(data)  # forces a shuffle on first use

    def shuffle(self):
        order = torch.randperm(len(self.data), generator=self.generator).to(self.data.device)
        self._shuffled = self.data[order]
        self._position = 0

    def epoch(self):
        """Yield one pass of batches over a fresh shuffle.

        A trailing batch of a single row joins the batch before it, so that
        batch normalisation never sees a batch of one.
        """
        self.shuffle()
        n, size = len(self.data), self.batch_size
        starts = list(range(0, n, size))
        if len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else n
            yield self._shuffled[start:stop]

    def next(self):
        """The next batch of a never-ending cycle of shuffles."""
        if len(self.data) == 0:
            return self.data
        if self._position + self.batch_size > len(self.data):
            self.shuffle()
        batch = self._shuffled[self._position : self._position + self.batch_size]
        self._position += self.batch_size
        return batch


def _split_validation(data, fraction, generator):
    """Hold out ``fraction`` of the rows (at least one when there are two or more)."""
    n_valid = int(round(fraction * len(data)))
    if len(data) >= 2:
        n_valid = min(max(n_valid, 1), len(data) - 1)
    else:
        n_valid = 0
    order = torch.randperm(len(data), generator=generator).to(data.device)
    return data[order[n_valid:]], data[order[:n_valid]]


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
    unlabeled, anomalies : Tensor
        All unlabeled rows and all labeled anomalies, on the training device.
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
    """
    if validation_fraction:
        unlabeled, valid_unlabeled = _split_validation(unlabeled, validation_fraction, generator)
        anomalies, valid_anomalies = _split_validation(anomalies, validation_fraction, generator)
    unlabeled_batches = _CyclicBatches(unlabeled, batch_size, generator)
    anomaly_batches = _CyclicBatches(anomalies, batch_size, generator)
    parameters = [p for p in module.parameters() if p.requires_grad]
    # The fused kernel updates every parameter in one call: per-step optimizer
    # overhead dominates the tiny steps of these networks.
    optimizer = torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay, fused=True)
    history = {"loss": []}
    if validation_fraction:
        history.update(val_loss=[], best_epoch=0)
        best_loss, best_state = np.inf, None
    progress = tqdm(range(epochs), desc=description, disable=not verbose, leave=False)
    for epoch in progress:
        module.train()
        total, steps = torch.zeros((), device=unlabeled.device), 0
        for x_unlabeled in unlabeled_batches.epoch():
            loss = objective(module, x_unlabeled, anomaly_batches.next())
            optimizer.zero_grad(set_to_none=True)
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
    if validation_fraction and best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history


def as_tensor(X, device="cpu", dtype=torch.float32):
    """A tensor of ``X`` on ``device``, sharing memory where it can (copied if read-only)."""
    if not X.flags.writeable:
        X = X.copy()
    return torch.from_numpy(np.ascontiguousarray(X)).to(device, dtype)


def predict_batched(function, X, device="cpu", dtype=torch.float32, batch_size=INFERENCE_BATCH_SIZE):
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
