"""The 0.1.0 import path of the benchmark runner, which now lives in ``pu_detect.bench``."""

from .bench import *  # noqa: F401,F403
from .bench import __all__  # noqa: F401
