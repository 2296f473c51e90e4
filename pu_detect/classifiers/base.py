"""The shared base of every pu_detect neural classifier: one fit template, one prediction rule.

A family supplies its network, its training loss and how its outputs become
class probabilities; the base does validation, training in the one loop,
batched float64 inference, persistence, and describes the fitted classifier
to the detectors and attacks (``BaseNeuralClassifier._torch_classifier``).
"""

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ..engine import as_tensor, predict_float64, shift_images, step_decay, train
from ..engine.optim import OPTIMIZERS
from ..networks import Classifier, ResNetClassifier, build
from ..persistence import PersistenceMixin
from ..utils import validation as v
from ..attacks.adapter import TorchClassifier, check_targets, forward, module_features


def _check_hidden_dims(value):
    if value is None:
        return None
    dims = v.check_int_tuple(value, "hidden_dims")
    if not dims:
        v._fail("hidden_dims", "None or a non-empty sequence of integers >= 1", value)
    return dims


class BaseNeuralClassifier(PersistenceMixin, ClassifierMixin, BaseEstimator):
    """Fit template, inference and the prediction rule shared by the neural classifiers.

    Subclasses declare their ``__init__`` parameters (stored untouched) and
    implement:

    * ``_make_module(n_features, params)``: the untrained network (with
      ``len(self.classes_)`` outputs and, for K-density, a ``features``
      submodule);
    * ``_loss(params)``: a callable ``(module, x, target, generator) ->
      scalar`` to minimise (``generator``: the training loop's, for any
      randomness the loss draws, such as an attack's random start);
    * ``_prediction_logits(module, x)`` (optional): logits whose softmax is
      the predicted class distribution; the default is the network's output
      (an RCE network returns ``-Z``);
    * ``_prepare_module(params)`` (optional): anything the built network
      needs before training (ABS draws its fixed prior codes here).

    A loss may also take extra training streams as keyword arguments: a
    subclass's ``fit`` passes them as ``_fit(X, y, {name: rows})``.

    Class attributes: ``_parameter_checks`` (name -> validator) and
    ``_default_adam_lr`` (Adam's step size when ``lr=None``).
    """

    _default_adam_lr = 1e-3

    _parameter_checks = {
        "hidden_dims": _check_hidden_dims,
        "input_shape": lambda x: None if x is None else v.check_int_tuple(x, "input_shape", length=3),
        "epochs": lambda x: v.check_int(x, "epochs"),
        "batch_size": lambda x: v.check_int(x, "batch_size"),
        "lr": lambda x: None if x is None else v.check_float(x, "lr", 0.0, np.inf),
        "weight_decay": lambda x: None if x is None else v.check_float(x, "weight_decay", 0.0, np.inf,
                                                                        low_inclusive=True),
        "validation_fraction": lambda x: None if x is None else v.check_float(x, "validation_fraction", 0.0, 1.0),
        "n_iter_no_change": lambda x: v.check_int(x, "n_iter_no_change"),
        "device": v.check_device,
        "random_state": v.check_seed,
        "verbose": v.check_verbose,
        "flush_subnormals": lambda x: v.check_bool(x, "flush_subnormals"),
        "optimizer": lambda x: v.check_option(x, "optimizer", ("auto", *OPTIMIZERS)),
        "momentum": lambda x: v.check_float(x, "momentum", 0.0, 1.0, low_inclusive=True),
        "lr_milestones": lambda x: v.check_milestones(x, allow_auto=True),
        "shift_augmentation": lambda x: v.check_float(x, "shift_augmentation", 0.0, 0.5, low_inclusive=True),
    }

    def fit(self, X, y):
        """Fit the classifier on rows ``X`` with class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self

        Notes
        -----
        With ``flush_subnormals=True`` (the default) the calling thread
        treats subnormal floats as zero while training runs, and its previous
        setting is restored when ``fit`` returns or raises.
        """
        return self._fit(X, y)

    def _fit(self, X, y, extra_rows=None, params=None):
        """The fit template; ``extra_rows`` (name -> checked float32 rows) become extra training streams,
        each batch of which the loss receives as a keyword argument. ``params``: the checked parameters,
        where a subclass's ``fit`` has checked them already."""
        params = v.check_params(self) if params is None else params
        X = v.check_X(self, X, reset=True)
        y = check_targets(y, len(X))
        self.classes_, target = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            v._fail("y", "class labels of at least 2 classes", f"1 class ({self.classes_[0]!r})")
        n_features = X.shape[1]
        v.check_input_shape_fits(self.input_shape, params.input_shape, n_features)
        if params.shift_augmentation and params.input_shape is None:
            v._fail("input_shape", f"the (C, H, W) shape of the images with shift_augmentation="
                    f"{params.shift_augmentation}", None)
        generator = torch.Generator().manual_seed(params.random_state)
        self.module_ = build(lambda: self._make_module(n_features, params), generator, params.device)
        self._prepare_module(params)
        rows = as_tensor(X, params.device)
        data = (rows, torch.as_tensor(target, device=params.device))
        extra = {name: as_tensor(value, params.device) for name, value in (extra_rows or {}).items()}
        loss = self._loss(params)

        def objective(module, batch, generator):
            x, t = batch["rows"]
            return loss(module, x, t, generator, **{name: batch[name] for name in extra})

        def shifted(module, batch, generator):
            x, t = batch["rows"]
            return {**batch, "rows": (shift_images(x, params.input_shape, params.shift_augmentation, generator), t)}

        optimizer, lr, weight_decay, milestones = self._training_recipe(params)
        self.history_ = train(
            self.module_, objective, {"rows": data, **extra}, epochs=params.epochs,
            batch_size=params.batch_size, lr=lr, weight_decay=weight_decay,
            generator=generator, validation_fraction=params.validation_fraction,
            n_iter_no_change=params.n_iter_no_change, flush_subnormals=params.flush_subnormals,
            optimizer=optimizer, momentum=params.momentum,
            lr_schedule=None if milestones is None else step_decay(params.epochs, milestones),
            verbose=params.verbose, description=self._description(params),
            batch_transform=shifted if params.shift_augmentation else None,
        )
        return self

    def _prepare_module(self, params):
        """Hook run on the built network before training (no-op here)."""

    def _auto_optimizer(self, params):
        """The optimiser ``optimizer="auto"`` means for this network (Adam here)."""
        return "adam"

    def _training_recipe(self, params):
        """Optimiser, step size, weight decay and milestones, with each ``"auto"`` / ``None`` resolved.

        SGD (momentum, lr 0.1, weight decay 2e-4, the rate divided by 10 at half and
        three quarters of training) is the residual networks' recipe; Adam (lr
        ``_default_adam_lr``, 1e-3 unless a family sets its paper's, no weight decay, no
        schedule) the small networks'.
        """
        optimizer = self._auto_optimizer(params) if params.optimizer == "auto" else params.optimizer
        sgd = optimizer == "sgd"
        lr = (0.1 if sgd else self._default_adam_lr) if params.lr is None else params.lr
        weight_decay = (2e-4 if sgd else 0.0) if params.weight_decay is None else params.weight_decay
        milestones = ((0.5, 0.75) if sgd else None) if params.lr_milestones == "auto" else params.lr_milestones
        return optimizer, lr, weight_decay, milestones

    def _description(self, params):
        return type(self).__name__

    def _prediction_logits(self, module, x):
        return forward(module, x)

    def _rows(self, X):
        check_is_fitted(self, "module_")
        return v.check_X(self, X, reset=False)

    def logits(self, X):
        """The network's outputs ``Z`` (before any prediction rule), shape (n_samples, n_classes)."""
        X = self._rows(X)
        return predict_float64(self.module_, forward, X)

    def features(self, X):
        """Penultimate-layer activations, shape (n_samples, width of the feature layer)."""
        X = self._rows(X)
        return predict_float64(self.module_, module_features, X)

    def predict_proba(self, X):
        """Class probabilities: the softmax of the prediction logits (``softmax(-Z)`` for RCE)."""
        X = self._rows(X)
        return softmax(predict_float64(self.module_, self._prediction_logits, X), axis=1)

    def predict(self, X):
        """The most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _torch_classifier(self):
        """This fitted classifier for the detectors and attacks (``torch_classifier``)."""
        check_is_fitted(self, "module_")
        has_features = isinstance(getattr(self.module_, "features", None), torch.nn.Module)
        return TorchClassifier(self.module_, self._prediction_logits, module_features if has_features else None,
                               self.classes_, self.n_features_in_)

    def _check_loaded_state(self):
        classes = np.asarray(self.classes_)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(f"classes_ must be a 1-D array of at least 2 classes; got shape {classes.shape}")
        with torch.no_grad():
            device = next(self.module_.parameters()).device
            width = self.module_(torch.zeros(1, self.n_features_in_, device=device)).shape[1]
        if width != len(classes):
            raise ValueError(f"classes_ must name the network's {width} outputs; got {len(classes)} classes")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class NetworkChoice:
    """The ``architecture`` / ``units_per_stage`` parameters: an MLP, the small conv net or the ResNet.

    A mixin of the classifiers that build ``pu_detect.networks.Classifier`` or
    ``pu_detect.networks.ResNetClassifier`` from ``hidden_dims`` and
    ``input_shape``; ``"auto"`` means the MLP for flat rows and
    ``_auto_image_architecture`` for images.
    """

    _parameter_checks = {
        "architecture": lambda x: v.check_option(x, "architecture", ("auto", "mlp", "conv", "resnet")),
        "units_per_stage": lambda x: v.check_int(x, "units_per_stage"),
    }
    _auto_image_architecture = "resnet"
    _default_conv_dims = (16, 32, 64)

    def _architecture(self, params):
        if params.architecture == "auto":
            return "mlp" if params.input_shape is None else self._auto_image_architecture
        if params.architecture in ("conv", "resnet") and params.input_shape is None:
            v._fail("input_shape", f"the (C, H, W) shape of the images for architecture={params.architecture!r}",
                    None)
        return params.architecture

    def _network(self, n_features, params):
        hidden = params.hidden_dims
        architecture = self._architecture(params)
        if architecture == "resnet":
            return ResNetClassifier(params.input_shape, len(self.classes_), hidden or (16, 32, 64),
                                    params.units_per_stage)
        if hidden is None:
            hidden = (256, 256) if architecture == "mlp" else self._default_conv_dims
        return Classifier(n_features, len(self.classes_), hidden, None if architecture == "mlp" else params.input_shape)

    def _make_module(self, n_features, params):
        return self._network(n_features, params)

    def _auto_optimizer(self, params):
        return "sgd" if self._architecture(params) == "resnet" else "adam"
