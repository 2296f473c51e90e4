"""The networks' 0.1.0 import path; they live in :mod:`pu_detect.networks`."""

from .networks import *  # noqa: F401,F403
from .networks import __all__  # noqa: F401
