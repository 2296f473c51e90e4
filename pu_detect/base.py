"""The 0.1.0 import path of ``pu_detect.anomaly.base``, where this code now lives."""

from .anomaly.base import *  # noqa: F401,F403
