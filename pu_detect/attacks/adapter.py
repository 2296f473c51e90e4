"""Any fitted classifier seen as torch functions, for the detectors and the attacks.

``torch_classifier`` accepts a pu_detect classifier (which describes
itself through ``_torch_classifier()``), a fitted skorch
``NeuralNetClassifier`` or a plain ``torch.nn.Module`` returning logits. It
imports no estimator class: a classifier of a new family works with every
detector and attack as soon as its base supplies ``_torch_classifier``.
"""

from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ..utils import validation as v


@dataclass(frozen=True)
class TorchClassifier:
    """A fitted classifier as torch functions.

    ``logits(module, x)``: logits whose softmax is the predicted class
    distribution (``-Z`` for an RCE network); ``features(module, x)``: the
    penultimate layer, or ``None`` when the classifier exposes none (only
    K-density needs it); ``module``: the network; ``classes``: the class
    labels of the outputs (``None``: the outputs' indices); ``n_features``:
    the input width where known.
    """

    module: torch.nn.Module
    logits: Callable
    features: Optional[Callable]
    classes: Optional[np.ndarray]
    n_features: Optional[int]

    def require_features(self, who):
        """``features``, or a clear error naming ``who`` needs it."""
        if self.features is None:
            v._fail("features", f"a callable (module, x) -> penultimate features for {who}, since the "
                    "classifier's module has no 'features' submodule", None)
        return self.features


def torch_classifier(classifier, features=None):
    """Wrap a fitted classifier for the detectors and ``pu_detect.attacks``.

    Parameters
    ----------
    classifier : pu_detect classifier, skorch NeuralNetClassifier, torch.nn.Module or TorchClassifier
        Fitted. A skorch net trained with
        ``ReverseCrossEntropyLoss`` as criterion is
        read as an RCE network (predicting with ``softmax(-Z)``). A plain
        module must return logits whose softmax is its class distribution
        (for an RCE network, return ``-Z``).
    features : callable ``(module, x) -> Tensor`` or None
        The penultimate layer, needed by K-density only; ``None`` uses
        ``module.features`` where the module has one (as
        ``pu_detect.networks.Classifier`` does).

    Returns
    -------
    TorchClassifier

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 3))
    >>> model = torch_classifier(net)
    >>> model.logits(model.module, torch.zeros(2, 4)).shape, model.features is None
    (torch.Size([2, 3]), True)
    """
    return wrap_classifier(classifier, features, "classifier")


def wrap_classifier(classifier, features, name):
    """``torch_classifier(classifier, features)``, whose error names the caller's parameter ``name``."""
    if isinstance(classifier, TorchClassifier):
        return classifier
    if features is not None and not callable(features):
        v._fail("features", "a callable (module, x) -> penultimate features, or None", features)
    if hasattr(classifier, "_torch_classifier"):
        model = classifier._torch_classifier()
        return model if features is None else replace(model, features=features)
    classes = None
    reverse = False
    if isinstance(classifier, torch.nn.Module):
        module = classifier
    elif hasattr(classifier, "module_") and hasattr(classifier, "criterion_"):  # skorch
        from ..losses import ReverseCrossEntropyLoss

        module = classifier.module_
        reverse = isinstance(classifier.criterion_, ReverseCrossEntropyLoss)
        classes = getattr(classifier, "classes_", None)
        classes = getattr(classifier, "classes_inferred_", None) if classes is None else classes
    else:
        v._fail(name, "a fitted pu_detect classifier, skorch NeuralNetClassifier or torch.nn.Module",
                type(classifier).__name__)
    if features is None and isinstance(getattr(module, "features", None), torch.nn.Module):
        features = module_features
    first = next((p for p in module.parameters() if p.dim() >= 2), None)
    n_features = first.shape[1] if first is not None and first.dim() == 2 else None
    return TorchClassifier(module, reversed_forward if reverse else forward, features,
                           None if classes is None else np.asarray(classes), n_features)


def forward(module, x):
    """The module's output as logits."""
    return module(x)


def reversed_forward(module, x):
    """``-module(x)``: the prediction logits of an RCE network."""
    return -module(x)


def module_features(module, x):
    """``module.features(x)``: the penultimate layer of a ``pu_detect.networks.Classifier``."""
    return module.features(x)


def check_targets(y, n_samples):
    """Class labels, one per row: 1-D, classification targets, ``n_samples`` long."""
    if y is None:
        raise ValueError("This classifier requires y to be passed, but the target y is None: "
                         "y must be class labels, one per row of X.")
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if len(y) != n_samples:
        v._fail("y", f"{n_samples} labels, one per row of X", f"{len(y)} labels")
    return y


def class_indices(classes, y, n_rows):
    """Class labels ``y`` (one per row) as indices into ``classes``, the classifier's outputs.

    ``classes=None`` (a plain torch module) takes ``y`` as the indices themselves.

    Examples
    --------
    >>> import numpy as np
    >>> class_indices(np.array(["cat", "dog"]), ["dog", "cat", "dog"], 3).tolist()
    [1, 0, 1]
    """
    y = check_targets(y, v.check_int(n_rows, "n_rows", 0))
    if classes is None:
        return y.astype(np.int64)
    index = {c: i for i, c in enumerate(classes.tolist())}
    unknown = sorted(set(np.unique(y).tolist()) - set(index))
    if unknown:
        v._fail("y", f"classes the classifier was fitted on ({classes.tolist()})", unknown)
    return np.array([index[c] for c in y.tolist()], dtype=np.int64)
