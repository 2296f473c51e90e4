"""Reverse cross-entropy training (Pang et al., NeurIPS 2018), with cross-entropy as its comparison arm."""

import torch

from ..losses import reverse_cross_entropy
from ..utils import validation as v
from ..attacks.adapter import forward, reversed_forward
from .base import BaseNeuralClassifier, NetworkChoice

_LOSSES = ("rce", "ce")


def _cross_entropy(logits, target, reduction="none"):
    return torch.nn.functional.cross_entropy(logits, target, reduction=reduction)


class RCEClassifier(NetworkChoice, BaseNeuralClassifier):
    """A neural classifier trained with reverse cross-entropy (or cross-entropy).

    Parameters
    ----------
    loss : {"rce", "ce"}, default="rce"
        ``"rce"``: ``pu_detect.losses.reverse_cross_entropy``, predicting
        with ``softmax(-Z)``; ``"ce"``: cross-entropy, predicting with
        ``softmax(Z)``.
    hidden_dims : tuple of int or None, default=None
        MLP widths; the ResNet's stage widths; or the small conv net's
        channels followed by its dense feature width
        (``pu_detect.networks.Classifier``). ``None``: ``(256, 256)`` for the
        MLP, ``(16, 32, 64)`` for the ResNet and the conv net.
    input_shape : tuple (C, H, W) or None, default=None
        View rows as images (the ResNet by default).
    architecture : {"auto", "mlp", "conv", "resnet"}, default="auto"
        ``"auto"``: the MLP for flat rows, the ResNet with ``input_shape``.
        ``"resnet"``: ``pu_detect.networks.ResNetClassifier``, the
        pre-activation residual network of Pang et al. (BatchNorm, leaky
        ReLU 0.1, 64-d global-average-pooled features). ``"conv"``: the small
        conv net (3x3 convolutions, max-pooling, a dense ReLU layer), the
        image default of pu_detect 0.1.0. On MNIST (7,000 training images)
        the ResNet's features made non-ME and K-density detect FGSM (AUC 0.99
        and 1.00 at eps 0.16, seeds 0-2) where the small conv net's did not
        (0.50 and 0.80, seed 0); see benchmarks/README.md.
    units_per_stage : int, default=1
        Residual units per stage of the ResNet: 1 gives ResNet-8, 5 the
        ResNet-32 of the paper (about three times the training time).
    epochs : int, default=20
    batch_size : int, default=128
    lr : float or None, default=None
        Step size; ``None``: 1e-3 for Adam, 0.1 for SGD.
    weight_decay : float or None, default=None
        L2 penalty; ``None``: 0 for Adam, 2e-4 for SGD (the paper's).
    optimizer : {"auto", "adam", "sgd"}, default="auto"
        ``"auto"``: SGD with momentum for the ResNet (Pang et al.'s recipe:
        lr 0.1, weight decay 2e-4, divided by 10 at half and three quarters of
        training), Adam for the MLP and the conv net.
    momentum : float in [0, 1), default=0.9
        SGD's momentum.
    lr_milestones : "auto", tuple of float in (0, 1) or None, default="auto"
        Fractions of ``epochs`` after which the step size is divided by 10;
        ``"auto"``: (0.5, 0.75) with SGD, none with Adam.
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
    shift_augmentation : float in [0, 0.5), default=0.0
        Translate each training image by a random whole number of pixels, up
        to this fraction of its height and width (edges replicated; drawn
        afresh each batch from the training generator,
        ``pu_detect.engine.shift_images``); needs ``input_shape``. 0: no
        augmentation. Pang et al. train with 0.1.

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
        **NetworkChoice._parameter_checks,
        **BaseNeuralClassifier._parameter_checks,
    }

    def __init__(
        self,
        loss="rce",
        hidden_dims=None,
        input_shape=None,
        epochs=20,
        batch_size=128,
        lr=None,
        weight_decay=None,
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
        flush_subnormals=True,
        architecture="auto",
        units_per_stage=1,
        optimizer="auto",
        momentum=0.9,
        lr_milestones="auto",
        shift_augmentation=0.0,
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
        self.shift_augmentation = shift_augmentation
        self.architecture = architecture
        self.units_per_stage = units_per_stage
        self.optimizer = optimizer
        self.momentum = momentum
        self.lr_milestones = lr_milestones

    @classmethod
    def _parameters_of_0_1_0(cls, params):
        # 0.1.0 had only the MLP and the small conv net, trained by Adam without a schedule.
        image = params.get("input_shape") is not None
        return {"architecture": "conv" if image else "mlp", "optimizer": "adam", "lr_milestones": None, **params}

    def _loss(self, params):
        loss = reverse_cross_entropy if params.loss == "rce" else _cross_entropy
        return lambda module, x, target, generator: loss(module(x), target, reduction="mean")

    def _description(self, params):
        return f"RCEClassifier ({params.loss})"

    def _prediction_logits(self, module, x):
        return reversed_forward(module, x) if self.loss == "rce" else forward(module, x)
