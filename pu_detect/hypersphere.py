"""The 0.1.0 import path of ``pu_detect.anomaly.hypersphere``, where this code now lives."""

from .anomaly.hypersphere import *  # noqa: F401,F403
