"""Celery tasks, one module per area (autodiscovered through this package)."""

from .orders import *  # noqa: F403
from .tokens import *  # noqa: F403
