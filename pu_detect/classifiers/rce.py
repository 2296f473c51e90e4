"""Reverse cross-entropy training (Pang et al., NeurIPS 2018), with cross-entropy as its comparison arm."""

import torch

from ..losses import reverse_cross_entropy
from ..networks import Classifier, ResNetClassifier
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
    architecture : {"auto", "resnet"}, default="auto"
        ``"auto"``: the MLP, or the small conv net with ``input_shape``.
        ``"resnet"`` (needs ``input_shape``):
        ``pu_detect.networks.ResNetClassifier``, the pre-activation
        residual network of Pang et al. (BatchNorm, leaky ReLU 0.1, 64-d
        global-average-pooled features), with ``hidden_dims`` as its stage
        widths (``None``: 16/32/64).
    units_per_stage : int, default=5
        Residual units per stage of the ResNet (5: ResNet-32, 1: ResNet-8).
    epochs : int, default=20
    batch_size : int, default=128
    lr : float, default=1e-3
        The optimiser's step size in the library's training loop.
    weight_decay : float, default=0.0
    optimizer : {"adam", "sgd"}, default="adam"
        ``"sgd"``: SGD with ``momentum``, as Pang et al. trained (lr 0.1,
        momentum 0.9, weight decay 2e-4, the rate divided by 10 at half and
        three quarters of training: ``lr_milestones=(0.5, 0.75)``).
    momentum : float in [0, 1), default=0.9
    lr_milestones : tuple of float in (0, 1) or None, default=None
        Fractions of ``epochs`` after which the step size is divided by 10.
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
        "architecture": lambda x: v.check_option(x, "architecture", ("auto", "resnet")),
        "units_per_stage": lambda x: v.check_int(x, "units_per_stage"),
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
        architecture="auto",
        units_per_stage=5,
        optimizer="adam",
        momentum=0.9,
        lr_milestones=None,
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
        self.architecture = architecture
        self.units_per_stage = units_per_stage
        self.optimizer = optimizer
        self.momentum = momentum
        self.lr_milestones = lr_milestones

    def _make_module(self, n_features, params):
        hidden = params.hidden_dims
        if params.architecture == "resnet":
            if params.input_shape is None:
                v._fail("input_shape", "the (C, H, W) shape of the images for architecture='resnet'", None)
            return ResNetClassifier(params.input_shape, len(self.classes_), hidden or (16, 32, 64),
                                    params.units_per_stage)
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
