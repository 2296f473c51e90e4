"""Reverse cross-entropy training (Pang et al., NeurIPS 2018), with cross-entropy as its comparison arm."""

import torch

from ..losses import reverse_cross_entropy
from ..networks import Classifier
from ..utils import validation as v
from ..attacks.adapter import forward, reversed_forward
from .base import BaseNeuralClassifier

_LOSSES = ("rce", "ce")


def _cross_entropy(logits, target, reduction="none"):
    return torch.nn.functional.cross_entropy(logits, target, reduction=reduction)


class RCEClassifier(BaseNeuralClassifier):
    """A neural classifier trained with reverse cross-entropy (or cross-entropy).

    Parameters
    ----------
    loss : {"rce", "ce"}, default="rce"
        ``"rce"``: ``pu_detect.losses.reverse_cross_entropy``, predicting
        with ``softmax(-Z)``; ``"ce"``: cross-entropy, predicting with
        ``softmax(Z)``.
    hidden_dims : tuple of int or None, default=None
        MLP widths, or with ``input_shape`` the conv channels followed by the
        dense feature width (``pu_detect.networks.Classifier``). ``None``:
        ``(256, 256)`` for an MLP, ``(16, 32, 64)`` for a conv net.
    input_shape : tuple (C, H, W) or None, default=None
        View rows as images and use the conv network.
    epochs : int, default=20
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam's step size in the library's training loop.
    weight_decay : float, default=0.0
    validation_fraction : float in (0, 1) or None, default=None
        Hold out this fraction for early stopping on the training loss.
    n_iter_no_change : int, default=10
    device : str, default="cpu"
    random_state : int, RandomState, Generator or None, default=None
    verbose : int, default=0
        ``>= 1``: a progress bar and a one-line summary when training ends.
    flush_subnormals : bool, default=True
        Treat subnormal floats as zero on the calling thread while training
        (the setting is restored afterwards); see ``pu_detect.Autoencoder``.

    Attributes
    ----------
    classes_ : ndarray of the class labels
    module_ : pu_detect.networks.Classifier
    history_ : dict, the training loss per epoch
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RCEClassifier(hidden_dims=(64,), epochs=30, random_state=0).fit(X[:1000] / 16, y[:1000])
    >>> bool(clf.score(X[1000:] / 16, y[1000:]) > 0.9)
    True
    >>> clf.predict_proba(X[:2] / 16).shape, clf.features(X[:2] / 16).shape
    ((2, 10), (2, 64))
    """

    _parameter_checks = {
        "loss": lambda x: v.check_option(x, "loss", _LOSSES),
        **BaseNeuralClassifier._parameter_checks,
    }

    def __init__(
        self,
        loss="rce",
        hidden_dims=None,
        input_shape=None,
        epochs=20,
        batch_size=128,
        lr=1e-3,
        weight_decay=0.0,
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
        flush_subnormals=True,
    ):
        self.loss = loss
        self.hidden_dims = hidden_dims
        self.input_shape = input_shape
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.flush_subnormals = flush_subnormals

    def _make_module(self, n_features, params):
        hidden = params.hidden_dims
        if hidden is None:
            hidden = (256, 256) if params.input_shape is None else (16, 32, 64)
        return Classifier(n_features, len(self.classes_), hidden, params.input_shape)

    def _loss(self, params):
        loss = reverse_cross_entropy if params.loss == "rce" else _cross_entropy
        return lambda module, x, target: loss(module(x), target, reduction="mean")

    def _description(self, params):
        return f"RCEClassifier ({params.loss})"

    def _prediction_logits(self, module, x):
        return reversed_forward(module, x) if self.loss == "rce" else forward(module, x)
