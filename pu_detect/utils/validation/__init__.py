"""Every input and parameter check of pu_detect, with one message style.

Messages name the parameter, say what was expected and show what was
received: ``"epochs must be an integer >= 1; got 0."``.

It is one package of three modules: ``scalars`` (parameters), ``arrays``
(features, labels, scores) and ``tensors`` (the tensor and module arguments
of the building blocks); every name is importable from here.
"""

from .arrays import (_as_float32, _from_torch, _is_label_column, check_anomaly_labels, check_input_array,
                     check_input_shape_fits, check_params, check_pu_labels, check_rows, check_scores,
                     check_targets_1d, check_within, check_X, check_X_anom, require_pu_labels,
                     split_unlabeled_anomalies)
from .scalars import (_fail, check_bool, check_contamination, check_device, check_float, check_int,
                      check_int_tuple, check_milestones, check_option, check_path, check_seed, check_verbose)
from .tensors import check_class_indices, check_generator, check_image_shape, check_module, check_tensor, describe

__all__ = ["check_X", "check_X_anom", "check_anomaly_labels", "check_bool", "check_class_indices", "check_contamination",
           "check_device", "check_float", "check_generator", "check_image_shape", "check_input_array", "check_input_shape_fits", "check_int",
           "check_int_tuple", "check_milestones", "check_module", "check_option", "check_params", "check_path", "check_pu_labels", "check_rows",
           "check_scores", "check_seed", "check_targets_1d", "check_tensor", "check_verbose", "check_within",
           "describe", "require_pu_labels", "split_unlabeled_anomalies"]
