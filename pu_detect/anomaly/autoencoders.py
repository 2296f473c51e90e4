"""The autoencoder family: the plain autoencoder baseline, ABC and PUAutoencoder.

All three score a row by its unsquared reconstruction error
``s(x) = ||x - decoder(encoder(x))||_2`` and differ only in the training
objective.
"""

from ..losses import abc_anomaly_loss, reconstruction_error
from ..networks import autoencoder
from .base import BaseDeepDetector, PURiskMixin, WeightedRiskMixin


class Autoencoder(BaseDeepDetector):
    """Autoencoder anomaly detector (unsupervised baseline).

    Minimises the mean reconstruction error ``||x - x_hat||_2`` of the
    unlabeled rows and scores rows by it. Given labels (``fit(X, y)`` or
    ``fit(X_unlabeled, X_anom)``) it trains on the unlabeled rows only, which
    is how the PU and ABC papers run it as a baseline.

    Parameters
    ----------
    hidden_dims : tuple of int, default=(64,)
        Widths of the encoder's hidden layers (channels of the conv stages
        when ``input_shape`` is given); the decoder mirrors them.
    latent_dim : int, default=8
        Width of the bottleneck.
    epochs : int, default=100
        Passes over the unlabeled rows.
    batch_size : int, default=128
        Unlabeled rows per step (and at most this many labeled anomalies).
    lr : float, default=1e-3
        Adam's learning rate.
    weight_decay : float, default=1e-3
        Adam's L2 penalty (the papers' value).
    lr_milestones : sequence of float in (0, 1) or None, default=None
        Divide the step size by 10 after each of these fractions of the
        epochs (``(0.5, 0.75)``: at half and three quarters of training);
        ``None``: a constant step size, as in the papers. On the MNIST PU
        protocol (30 tasks) ``(0.5, 0.75)`` took ``PUAutoencoder`` from
        0.940 to 0.957 mean AUROC (``PUEnsemble`` with it: 0.966 to
        0.972), mostly by removing the runs where the PU risk's
        oscillation at the end of training left a poor model (one digit:
        0.70 and 0.93 for inputs 1e-6 apart, 0.91 and 0.92 with the
        decay); on the tabular PU protocol it changed nothing measurable
        (-0.001, SE 0.004), so the default stays ``None`` here
        (``PUEnsemble``'s default member takes ``(0.5, 0.75)``);
        benchmarks/README.md.
    validation_fraction : float in (0, 1) or None, default=None
        Hold out this fraction of the training rows, stop when its loss has
        not improved for ``n_iter_no_change`` epochs and keep the best epoch.
    n_iter_no_change : int, default=10
        Patience of the early stopping above.
    contamination : float in (0, 0.5], thresholding object or "prior", default=0.1
        Expected share of anomalies, used only for ``threshold_``,
        ``labels_`` and ``predict`` (PyOD's convention); or a PyThresh
        thresholding object that chooses the training rows flagged; or, for
        the PU estimators, ``"prior"``: flag the fraction ``prior_`` of the
        training rows (``pu_detect.utils.thresholds``).
    random_state : int, numpy generator or None, default=None
        Seed of the network's initialisation and of batch order. Global RNG
        state is never touched. The same seed gives the same scores with the
        same torch thread count; a different count can change float32
        training arithmetic at the rounding level (the hypersphere family's
        BatchNorm reductions amplify it: PUDeepSVDD's scores moved by up to
        2.4e-3 between 1 and 2 threads), so fix ``torch.set_num_threads``
        where bit-identical refits matter.
    device : str, default="cpu"
        Torch device; ``"auto"`` picks CUDA when present.
    verbose : int, default=0
        ``>= 1``: a progress bar while training and a one-line summary
        (epochs, final loss, seconds) on standard error when it ends.
    input_shape : tuple (C, H, W) or None, default=None
        View flat rows as images of this shape and use the conv autoencoder.
    flush_subnormals : bool, default=True
        While ``fit`` trains, the calling thread treats subnormal floats
        (below 1.2e-38) as zero, and its previous setting is restored when
        training returns or raises: weight decay shrinks unused weights
        through that range, where x86 arithmetic is about a hundred times
        slower (20 epochs on ADBench's shuttle: 6.8-9.4 s instead of
        12.8-17.6 s). ``False`` leaves the setting alone.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    history_ : dict
        ``"loss"``: training objective per epoch (plus ``"val_loss"`` and
        ``"best_epoch"`` with a validation split).
    n_features_in_ : int
    decision_scores_ : ndarray of shape (n_samples,)
        Scores of the training rows.
    threshold_ : float
        Score above which a row is labeled an anomaly.
    labels_ : ndarray of shape (n_samples,)
        0/1 labels of the training rows.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import Autoencoder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5))
    >>> det = Autoencoder(epochs=5, random_state=0).fit(X)
    >>> det.decision_function(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        hidden_dims=(64,),
        latent_dim=8,
        epochs=100,
        batch_size=128,
        lr=1e-3,
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
        return autoencoder(n_features, params.hidden_dims, params.latent_dim, params.input_shape)

    def _score(self, module, x):
        return reconstruction_error(x, module(x))

    def _anomaly_loss(self, params, scores):
        return abc_anomaly_loss(scores)


class ABC(WeightedRiskMixin, Autoencoder):
    """Autoencoding binary classifier (Yamanaka et al., PRICAI 2019).

    Reads ``p(normal | x) = exp(-s(x))`` from the reconstruction error
    ``s``: unlabeled rows are trained as normal (loss ``s``) and labeled
    anomalies as anomalous (loss ``-log(1 - exp(-s) + 1e-6)``), which pushes
    their reconstruction error up. The objective is the mean of these
    losses over all training rows (``pu_detect.losses.weighted_risk``).
    Because the unlabeled rows are all treated as normal, anomalies hidden
    among them are learned as normal: the weakness ``PUAutoencoder``
    removes.

    Parameters are those of ``Autoencoder``.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import ABC
    >>> rng = np.random.default_rng(0)
    >>> X_unlabeled = rng.normal(size=(200, 5))
    >>> X_anom = rng.normal(3.0, size=(10, 5))
    >>> det = ABC(epochs=5, random_state=0).fit(X_unlabeled, X_anom)
    >>> bool(det.decision_function(X_anom).mean() > det.decision_function(X_unlabeled).mean())
    True
    """

class PUAutoencoder(PURiskMixin, Autoencoder):
    """Positive-unlabeled autoencoder (Takahashi et al., arXiv:2405.18929).

    The unlabeled rows are a mixture: a fraction ``prior`` of anomalies and
    the rest normal. The PU risk removes the anomalies' share from the
    unlabeled term using the labeled anomalies, so that the autoencoder
    learns to reconstruct the normal rows only, even when anomalies like the
    labeled ones hide in the unlabeled data:

    ``R+ = prior * mean_A l+``, ``R- = mean_U l- - prior * mean_A l-``,
    loss ``R+ + |R-|`` (``correction="abs"``) or the nnPU rule
    (``correction="nnpu"``), with ``l- = s`` and
    ``l+ = -log(1 - exp(-s) + 1e-6)`` (``pu_detect.losses.pu_risk``).

    Unlike the paper's code, each step draws a batch of unlabeled rows and a
    separate batch of labeled anomalies, so every step sees both terms even
    when labeled anomalies are under 1% of the rows.

    The parameters not listed here are those of ``Autoencoder``.

    Parameters
    ----------
    prior : float in (0, 1) or "auto", default=0.3
        Anomaly fraction of the unlabeled data, as the risk above assumes.
        It also sets how hard labeled anomalies are pushed: while ``R- > 0``
        their loss is weighted by ``prior`` against the unlabeled rows', and
        the ``|R-|`` correction pulls their mean reconstruction error back
        once it exceeds about ``1 / prior`` times the unlabeled rows'. The
        default 0.3 is deliberately above typical anomaly fractions: over 18
        ADBench sets (true fractions 0.02-0.34, mean 0.11) it gave a higher mean test
        AUROC than the paper's 0.1, than 0.2, 0.5, the true fraction and
        ``"auto"`` (benchmarks/README.md). ``"auto"`` estimates the fraction from
        cross-fitted classifier scores (``pu_detect.anomaly.estimate_prior``):
        on those sets it detected as well as the true fraction, and 0.014
        mean AUROC below 0.3.
    correction : {"abs", "nnpu"}, default="abs"
        How a negative ``R-`` is corrected: the paper's absolute value, or
        Kiryo et al.'s non-negative rule (step on ``-R-`` alone).

    Attributes
    ----------
    prior_ : float
        The prior used in training.

    Examples
    --------
    >>> import numpy as np
    >>> from pu_detect import PUAutoencoder
    >>> rng = np.random.default_rng(0)
    >>> X_unlabeled = rng.normal(size=(200, 5))
    >>> X_anom = rng.normal(3.0, size=(10, 5))
    >>> det = PUAutoencoder(epochs=5, random_state=0).fit(X_unlabeled, X_anom)
    >>> det.predict(X_anom[:2]).tolist()
    [1, 1]
    """

    _parameter_checks = {**Autoencoder._parameter_checks, **PURiskMixin.PARAMETER_CHECKS}

    def __init__(
        self,
        hidden_dims=(64,),
        latent_dim=8,
        epochs=100,
        batch_size=128,
        lr=1e-3,
        weight_decay=1e-3,
        lr_milestones=None,
        prior=0.3,
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
