"""The 0.1.0 import path of ``pu_detect.anomaly.prior``, where this code now lives."""

from .anomaly.prior import *  # noqa: F401,F403
