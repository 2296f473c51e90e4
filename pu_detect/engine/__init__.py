"""The engine under every estimator: one training loop, its optimisers, batched inference.

``train`` runs any objective over named data
streams; ``optim`` holds the optimisers and schedules;
``inference`` scores rows in float64 no-grad batches; ``augmentation``
transforms training batches (``shift_images``).
"""

from .augmentation import shift_images
from .inference import as_tensor, inference_batch_size, predict_batched, predict_float64
from .optim import FlatAdam, make_optimizer, step_decay
from .training import subnormals_as_zero, train

__all__ = ["FlatAdam", "as_tensor", "inference_batch_size", "make_optimizer", "predict_batched",
           "predict_float64", "shift_images", "step_decay", "subnormals_as_zero", "train"]
