"""The 0.1.0 import path of ``pu_detect.anomaly.autoencoders``, where this code now lives."""

from .anomaly.autoencoders import *  # noqa: F401,F403
