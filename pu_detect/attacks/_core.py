"""What every attack shares: the frozen target, input checks, batching, clipping."""

import copy
from types import SimpleNamespace

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from .adapter import TorchClassifier, class_indices, wrap_classifier
from ..losses.classification import _margin
from ..utils import validation as v


def check_core_batch(x0, labels=None, *, x_name="x0", labels_name="labels"):
    """The batch of a tensor-level core: ``x0`` floating point, one row per sample; ``labels`` one class index per row.

    Class indices above the classifier's outputs are left to the first
    forward pass: the core has no logits before it.
    """
    v.check_tensor(x0, x_name, rows=True)
    if labels is not None:
        v.check_class_indices(labels, labels_name, len(x0), x_name)


class Target:
    """The classifier as float32 torch functions on a frozen eval-mode copy.

    ``Target(model).logits`` is a callable ``x -> logits`` that a tensor-level
    attack core takes (``name``: the parameter an error about ``model`` names);
    adversarial training hands the cores its live module's logits instead.
    """

    def __init__(self, model, name="model"):
        model = wrap_classifier(model, None, name)
        self.module = copy.deepcopy(model.module).float().eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.model = model
        first = next(self.module.parameters(), None)  # a module without parameters runs on the CPU
        self.device = first.device if first is not None else torch.device("cpu")

    def logits(self, x):
        return self.model.logits(self.module, x)

    def features(self, x):
        return self.model.require_features("this attack")(self.module, x)

    def class_index(self, y, n_rows):
        """True classes as indices into the classifier's outputs, on the attack's device."""
        return torch.as_tensor(class_indices(self.model.classes, y, n_rows), device=self.device)

    def predicted_index(self, x):
        """The predicted class of each row, as an index into the outputs."""
        return self.logits(x).argmax(1)


class ScikitLearnTarget:
    """A fitted scikit-learn classifier as a black box for the gradient-free attacks (on the CPU).

    ``logits`` are its log probabilities (where it has ``predict_proba``);
    ``predicted_index`` its ``predict``. It has what the attacks' input checks
    read from a ``Target``: ``device`` and ``model.n_features``.
    """

    def __init__(self, classifier):
        check_is_fitted(classifier)
        self.classifier = classifier
        self.classes = np.asarray(classifier.classes_)
        self.device = torch.device("cpu")
        self.model = SimpleNamespace(n_features=getattr(classifier, "n_features_in_", None))

    def logits(self, x):
        probabilities = self.classifier.predict_proba(x.numpy().astype(np.float64))
        return torch.as_tensor(np.log(np.clip(probabilities, 1e-12, None)), dtype=torch.float32)

    def predicted_index(self, x):
        return self.class_index(self.classifier.predict(x.numpy().astype(np.float64)), len(x))

    def class_index(self, y, n_rows):
        return torch.as_tensor(class_indices(self.classes, y, n_rows))


def black_box_target(model, scores):
    """``Target(model)`` for a torch classifier, else a ``ScikitLearnTarget``.

    ``scores=True``: the attack needs class scores (a scikit-learn model
    must have ``predict_proba``); ``False``: decisions only (``predict``).
    """
    if (hasattr(model, "_torch_classifier") or hasattr(model, "module_")
            or isinstance(model, (torch.nn.Module, TorchClassifier))):
        return Target(model)
    method = "predict_proba" if scores else "predict"
    if not hasattr(model, method):
        v._fail("model", f"a fitted pu_detect classifier, skorch net or torch.nn.Module, or a fitted scikit-learn "
                f"classifier with {method}", type(model).__name__)
    return ScikitLearnTarget(model)


def check_clip(clip):
    """``clip``: a pair of finite numbers ``(low, high)`` with ``low < high``."""
    try:
        low, high = (float(c) for c in clip)
    except (TypeError, ValueError):
        v._fail("clip", "a pair of real numbers (low, high) with low < high", clip)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        v._fail("clip", "a pair of finite real numbers (low, high) with low < high", clip)
    return low, high


def check_rows(X, clip, target, name="X"):
    """The attack's input rows (the parameter ``name``) as a float32 tensor on the target's device, inside ``clip``."""
    X = v.check_rows(X, name)
    v.check_within(X, name, *clip, f"values inside clip={clip}", tolerance=1e-6)
    if target.model.n_features is not None and X.shape[1] != target.model.n_features:
        v._fail(name, f"rows of the classifier's {target.model.n_features} features", f"{X.shape[1]} features")
    return torch.as_tensor(np.array(X, dtype=np.float32), device=target.device)


def check_eps(eps, clip):
    return v.check_float(eps, "eps", 0.0, clip[1] - clip[0], high_inclusive=True)


def check_steps(steps, step_size, default):
    """``steps`` and ``step_size`` (``None``: ``default(steps)``), a positive finite number."""
    steps = v.check_int(steps, "steps")
    if step_size is None:
        return steps, default(steps)
    return steps, v.check_float(step_size, "step_size", 0.0, np.inf)


def check_batch_size(batch_size):
    return v.check_int(batch_size, "batch_size")


def prepare(model, X, clip, batch_size):
    """Every attack's preamble: the frozen target, ``clip`` and ``batch_size`` checked, the rows checked.

    Returns ``(target, rows as a tensor, clip, batch_size)``.
    """
    target = Target(model)
    clip = check_clip(clip)
    return target, check_rows(X, clip, target), clip, check_batch_size(batch_size)


def in_batches(attack, X, labels, batch_size):
    """``attack(x, labels)`` over row batches; the adversarial rows as a float32 array."""
    out = [attack(X[i : i + batch_size], labels[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    return torch.cat(out).cpu().numpy()


def gradient(loss, x):
    return torch.autograd.grad(loss, x)[0]


def margin(logits, labels, targeted=False):
    """C&W's f per row: how far an attack is from its goal (``<= -kappa`` once reached with confidence ``kappa``).

    Untargeted: ``Z_y - max_{i != y} Z_i``; targeted (``labels`` the targets): ``max_{i != t} Z_i - Z_t``.
    """
    gap = _margin(logits, labels)  # the losses' logit margin, unchecked
    return -gap if targeted else gap


def n_outputs(target, X):
    """How many classes the classifier scores (from one forward pass: a plain module names no classes)."""
    with torch.no_grad():
        return target.logits(X[:1]).shape[1]


def target_classes(target, X, targets, labels, random_state):
    """Each row's target class: ``targets`` checked to differ from ``labels``, or a random other class."""
    if targets is None:
        n_classes = n_outputs(target, X)
        generator = torch.Generator().manual_seed(v.check_seed(random_state))
        shift = torch.randint(1, n_classes, (len(labels),), generator=generator).to(target.device)
        return (labels + shift) % n_classes
    goals = target.class_index(targets, len(labels))
    if bool((goals == labels).any()):
        v._fail("targets", "a class other than y for every row", "a row whose target is its own class")
    return goals


def image_shape(input_shape, model, n_features, fallback=None):
    """``input_shape``, else the classifier's own, else ``fallback``: a checked (C, H, W) of ``n_features`` values."""
    shape = input_shape if input_shape is not None else getattr(model, "input_shape", None)
    if shape is None:
        if fallback is None:
            v._fail("input_shape", "the (C, H, W) shape of the images (the classifier has none)", None)
        return fallback
    shape = tuple(v.check_int_tuple(shape, "input_shape", length=3))
    if int(np.prod(shape)) != n_features:
        v._fail("input_shape", f"a (C, H, W) shape of {n_features} values", shape)
    return shape
