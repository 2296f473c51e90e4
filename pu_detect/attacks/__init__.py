"""Adversarial attacks on a fitted classifier: batched torch, clipped to the input range.

Every attack takes the classifier as it predicts (``softmax(-Z)`` for an RCE
network; any classifier ``pu_detect.classifiers.torch_classifier``
accepts), rows ``X`` in ``clip`` (default ``[0, 1]``) and their true classes
``y``, and returns the adversarial rows as a float32 array of the same
shape. Randomness comes from ``random_state`` only. Each family is one
module with a tensor-level core (for adversarial training) and NumPy-facing
wrappers; they share ``pu_detect.attacks._core`` (checks, batching,
clipping).

* ``fgsm``: one signed-gradient step of size ``eps`` (Goodfellow et al., 2015).
* ``bim``: ``steps`` signed steps of ``eps / steps`` in the L-inf ball (Kurakin et al., 2017).
* ``ilcm``: BIM towards the least-likely class (Kurakin et al., 2017).
* ``pgd``: BIM from a random start in the L-inf or L2 ball (Madry et al., 2018),
  on the cross-entropy or the logit margin.
* ``mim``: BIM along an accumulated, L1-normalised gradient (momentum; Dong et al., 2018).
* ``carlini_wagner``: C&W-L2 with confidence ``kappa`` and a binary search
  over its constant (Carlini and Wagner, 2017); ``kappa=10`` is the
  high-confidence variant (``high_confidence_cw``).
* ``elastic_net``: EAD, C&W's margin loss with an elastic-net (L1 + L2)
  distortion, solved by FISTA with shrinkage-thresholding (Chen et al., 2018).
* ``jsma``: the Jacobian saliency map attack over pixel pairs (Papernot et al., 2016).
* ``apgd``: Auto-PGD with the cross-entropy or DLR loss, untargeted or
  targeted (Croce and Hein, 2020); ``autoattack`` runs the reference
  AutoAttack ensemble (the optional ``pyautoattack`` package).
* ``square``: the Square Attack, a score-based random search in the L-inf
  or L2 ball that needs no gradient, so it also runs on any scikit-learn
  classifier with ``predict_proba`` (Andriushchenko et al., 2020).
* ``hop_skip_jump``: HopSkipJump, a decision-based attack that queries the
  predicted class only and returns the least-distance adversarial rows it
  finds, L2 or L-inf; any scikit-learn classifier with ``predict`` works
  (Chen et al., 2020).
* ``stadv``: spatially transformed adversarial examples, a smooth per-pixel
  flow field found by L-BFGS (Xiao et al., 2018).
* ``natural_adversarial``: natural adversarial examples, searched in a
  generator's latent space with a black-box classifier (Zhao et al., 2018).
* ``kdensity_cw``: the adaptive attack on a K-density detector, which lives
  in ``pu_detect.adversarial.adaptive`` (attacks never import detectors)
  and is importable from here as before.
"""

from .apgd import apgd, apgd_tensor, autoattack, dlr_loss
from .carlini_wagner import (carlini_wagner, carlini_wagner_tensor, elastic_net, elastic_net_tensor,
                             high_confidence_cw)
from .decision import hop_skip_jump, hop_skip_jump_tensor
from .gradient import bim, fgsm, ilcm, mim, pgd, pgd_tensor, projected_gradient_steps, signed_gradient_steps
from .jsma import jsma
from .natural import natural_adversarial
from .spatial import flow_loss, flow_transform, stadv, stadv_tensor
from .square import square, square_tensor

__all__ = ["apgd", "apgd_tensor", "autoattack", "bim", "carlini_wagner", "carlini_wagner_tensor", "dlr_loss",
           "elastic_net", "elastic_net_tensor", "fgsm", "high_confidence_cw", "hop_skip_jump", "hop_skip_jump_tensor",
           "ilcm", "jsma", "kdensity_cw", "mim",
           "natural_adversarial", "pgd", "pgd_tensor", "projected_gradient_steps", "signed_gradient_steps",
           "flow_loss", "flow_transform", "square", "square_tensor", "stadv", "stadv_tensor"]


def __getattr__(name):
    if name == "kdensity_cw":  # imported on first use, so that this package never imports a detector
        from ..adversarial.adaptive import kdensity_cw

        return kdensity_cw
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
