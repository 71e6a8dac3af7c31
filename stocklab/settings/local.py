"""Development and demo settings: embedded defaults (SQLite, a process-local cache, a filesystem broker)."""

import os

# Development-only fallbacks, set before the environment is read; production.py has none of these.
os.environ.setdefault("DJANGO_SECRET_KEY", "django-insecure-local-development-key-do-not-use-in-production")
os.environ.setdefault("FIELD_ENCRYPTION_SALTS", "local-development-salt")
os.environ.setdefault("KIWOOM_MOCK_BASE_URL", "http://127.0.0.1:8700")

from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405

# Serve static files straight from the apps and static/ (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
