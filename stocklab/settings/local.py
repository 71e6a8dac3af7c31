"""Development and demo settings: embedded defaults (SQLite, a process-local cache, a filesystem broker)."""

from .base import *  # noqa: F403
from .base import encryption_salts, env

# Development-only defaults; production.py has none of these.
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="django-insecure-local-development-key-do-not-use-in-production"
)
SALT_KEY = encryption_salts(env.list("FIELD_ENCRYPTION_SALTS", default=["local-development-salt"]))
KIWOOM_MOCK_BASE_URL = env("KIWOOM_MOCK_BASE_URL", default="http://127.0.0.1:8700")  # the simulator
# Off unless asked for (DJANGO_DEBUG=1): the demo is a new user's first look, and DEBUG's 404 page lists every
# URL pattern of the site instead of templates/404.html. Static files are served by WhiteNoise either way.
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Serve static files straight from the apps and static/ (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# SQLite lets one writer at a time: a write transaction takes the lock when it begins (not at its first
# write, where another writer's lock can only fail it) and waits up to 20 s for it, so the demo's concurrent
# sign-ups and orders queue instead of answering "database is locked".
if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

# Password-reset mail is printed where `make demo` runs, link included.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
