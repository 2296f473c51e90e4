"""The shared base of every pu_detect detector: PyOD's contract, one fit template."""

import warnings

import numpy as np
import torch
from pyod.models.base import BaseDetector
from sklearn.utils.validation import check_is_fitted

from ..engine import as_tensor, predict_float64, step_decay, train
from ..losses import pu_risk, weighted_risk
from ..networks import build
from ..persistence import PersistenceMixin
from ..utils import validation as v
from ..utils.thresholds import (ThresholdPredictMixin, check_contamination, check_scores_state,
                                process_decision_scores)
from .prior import estimate_prior


def _check_validation_fraction(value):
    if value is None:
        return None
    return v.check_float(value, "validation_fraction", 0.0, 1.0)


class BaseDeepDetector(ThresholdPredictMixin, PersistenceMixin, BaseDetector):
    """Fit template and scoring shared by all detectors (PyOD's ``BaseDetector``).

    Subclasses declare their ``__init__`` parameters (stored untouched) and
    implement:

    * ``_make_module(n_features, params)``: the untrained network;
    * ``_score(module, x)``: per-row anomaly scores, higher = more anomalous,
      differentiable (the training losses are built from them);
    * ``_risk(params, n_unlabeled, n_anomalies)`` (optional): a callable
      ``(scores_unlabeled, scores_anomalies) -> scalar`` to minimise; the
      default is the unsupervised mean score of the unlabeled rows;
    * ``_training_score(module, x, generator)`` (optional): the per-row
      scores the risk is built from while training, when they differ from
      ``_score`` (a VAE trains on a sampled ELBO, scores by importance
      sampling); ``_callbacks(params, unlabeled, generator)`` (optional):
      the training loop's per-epoch callbacks.

    Each training step scores the unlabeled batch and the labeled-anomaly
    batch in one forward pass, so batch normalisation sees one batch.

    Class attributes: ``_semi_supervised`` (uses labeled anomalies) and
    ``_parameter_checks`` (name -> validator returning the checked value).
    """

    _semi_supervised = False

    _parameter_checks = {
        "hidden_dims": lambda x: v.check_int_tuple(x, "hidden_dims"),
        "latent_dim": lambda x: v.check_int(x, "latent_dim"),
        "epochs": lambda x: v.check_int(x, "epochs"),
        "batch_size": lambda x: v.check_int(x, "batch_size"),
        "lr": lambda x: v.check_float(x, "lr", 0.0, np.inf),
        "weight_decay": lambda x: v.check_float(x, "weight_decay", 0.0, np.inf, low_inclusive=True),
        "lr_milestones": v.check_milestones,
        "validation_fraction": _check_validation_fraction,
        "n_iter_no_change": lambda x: v.check_int(x, "n_iter_no_change"),
        "contamination": check_contamination,
        "random_state": v.check_seed,
        "device": v.check_device,
        "verbose": v.check_verbose,
        "flush_subnormals": lambda x: v.check_bool(x, "flush_subnormals"),
        "input_shape": lambda x: None if x is None else v.check_int_tuple(x, "input_shape", length=3),
    }

    # --- template -----------------------------------------------------------------

    def fit(self, X, y=None):
        """Fit the detector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows: with ``y``, all rows; with ``X_anom``, the
            unlabeled rows.
        y : None, array-like of shape (n_samples,), or array-like of shape (n_anomalies, n_features)
            ``None``: every row is unlabeled. 1-D: 1 = labeled anomaly,
            0 = unlabeled. 2-D: the labeled anomalies themselves
            (``fit(X_unlabeled, X_anom)``), which gives the same model as
            ``fit(vstack([X_unlabeled, X_anom]), [0]*n_u + [1]*n_a)``.

        Returns
        -------
        self

        Notes
        -----
        With ``flush_subnormals=True`` (the default) the calling thread
        treats subnormal floats as zero while training runs, and its previous
        setting is restored when ``fit`` returns or raises.
        """
        params = v.check_params(self)
        if params.input_shape is not None and not params.hidden_dims:
            v._fail("hidden_dims", "at least one channel count for the conv networks (input_shape is set)",
                    self.hidden_dims)
        X_all, labeled = v.split_unlabeled_anomalies(self, X, y)
        n_features = X_all.shape[1]
        v.check_input_shape_fits(self.input_shape, params.input_shape, n_features)
        X_unlabeled, X_anomalies = X_all[~labeled], X_all[labeled]
        if len(X_unlabeled) == 0:
            raise ValueError(
                "X must hold at least one unlabeled row (label 0); got "
                f"{len(X_all)} sample(s), all labeled anomalies."
            )
        if not self._semi_supervised:
            X_anomalies = X_anomalies[:0]
        elif len(X_anomalies) == 0:
            warnings.warn(
                f"{type(self).__name__} got no labeled anomaly; it trains on the "
                "unlabeled rows alone. Pass y with 1 for labeled anomalies, or "
                "fit(X_unlabeled, X_anom).",
                UserWarning,
                stacklevel=2,
            )

        generator = torch.Generator().manual_seed(params.random_state)
        self.module_ = build(lambda: self._make_module(n_features, params), generator, params.device)
        unlabeled = as_tensor(X_unlabeled, params.device)
        anomalies = as_tensor(X_anomalies, params.device)
        self._prepare(params, unlabeled, anomalies, generator)
        self.history_ = self._train(
            self.module_,
            self._objective(params, len(unlabeled), len(anomalies)),
            {"unlabeled": unlabeled, "anomalies": anomalies},
            params,
            generator,
            epochs=params.epochs,
            callbacks=self._callbacks(params, unlabeled, generator),
        )
        self._classes = 2
        self.decision_scores_ = self._score_rows(X_all)
        self._process_decision_scores(labeled)
        return self

    def _train(self, module, objective, streams, params, generator, *, epochs, stage="training", callbacks=()):
        """Run the one training loop with this estimator's optimisation parameters."""
        return train(
            module,
            objective,
            streams,
            epochs=epochs,
            batch_size=params.batch_size,
            lr=params.lr,
            weight_decay=params.weight_decay,
            lr_schedule=None if params.lr_milestones is None else step_decay(epochs, params.lr_milestones),
            generator=generator,
            validation_fraction=params.validation_fraction,
            n_iter_no_change=params.n_iter_no_change,
            flush_subnormals=params.flush_subnormals,
            callbacks=callbacks,
            verbose=params.verbose,
            description=f"{type(self).__name__} {stage}",
        )

    def _prepare(self, params, unlabeled, anomalies, generator):
        """Hook run after the network is built and before training (no-op here)."""

    def _callbacks(self, params, unlabeled, generator):
        return ()

    def _training_score(self, module, x, generator):
        return self._score(module, x)

    def _risk(self, params, n_unlabeled, n_anomalies):
        return lambda scores_unlabeled, scores_anomalies: scores_unlabeled.mean()

    def _objective(self, params, n_unlabeled, n_anomalies):
        """The training loop's objective: one forward pass over U and A, then the risk."""
        risk = self._risk(params, n_unlabeled, n_anomalies)

        def objective(module, batch, generator):
            x_unlabeled, x_anomalies = batch["unlabeled"], batch["anomalies"]
            if len(x_anomalies) == 0:  # no concatenation and no slicing in the graph
                scores = self._training_score(module, x_unlabeled, generator)
                return risk(scores, scores[:0])
            scores = self._training_score(module, torch.cat([x_unlabeled, x_anomalies]), generator)
            return risk(scores[: len(x_unlabeled)], scores[len(x_unlabeled) :])

        return objective

    def _process_decision_scores(self, labeled=None):
        return process_decision_scores(self, labeled)

    def _check_loaded_state(self):
        check_scores_state(self)

    def decision_function(self, X):
        """Anomaly score of each row of ``X``: higher = more anomalous.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "module_")
        return self._score_rows(v.check_X(self, X, reset=False))

    def _score_rows(self, X):
        return predict_float64(self.module_, self._score, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.target_tags.required = False
        return tags


class WeightedRiskMixin:
    """Semi-supervised risk of ABC and Deep SAD: the mean per-row loss over all rows.

    Unlabeled rows contribute their score, labeled anomalies
    ``self._anomaly_loss(score)`` (``pu_detect.losses.weighted_risk``).
    """

    _semi_supervised = True

    def _risk(self, params, n_unlabeled, n_anomalies):
        anomaly_weight = n_anomalies / (n_unlabeled + n_anomalies)

        def risk(scores_unlabeled, scores_anomalies):
            return weighted_risk(
                scores_unlabeled, self._anomaly_loss(params, scores_anomalies), anomaly_weight
            )

        return risk


def _check_prior(value):
    if isinstance(value, str) and value == "auto":
        return value
    try:
        return v.check_float(value, "prior", 0.0, 1.0)
    except ValueError:
        v._fail("prior", "'auto' or a real number in (0.0, 1.0)", value)


class PURiskMixin:
    """Positive-unlabeled risk (``pu_detect.losses.pu_risk``) with ``l-`` = the
    score and ``l+ = self._anomaly_loss(score)``; adds ``prior`` and ``correction``."""

    _semi_supervised = True

    PARAMETER_CHECKS = {
        "prior": _check_prior,
        "correction": lambda x: v.check_option(x, "correction", ("abs", "nnpu")),
        "contamination": lambda x: check_contamination(x, allow_prior=True, allow_recall=True),
    }

    def _check_loaded_state(self):
        super()._check_loaded_state()
        if not 0.0 < float(self.prior_) < 1.0:
            raise ValueError(f"prior_ must be in (0, 1); got {self.prior_!r}")

    def _prepare(self, params, unlabeled, anomalies, generator):
        if params.prior == "auto" and (len(unlabeled) < 2 or len(anomalies) < 1):
            v._fail("prior", "a number when there are fewer than 2 unlabeled rows or no labeled anomaly "
                    "('auto' estimates it from both)",
                    f"'auto' with {len(unlabeled)} unlabeled row(s) and {len(anomalies)} labeled anomalies")
        if params.prior == "auto":
            self.prior_ = estimate_prior(
                unlabeled.cpu().numpy(), anomalies.cpu().numpy(), params.random_state % 2**32
            )
        else:
            self.prior_ = params.prior
        super()._prepare(params, unlabeled, anomalies, generator)

    def _risk(self, params, n_unlabeled, n_anomalies):
        def risk(scores_unlabeled, scores_anomalies):
            return pu_risk(
                scores_unlabeled,
                scores_anomalies,
                self._anomaly_loss(params, scores_anomalies),
                self.prior_,
                params.correction,
            )

        return risk
