"""Analysis by synthesis (ABS; Schott, Rauber, Bethge and Brendel, ICLR 2019): a classifier of class VAEs."""

import math

import numpy as np
import torch

from ..attacks._core import check_clip
from ..losses import squared_error_elbo
from ..networks import ClassVAEs
from ..utils import validation as v
from .base import BaseNeuralClassifier


class ABSClassifier(BaseNeuralClassifier):
    """A generative classifier: one VAE per class, a class's logit its best reconstruction of the input.

    Training fits each class's VAE on that class's rows alone (squared
    error plus ``beta`` times the KL term, ``pu_detect.losses.squared_error_elbo``).
    Inference finds, per class, the latent code that best explains the
    input, ``l_c(x) = min_z (||x - G_c(z)||^2 + beta ||z||^2 / 2) / n_features``
    (the best of ``n_prior_samples`` prior draws, then ``inference_steps``
    Adam steps of size ``inference_lr`` projected onto a ball of radius
    ``radius``), and predicts with the paper's scaled softmax with an offset,
    ``p_c = (exp(-softmax_scale l_c) + offset) / sum_j (exp(-softmax_scale l_j) + offset)``,
    which keeps inputs far from every class (noise) from high confidence.

    Attacks: the logits are differentiable in ``x`` with the optimal codes
    held fixed (Danskin's theorem: the gradient of a minimum at its
    minimiser), so every gradient attack of ``pu_detect.attacks`` runs on it;
    the codes are not re-optimised inside the attack's gradient, so the
    gradient is exact only where the inner search found the global minimum
    (the paper evaluated ABS with gradient-free and estimated-gradient
    attacks for this reason). With ``binarize=True`` (binary ABS) the
    gradient through the threshold is zero: use gradient-free attacks
    (``natural_adversarial``, stAdv's transform is not gradient-free).

    What is the paper's and what is ours: the class VAEs (8 latents), the
    loss, the inference (best prior draw, 50 Adam steps of 0.05, radius 5,
    the 10% of draws with the largest norms dismissed), the scaled softmax
    (440, 3.9e-5) and the binarisation at 0.5 are the authors'. Ours: MLP
    encoders and decoders by default (theirs are conv nets with ELU and
    BatchNorm: ``input_shape`` gives the library's conv VAE, at several times
    the inference cost), 1,000 prior draws instead of 8,000 (inference cost
    on a CPU), no class balancing, and without binary ABS's per-class
    scalings. The authors train on augmented images (zoom, shear, skew and
    elastic distortion, each with probability 0.1); the library's option is
    random shifts (``shift_augmentation`` with ``input_shape``;
    ``architecture="mlp"`` keeps the MLP VAEs), off by default.

    Parameters
    ----------
    latent_dim : int, default=8
    hidden_dims : tuple of int, default=(256,)
        Hidden widths of each class's encoder (channels with ``input_shape``); the decoder mirrors them.
    input_shape : tuple (C, H, W) or None, default=None
        The shape of the images the rows hold: needed by the conv VAEs and by
        ``shift_augmentation``.
    architecture : {"auto", "mlp", "conv"}, default="auto"
        The class VAEs' encoders and decoders: ``"auto"`` means conv VAEs when
        ``input_shape`` is given and MLPs otherwise; ``"mlp"`` keeps MLPs over
        images (with ``input_shape`` for the augmentation only).
    beta : float >= 0, default=1.0
    n_prior_samples : int, default=1000
    inference_steps : int >= 0, default=50
    inference_lr : float, default=0.05
    radius : float, default=5.0
    softmax_scale : float, default=440.0
        The authors' value for MNIST (per-pixel losses about 0.01); data that
        reconstruct worse need a smaller one, or every prediction is near
        uniform.
    softmax_offset : float >= 0, default=3.9e-5
    binarize : bool, default=False
        Threshold inputs at 0.5 in training and inference (binary ABS).
    clip : tuple (low, high) or None, default=(0.0, 1.0)
        The input range: the decoders end in a sigmoid scaled to it (the
        paper's, for images in [0, 1]) and ``X`` must lie in it; ``None``:
        linear decoders and any real inputs.
    epochs : int, default=50
        The authors train 10 epochs over MNIST's 60,000 images (about 4,700
        steps of 128); 50 over 7,000 images are 2,700 steps. On the 7,000 /
        3,000 MNIST split (seed 0) 10 epochs gave 96.3% test accuracy (300
        images), 50 gave 97.9% (1,000 images); 87 (the authors' 4,700 steps)
        gave 97.57 / 96.97 / 97.73% on seeds 0-2 (3,000 images) against 50's
        97.70 / 96.73 / 97.33%; 87 on images shifted by up to a pixel
        (``input_shape=(1, 28, 28), architecture="mlp", shift_augmentation=0.05``)
        gave 97.60 / 97.07 / 97.53%.
    batch_size : int, default=128
    lr : float or None, default=None
        ``None``: 3e-3, the authors' Adam step size.
    weight_decay, optimizer, momentum, lr_milestones, validation_fraction, n_iter_no_change, device,
    random_state, verbose, flush_subnormals, shift_augmentation
        As in ``pu_detect.RCEClassifier``.

    Attributes
    ----------
    classes_, module_ (``pu_detect.networks.ClassVAEs``), history_, n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> # softmax_scale 440 is calibrated on MNIST's 28 x 28 images; 8 x 8 digits reconstruct worse.
    >>> clf = ABSClassifier(hidden_dims=(64,), epochs=30, inference_steps=10, softmax_scale=100, random_state=0)
    >>> clf = clf.fit(X[:1000] / 16, y[:1000])
    >>> bool(clf.score(X[1000:1200] / 16, y[1000:1200]) > 0.85)
    True
    >>> noise = np.random.default_rng(0).uniform(size=(50, 64))
    >>> bool(clf.predict_proba(noise).max(1).mean() < clf.predict_proba(X[1000:1200] / 16).max(1).mean())
    True
    """

    _default_adam_lr = 3e-3  # the authors'
    _parameter_checks = {
        "latent_dim": lambda x: v.check_int(x, "latent_dim"),
        "hidden_dims": lambda x: v.check_int_tuple(x, "hidden_dims"),
        "input_shape": BaseNeuralClassifier._parameter_checks["input_shape"],
        "architecture": lambda x: v.check_option(x, "architecture", ("auto", "mlp", "conv")),
        "beta": lambda x: v.check_float(x, "beta", 0.0, np.inf, low_inclusive=True),
        "n_prior_samples": lambda x: v.check_int(x, "n_prior_samples"),
        "inference_steps": lambda x: v.check_int(x, "inference_steps", min_value=0),
        "inference_lr": lambda x: v.check_float(x, "inference_lr", 0.0, np.inf),
        "radius": lambda x: v.check_float(x, "radius", 0.0, np.inf),
        "softmax_scale": lambda x: v.check_float(x, "softmax_scale", 0.0, np.inf),
        "softmax_offset": lambda x: v.check_float(x, "softmax_offset", 0.0, np.inf, low_inclusive=True),
        "binarize": lambda x: v.check_bool(x, "binarize"),
        "clip": lambda x: None if x is None else check_clip(x),
        **{k: c for k, c in BaseNeuralClassifier._parameter_checks.items() if k not in ("hidden_dims", "input_shape")},
    }

    def __init__(
        self,
        latent_dim=8,
        hidden_dims=(256,),
        input_shape=None,
        architecture="auto",
        beta=1.0,
        n_prior_samples=1000,
        inference_steps=50,
        inference_lr=0.05,
        radius=5.0,
        softmax_scale=440.0,
        softmax_offset=3.9e-5,
        binarize=False,
        clip=(0.0, 1.0),
        epochs=50,
        batch_size=128,
        lr=None,
        weight_decay=None,
        optimizer="adam",
        momentum=0.9,
        lr_milestones=None,
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
        flush_subnormals=True,
        shift_augmentation=0.0,
    ):
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.input_shape = input_shape
        self.architecture = architecture
        self.beta = beta
        self.n_prior_samples = n_prior_samples
        self.inference_steps = inference_steps
        self.inference_lr = inference_lr
        self.radius = radius
        self.softmax_scale = softmax_scale
        self.softmax_offset = softmax_offset
        self.binarize = binarize
        self.clip = clip
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
        """Fit one VAE per class on rows ``X`` (inside ``clip``) with class labels ``y``; returns ``self``."""
        params = v.check_params(self)
        X = v.check_rows(X, "X")
        if params.clip is not None:
            v.check_within(X, "X", *params.clip, f"values inside clip={params.clip} (the decoders' images lie in it; "
                           "clip=None for linear decoders)")
        return self._fit(X, y, params=params)

    def _make_module(self, n_features, params):
        if params.architecture == "conv" and params.input_shape is None:
            v._fail("input_shape", "the (C, H, W) shape of the images for architecture='conv'", None)
        conv_shape = None if params.architecture == "mlp" else params.input_shape
        return ClassVAEs(n_features, len(self.classes_), params.hidden_dims, params.latent_dim, conv_shape,
                         params.n_prior_samples, params.inference_steps, params.inference_lr, params.radius,
                         params.beta, params.clip)

    def _prepare_module(self, params):
        # The prior draws come from their own generator (seeded from random_state), not the training one.
        self.module_.draw_prior_samples(torch.Generator().manual_seed((params.random_state + 1) % 2**63))

    def _loss(self, params):
        def loss(module, x, t, generator):
            if params.binarize:
                x = (x >= 0.5).to(x.dtype)
            total = x.new_zeros(())
            for c, vae in enumerate(module.class_vaes):
                rows = x[t == c]
                if len(rows):
                    z, mu, log_variance = vae.posterior_sample(rows, generator)
                    total = total + squared_error_elbo(rows, module.class_image(c, z), mu, log_variance, params.beta,
                                                       reduction="sum")
            return total / len(x)

        return loss

    def _prediction_logits(self, module, x):
        """``log(exp(-scale l_c) + offset)``: their softmax is the paper's offset posterior."""
        if self.binarize:
            x = (x >= 0.5).to(x.dtype)
        scaled = self.softmax_scale * module(x)
        if self.softmax_offset == 0:
            return scaled
        return torch.logaddexp(scaled, torch.full_like(scaled, math.log(self.softmax_offset)))

    def _description(self, params):
        return f"ABSClassifier ({len(self.classes_)} class VAEs)"
