"""The hypersphere family: DeepSVDD, DeepSAD and PUDeepSVDD.

A bias-free encoder ``phi`` (no biases, BatchNorm without affine terms, no
bounded activation) maps rows into a latent space; a row's anomaly score is
its squared distance to a fixed centre, ``d(x)^2 = ||phi(x) - c||^2``. The
encoder is first pre-trained as part of an autoencoder; the centre is the
mean of its initial outputs over the training rows, with coordinates
closer to zero than 0.1 set to +-0.1 (Ruff et al., 2018). Both rules keep
the trivial solution ``phi = c`` out of reach.
"""

import numpy as np
import torch

from ..engine import predict_batched
from ..losses import inverse_distance_loss, reconstruction_error, squared_distance
from ..networks import autoencoder
from ..utils import validation as v
from .base import BaseDeepDetector, PURiskMixin, WeightedRiskMixin

#: Centre coordinates with absolute value below this are moved to +-CENTER_EPS.
CENTER_EPS = 0.1


def hypersphere_center(latent, eps=CENTER_EPS):
    """Mean of ``latent`` rows with near-zero coordinates pushed to ``+-eps``.

    Examples
    --------
    >>> import numpy as np
    >>> hypersphere_center(np.array([[0.5, 0.05, -0.02], [0.7, -0.01, -0.04]]))
    array([ 0.6,  0.1, -0.1])
    """
    center = np.asarray(latent, dtype=np.float64).mean(axis=0)
    small = np.abs(center) < eps
    center[small & (center < 0)] = -eps
    center[small & (center >= 0)] = eps
    return center


class DeepSVDD(BaseDeepDetector):
    """Deep Support Vector Data Description (Ruff et al., ICML 2018), one-class.

    Minimises the mean squared distance of the unlabeled rows to the centre.
    Given labels it trains on the unlabeled rows only (the papers' baseline).

    Parameters
    ----------
    hidden_dims : tuple of int, default=(64,)
        Widths of the encoder's hidden layers (channels with ``input_shape``).
    latent_dim : int, default=8
        Dimension of the hypersphere's space.
    epochs : int, default=100
        Passes over the unlabeled rows for the hypersphere objective.
    pretrain_epochs : int, default=50
        Passes of autoencoder pre-training of the encoder (0 to skip).
    lr : float, default=1e-4
        Adam's step size, for pre-training and training: Ruff et al.'s
        1e-4. Over the tabular PU protocol (20 ADBench sets, seeds 0-4) it
        gave a mean test ROC AUC of 0.700 against 0.641 with 1e-3
        (paired +0.059, SE 0.016; benchmarks/README.md).
    batch_size, weight_decay, lr_milestones, validation_fraction, n_iter_no_change, contamination, random_state, device, verbose, input_shape, flush_subnormals
        As in ``pu_detect.Autoencoder``; ``weight_decay``, ``batch_size``
        and ``lr_milestones`` (as fractions of ``pretrain_epochs`` there)
        serve pre-training too.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained encoder ``phi``.
    center_ : ndarray of shape (latent_dim,)
        The hypersphere's centre ``c``, fixed before training.
    pretrain_history_ : dict
        Pre-training loss per epoch (with ``validation_fraction``, also the
        validation loss: pre-training stops early by the same rule).
    history_, n_features_in_, decision_scores_, threshold_, labels_
        As in ``pu_detect.Autoencoder``.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import DeepSVDD
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> det = DeepSVDD(epochs=5, pretrain_epochs=2, random_state=0).fit(X)
    >>> det.center_.shape, det.decision_function(X[:3]).shape
    ((8,), (3,))
    """

    _parameter_checks = {
        **BaseDeepDetector._parameter_checks,
        "pretrain_epochs": lambda x: v.check_int(x, "pretrain_epochs", min_value=0),
    }

    def __init__(
        self,
        hidden_dims=(64,),
        latent_dim=8,
        epochs=100,
        pretrain_epochs=50,
        batch_size=128,
        lr=1e-4,
        weight_decay=1e-3,
        lr_milestones=None,
        validation_fraction=None,
        n_iter_no_change=10,
        contamination=0.1,
        random_state=None,
        device="cpu",
        verbose=0,
        input_shape=None,
        flush_subnormals=True,
    ):
        self.hidden_dims = hidden_dims
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.pretrain_epochs = pretrain_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_milestones = lr_milestones
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.contamination = contamination
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.input_shape = input_shape
        self.flush_subnormals = flush_subnormals

    def _make_module(self, n_features, params):
        # The whole bias-free autoencoder; _prepare keeps its encoder after pre-training.
        return autoencoder(
            n_features, params.hidden_dims, params.latent_dim, params.input_shape, bias_free=True
        )

    def _empty_module(self, device=None):
        return super()._empty_module(device).encoder  # the fitted module_ is the encoder

    def _check_loaded_state(self):
        super()._check_loaded_state()
        center = np.asarray(self.center_)
        if center.shape != (self.latent_dim,) or not np.all(np.isfinite(center)):
            raise ValueError(f"center_ must be {self.latent_dim} finite values (latent_dim); got shape "
                             f"{center.shape}")

    def _prepare(self, params, unlabeled, anomalies, generator):
        rows = torch.cat([unlabeled, anomalies])
        if len(rows) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 training rows (its encoder uses batch "
                f"normalisation); got {len(rows)} sample(s)."
            )
        network = self.module_
        self.pretrain_history_ = {"loss": []}
        if params.pretrain_epochs:
            self.pretrain_history_ = self._train(
                network,
                lambda module, batch, generator: reconstruction_error(batch["rows"], module(batch["rows"])).mean(),
                {"rows": rows},
                params,
                generator,
                epochs=params.pretrain_epochs,
                stage="pre-training",
            )
        self.module_ = network.encoder.eval()
        latent = predict_batched(self.module_, rows.cpu().numpy(), rows.device)
        self.center_ = hypersphere_center(latent)

    def _score(self, module, x):
        z = module(x)
        return squared_distance(z, torch.as_tensor(self.center_, dtype=z.dtype, device=z.device))

    def _anomaly_loss(self, params, scores):
        return inverse_distance_loss(scores)


class DeepSAD(WeightedRiskMixin, DeepSVDD):
    """Deep Semi-supervised Anomaly Detection (Ruff et al., ICLR 2020).

    Deep SVDD whose labeled anomalies are pushed away from the centre:
    unlabeled rows contribute ``d^2`` and labeled anomalies
    ``eta / (d^2 + 1e-6)`` to the mean over all rows. Unlabeled rows are
    all treated as normal, so anomalies hidden among them are pulled
    towards the centre.

    The parameters not listed here are those of ``DeepSVDD``.

    Parameters
    ----------
    eta : float > 0, default=1.0
        Weight of the labeled-anomaly term.
    lr : float, default=1e-3
        Adam's step size. Not DeepSVDD's 1e-4: on the tabular PU protocol
        (20 ADBench sets, seeds 0-2) 1e-4 gave +0.015 mean test ROC AUC, a
        gain inside its standard error (0.015); benchmarks/README.md.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import DeepSAD
    >>> rng = np.random.default_rng(0)
    >>> X_unlabeled, X_anom = rng.normal(size=(200, 5)), rng.normal(3.0, size=(10, 5))
    >>> det = DeepSAD(epochs=10, pretrain_epochs=2, random_state=0).fit(X_unlabeled, X_anom)
    >>> bool(det.decision_function(X_anom).mean() > det.decision_function(X_unlabeled).mean())
    True
    """

    _parameter_checks = {
        **DeepSVDD._parameter_checks,
        "eta": lambda x: v.check_float(x, "eta", 0.0, np.inf),
    }

    def __init__(
        self,
        hidden_dims=(64,),
        latent_dim=8,
        epochs=100,
        pretrain_epochs=50,
        batch_size=128,
        lr=1e-3,
        weight_decay=1e-3,
        lr_milestones=None,
        eta=1.0,
        validation_fraction=None,
        n_iter_no_change=10,
        contamination=0.1,
        random_state=None,
        device="cpu",
        verbose=0,
        input_shape=None,
        flush_subnormals=True,
    ):
        super().__init__(
            hidden_dims=hidden_dims,
            latent_dim=latent_dim,
            epochs=epochs,
            pretrain_epochs=pretrain_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            lr_milestones=lr_milestones,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            contamination=contamination,
            random_state=random_state,
            device=device,
            verbose=verbose,
            input_shape=input_shape,
            flush_subnormals=flush_subnormals,
        )
        self.eta = eta

    def _anomaly_loss(self, params, scores):
        return inverse_distance_loss(scores, params.eta)


class PUDeepSVDD(PURiskMixin, DeepSVDD):
    """Positive-unlabeled Deep SVDD (Takahashi et al., arXiv:2405.18929).

    The PU risk of ``pu_detect.PUAutoencoder`` over the hypersphere
    score: ``l- = d^2``, ``l+ = 1 / (d^2 + 1e-6)``. The anomalies' share of
    the unlabeled term is removed using the labeled anomalies, so anomalies
    hidden in the unlabeled set are not pulled to the centre.

    The parameters not listed here are those of ``DeepSVDD``.

    Parameters
    ----------
    prior : float in (0, 1) or "auto", default=0.1
        Anomaly fraction of the unlabeled data, as in ``pu_detect.PUAutoencoder``.
        The default is the paper's 0.1: unlike PUAutoencoder's, this risk
        gained nothing measurable from a larger prior over 18 ADBench sets
        (mean test AUROC +0.005 with 0.2, -0.005 with 0.3; benchmarks/README.md).
    correction : {"abs", "nnpu"}, default="abs"
        As in ``pu_detect.PUAutoencoder``.
    lr : float, default=1e-3
        Adam's step size. Not DeepSVDD's 1e-4: on the tabular PU protocol
        (20 ADBench sets, seeds 0-2) 1e-4 gave +0.008 mean test ROC AUC, a
        gain inside its standard error (0.009); benchmarks/README.md.

    Attributes
    ----------
    prior_ : float
        The prior used in training.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import PUDeepSVDD
    >>> rng = np.random.default_rng(0)
    >>> X_unlabeled, X_anom = rng.normal(size=(200, 5)), rng.normal(3.0, size=(10, 5))
    >>> det = PUDeepSVDD(epochs=10, pretrain_epochs=2, random_state=0).fit(X_unlabeled, X_anom)
    >>> bool(det.decision_function(X_anom).mean() > det.decision_function(X_unlabeled).mean())
    True
    """

    _parameter_checks = {**DeepSVDD._parameter_checks, **PURiskMixin.PARAMETER_CHECKS}

    def __init__(
        self,
        hidden_dims=(64,),
        latent_dim=8,
        epochs=100,
        pretrain_epochs=50,
        batch_size=128,
        lr=1e-3,
        weight_decay=1e-3,
        lr_milestones=None,
        prior=0.1,
        correction="abs",
        validation_fraction=None,
        n_iter_no_change=10,
        contamination=0.1,
        random_state=None,
        device="cpu",
        verbose=0,
        input_shape=None,
        flush_subnormals=True,
    ):
        super().__init__(
            hidden_dims=hidden_dims,
            latent_dim=latent_dim,
            epochs=epochs,
            pretrain_epochs=pretrain_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            lr_milestones=lr_milestones,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            contamination=contamination,
            random_state=random_state,
            device=device,
            verbose=verbose,
            input_shape=input_shape,
            flush_subnormals=flush_subnormals,
        )
        self.prior = prior
        self.correction = correction
