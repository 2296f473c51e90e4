"""Confidence-calibrated classifiers (Lee, Lee, Lee and Shin, ICLR 2018): uncertain off the data."""

import numpy as np
import torch
import torch.nn.functional as F

from ..attacks._core import check_clip
from ..losses import gan_losses, uniform_kl
from ..networks import ClassifierWithGAN, RowGAN
from ..utils import validation as v
from .base import BaseNeuralClassifier, NetworkChoice

PATCH_GRID = 4  # synthetic_outliers cuts images into 4 x 4 patches


def synthetic_outliers(x, target, generator, image_shape=None):
    """Out-of-distribution rows made from a batch of training rows: one per row of ``x``.

    Each row is turned, with equal chances, into one of:

    * **permuted**: its features in a random order (the "permuted pixels"
      of Hein, Andriushchenko and Bitterwolf, CVPR 2019): the row's values,
      none of its structure: far from the data;
    * **mixed**: the mean of it and another row of the batch of a *different*
      class: between two classes' rows: near the data;
    * **patch-shuffled** (images only, ``image_shape=(C, H, W)``): the image
      cut into a 4 x 4 grid of patches and the patches put in a random order
      (any border beyond ``4 * (H // 4)`` rows or columns stays in place):
      local strokes, no global shape.

    A row drawn to be mixed whose partner has its own class is permuted
    instead. The three kinds are the library's choice for the confidence
    loss (``ConfidenceCalibratedClassifier(outliers="synthetic")``), not
    Lee et al.'s, who train on a GAN's samples.

    Parameters
    ----------
    x : torch.Tensor of shape (n, n_features), floating point
    target : torch.Tensor of shape (n,), the class index of each row
    generator : torch.Generator
        Every draw (kinds, orders, partners) comes from it, on the CPU.
    image_shape : tuple (C, H, W) or None, default=None
        The rows' image shape (``C * H * W == n_features``); ``None``: flat
        rows, no patch shuffling.

    Returns
    -------
    torch.Tensor of the shape, dtype and device of ``x``

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(8.0).reshape(2, 4)
    >>> out = synthetic_outliers(x, torch.tensor([0, 1]), torch.Generator().manual_seed(0))
    >>> out.shape, bool(((out.sort(1).values == x.sort(1).values).all(1) | (out == x.mean(0)).all(1)).all())
    (torch.Size([2, 4]), True)
    """
    v.check_tensor(x, "x", dim=2)
    v.check_class_indices(target, "target", len(x), "x")
    v.check_generator(generator)
    if image_shape is not None:
        image_shape = v.check_image_shape(image_shape, x.shape[1])
    n, device = len(x), x.device
    permuted = x.gather(1, torch.rand(x.shape, generator=generator).argsort(1).to(device))
    partner = torch.randperm(n, generator=generator).to(device)
    mixed = (x + x[partner]) / 2
    kinds = torch.randint(0, 2 if image_shape is None else 3, (n,), generator=generator).to(device)
    kinds[(kinds == 1) & (target == target[partner])] = 0
    out = torch.where((kinds == 1)[:, None], mixed, permuted)
    if image_shape is not None:
        out = torch.where((kinds == 2)[:, None], _shuffle_patches(x, image_shape, generator), out)
    return out


def _shuffle_patches(x, image_shape, generator):
    """Each image of ``x`` with its patches (a ``PATCH_GRID``-square grid; single pixels on images
    smaller than the grid) in a random order."""
    channels, height, width = image_shape
    ph, pw = max(1, height // PATCH_GRID), max(1, width // PATCH_GRID)
    gh, gw = height // ph, width // pw
    images = x.reshape(len(x), channels, height, width).clone()
    inner = images[:, :, :gh * ph, :gw * pw].reshape(len(x), channels, gh, ph, gw, pw)
    patches = inner.permute(0, 2, 4, 1, 3, 5).reshape(len(x), gh * gw, channels, ph, pw)
    order = torch.rand(len(x), gh * gw, generator=generator).argsort(1).to(x.device)
    patches = patches[torch.arange(len(x), device=x.device)[:, None], order]
    images[:, :, :gh * ph, :gw * pw] = patches.reshape(len(x), gh, gw, channels, ph, pw).permute(
        0, 3, 1, 4, 2, 5).reshape(len(x), channels, gh * ph, gw * pw)
    return images.reshape(len(x), -1)


class ConfidenceCalibratedClassifier(NetworkChoice, BaseNeuralClassifier):
    """A classifier trained to give uniform predictions outside the data distribution.

    The confidence loss (Lee et al., eq. 1) is cross-entropy on the data plus
    ``beta * KL(U || p(y | x))`` on out-of-distribution rows, ``U`` uniform
    over the classes (``pu_detect.losses.uniform_kl``). The rows come from:

    * ``outliers="gan"`` (default, the paper's joint confidence loss, eq. 4):
      a GAN trained jointly, whose generator minimises its GAN loss plus the
      same ``beta * KL`` term, which pulls its samples to the boundary of the
      data distribution, where a uniform prediction teaches the most;
    * ``outliers="given"``: the rows passed as ``fit(X, y, X_out=...)``
      (outlier exposure with a fixed out-of-distribution set);
    * ``outliers="synthetic"``: rows made afresh from each training batch by
      ``synthetic_outliers`` (features permuted, two classes' rows
      averaged, image patches shuffled). This is the library's option, not
      the paper's; on the MNIST out-of-distribution benchmark it was the
      only source with which max-softmax beat plain cross-entropy on every
      out-of-distribution set (benchmarks/README.md), where the GAN's
      samples, lying near the data, left noise images maximally confident.

    Score inputs by the maximum softmax probability, for example with
    ``pu_detect.ConfidenceDetector(clf)``; the penultimate features also
    serve ``MahalanobisDetector`` and ``KDensityDetector``.

    What is the paper's and what is ours: the loss, the generator's extra
    KL term and one update of discriminator, generator and classifier per
    batch are the paper's (authors' code ``run_joint_confidence.py``: KL as
    ``kl_div(log_softmax, uniform) * n_classes``, which is the batch mean of
    ``KL(U || p)``). Ours: the three updates are one Adam step on the sum of
    the three losses, each cut from the others' parameters (the
    discriminator's loss sees detached samples; the generator's loss
    flows through the discriminator with its parameters frozen), Adam's
    default betas instead of the paper's (0.5, 0.999) for the GAN, and MLP
    GANs instead of DCGAN; the classifier is the library's (VGG-13 in the
    paper).

    Parameters
    ----------
    beta : float >= 0, default=1.0
        Weight of the KL term (the authors' default; 0.1 for CIFAR-10).
    outliers : {"gan", "given", "synthetic"}, default="gan"
        Where the out-of-distribution rows come from (above).
    noise_dim : int, default=32
        The generator's input dimension.
    gan_hidden_dims : tuple of int, default=(256, 256)
        Hidden widths of the generator (the discriminator mirrors them).
    clip : tuple (low, high) or None, default=(0.0, 1.0)
        The box generated rows lie in (the input range); ``None``: unbounded.
    hidden_dims, input_shape, architecture, units_per_stage
        The classifier, as in ``pu_detect.RCEClassifier``; images get the
        small conv net by default.
    epochs : int, default=20
    batch_size : int, default=128
    lr : float or None, default=None
        ``None``: 2e-4, the paper's step size for all three networks.
    weight_decay, optimizer, momentum, lr_milestones, validation_fraction, n_iter_no_change, device,
    random_state, verbose, flush_subnormals, shift_augmentation
        As in ``pu_detect.RCEClassifier``.

    Attributes
    ----------
    classes_, module_, history_, n_features_in_
        As in ``RCEClassifier``; ``module_.gan`` is the trained GAN
        (``outliers="gan"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = ConfidenceCalibratedClassifier(hidden_dims=(64,), epochs=30, lr=1e-3, random_state=0)
    >>> clf = clf.fit(X[:1000] / 16, y[:1000])
    >>> bool(clf.score(X[1000:] / 16, y[1000:]) > 0.75)
    True
    >>> noise = np.random.default_rng(0).uniform(size=(100, 64))
    >>> bool(clf.predict_proba(noise).max(1).mean() < clf.predict_proba(X[1000:] / 16).max(1).mean())
    True
    """

    _parameter_checks = {
        "beta": lambda x: v.check_float(x, "beta", 0.0, np.inf, low_inclusive=True),
        "outliers": lambda x: v.check_option(x, "outliers", ("gan", "given", "synthetic")),
        "noise_dim": lambda x: v.check_int(x, "noise_dim"),
        "gan_hidden_dims": lambda x: v.check_int_tuple(x, "gan_hidden_dims"),
        "clip": lambda x: None if x is None else check_clip(x),
        **NetworkChoice._parameter_checks,
        **BaseNeuralClassifier._parameter_checks,
    }
    _auto_image_architecture = "conv"
    _default_adam_lr = 2e-4  # the paper's, for all three networks

    def __init__(
        self,
        beta=1.0,
        outliers="gan",
        noise_dim=32,
        gan_hidden_dims=(256, 256),
        clip=(0.0, 1.0),
        hidden_dims=None,
        input_shape=None,
        architecture="auto",
        units_per_stage=1,
        epochs=20,
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
        self.beta = beta
        self.outliers = outliers
        self.noise_dim = noise_dim
        self.gan_hidden_dims = gan_hidden_dims
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

    def fit(self, X, y, X_out=None):
        """Fit on rows ``X`` with class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        X_out : array-like of shape (n_outliers, n_features) or None
            Out-of-distribution rows: required with ``outliers="given"``,
            refused otherwise.

        Returns
        -------
        self
        """
        params = v.check_params(self)
        if params.outliers != "given":
            if X_out is not None:
                v._fail("X_out", f"None with outliers={params.outliers!r} (the out-of-distribution rows are "
                        "made in training; set outliers='given' to train on X_out)", "an array")
            return self._fit(X, y, params=params)
        if X_out is None:
            v._fail("X_out", "out-of-distribution rows with outliers='given'", None)
        X_out = v.check_rows(X_out, "X_out")
        n_features = v.check_rows(X, "X").shape[1]
        if X_out.shape[1] != n_features:
            v._fail("X_out", f"rows of X's {n_features} features", f"{X_out.shape[1]} features")
        return self._fit(X, y, {"outliers": X_out}, params=params)

    def _make_module(self, n_features, params):
        classifier = self._network(n_features, params)
        if params.outliers != "gan":
            return classifier
        return ClassifierWithGAN(classifier, RowGAN(n_features, params.noise_dim, params.gan_hidden_dims,
                                                    params.clip))

    def _loss(self, params):
        beta = params.beta

        def confidence(module, x, t, outliers):
            """Lee et al.'s eq. 1: cross-entropy on the data, beta KL(U || p) on the outliers."""
            return F.cross_entropy(module(x), t) + beta * uniform_kl(module(outliers), reduction="mean")

        def given(module, x, t, generator, outliers):
            return confidence(module, x, t, outliers)

        def synthetic(module, x, t, generator):
            return confidence(module, x, t, synthetic_outliers(x, t, generator, params.input_shape))

        def joint(module, x, t, generator):
            gan = module.gan
            noise = torch.randn((len(x), gan.noise_dim), generator=generator).to(x)
            fake = gan.generate(noise)
            discriminator_loss, generator_loss = gan_losses(
                gan.discriminator(x), gan.discriminator(fake.detach()), gan.frozen_discriminator(fake))
            # The KL term on the generated rows: the classifier and the generator both minimise it.
            return confidence(module, x, t, fake) + discriminator_loss + generator_loss

        return {"given": given, "gan": joint, "synthetic": synthetic}[params.outliers]

    def _description(self, params):
        return f"ConfidenceCalibratedClassifier ({params.outliers}, beta {params.beta:g})"
