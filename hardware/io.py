"""Alias of `hardware.gpio`, for callers written against ``hardware.io``."""

from hardware.gpio import *  # noqa: F403
from hardware.gpio import __all__ as __all__
