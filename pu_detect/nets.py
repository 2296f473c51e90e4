"""The 0.1.0 import path of ``pu_detect.networks``, where the networks now live."""

from .networks import *  # noqa: F401,F403
from .networks import __all__  # noqa: F401
