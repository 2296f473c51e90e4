"""Ensembles trained with the Adaptive Diversity Promoting regulariser (ADP; Pang et al., ICML 2019)."""

import numpy as np

from ..losses import adp_loss
from ..networks import Ensemble
from ..utils import validation as v
from .base import BaseNeuralClassifier, NetworkChoice
from .robust import ADVERSARIAL_PARAMETER_CHECKS, adversarial_objective, check_adversarial_rows


class ADPEnsembleClassifier(NetworkChoice, BaseNeuralClassifier):
    """An ensemble of ``n_members`` networks trained jointly with the ADP loss; predicts their mean softmax.

    The objective (``pu_detect.losses.adp_loss``) is the members'
    cross-entropies, minus ``alpha`` times the entropy of the averaged
    prediction, minus ``beta`` times the log-determinant of the Gram matrix of
    the members' normalised non-true-class predictions (their diversity, plus
    ``delta``). ``alpha=2, beta=0.5`` is the paper's ADP_{2,0.5}, ``beta=0``
    its ADP_{2,0}. The attacks and detectors see the ensemble's averaged
    prediction (``softmax`` of ``module_(x)``); it has no single feature
    layer, so ``KDensityDetector`` does not apply.

    Parameters
    ----------
    n_members : int >= 2, default=3
    alpha : float >= 0, default=2.0
    beta : float >= 0, default=0.5
    delta : float > 0, default=1e-6
        Added to the Gram matrix's diagonal inside the log-determinant (the authors' code).
    adversarial_training : {None, "pgd"}, default=None
        ``"pgd"``: the ADP loss on PGD rows crafted against the ensemble's
        averaged prediction (``pu_detect.RobustClassifier``'s training attack).
    eps, norm, attack_steps, attack_step_size, clip
        The training attack, as in ``pu_detect.RobustClassifier``.
    hidden_dims, input_shape, architecture, units_per_stage, epochs, batch_size, lr, weight_decay,
    optimizer, momentum, lr_milestones, validation_fraction, n_iter_no_change, device, random_state,
    verbose, flush_subnormals, shift_augmentation
        Each member's network and the training, as in ``pu_detect.RobustClassifier``.

    Attributes
    ----------
    classes_ : ndarray of the class labels
    module_ : pu_detect.networks.Ensemble
    history_ : dict, the training loss per epoch
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = ADPEnsembleClassifier(hidden_dims=(32,), epochs=20, random_state=0).fit(X[:1000] / 16, y[:1000])
    >>> bool(clf.score(X[1000:] / 16, y[1000:]) > 0.75)
    True
    """

    _auto_image_architecture = "conv"
    _default_conv_dims = (32, 64, 256)
    _parameter_checks = {
        "n_members": lambda x: v.check_int(x, "n_members", min_value=2),
        "alpha": lambda x: v.check_float(x, "alpha", 0.0, np.inf, low_inclusive=True),
        "beta": lambda x: v.check_float(x, "beta", 0.0, np.inf, low_inclusive=True),
        "delta": lambda x: v.check_float(x, "delta", 0.0, np.inf),
        **ADVERSARIAL_PARAMETER_CHECKS,
        **NetworkChoice._parameter_checks,
        **BaseNeuralClassifier._parameter_checks,
    }
    _parameter_checks.pop("trades_beta")

    def __init__(
        self,
        n_members=3,
        alpha=2.0,
        beta=0.5,
        delta=1e-6,
        adversarial_training=None,
        eps=0.3,
        norm="linf",
        attack_steps=10,
        attack_step_size=None,
        clip=(0.0, 1.0),
        hidden_dims=None,
        input_shape=None,
        architecture="auto",
        units_per_stage=1,
        epochs=30,
        batch_size=128,
        lr=None,
        weight_decay=None,
        optimizer="auto",
        momentum=0.9,
        lr_milestones="auto",
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
        flush_subnormals=True,
        shift_augmentation=0.0,
    ):
        self.n_members = n_members
        self.alpha = alpha
        self.beta = beta
        self.delta = delta
        self.adversarial_training = adversarial_training
        self.eps = eps
        self.norm = norm
        self.attack_steps = attack_steps
        self.attack_step_size = attack_step_size
        self.clip = clip
        self.hidden_dims = hidden_dims
        self.input_shape = input_shape
        self.architecture = architecture
        self.units_per_stage = units_per_stage
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.momentum = momentum
        self.lr_milestones = lr_milestones
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.flush_subnormals = flush_subnormals
        self.shift_augmentation = shift_augmentation

    def fit(self, X, y):
        """Fit the members jointly on rows ``X`` with class labels ``y``.

        Returns
        -------
        self
        """
        params = v.check_params(self)
        if params.adversarial_training == "trades":
            v._fail("adversarial_training", "None or 'pgd' (ADP has its own loss)", "trades")
        check_adversarial_rows(params, X)
        return self._fit(X, y, params=params)

    def _make_module(self, n_features, params):
        return Ensemble([self._network(n_features, params) for _ in range(params.n_members)])

    def _loss(self, params):
        def clean_loss(module, x, t):
            return adp_loss(module.member_logits(x), t, params.alpha, params.beta, params.delta)

        return adversarial_objective(params, clean_loss)

    def _description(self, params):
        return f"ADPEnsembleClassifier ({params.n_members} members, alpha {params.alpha}, beta {params.beta})"
