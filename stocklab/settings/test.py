"""Test settings: the machine's PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (as in CI)."""

from .base import *  # noqa: F403
from .base import encryption_salts, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-secret-key-not-for-production-0123456789abcdef")
SALT_KEY = encryption_salts(env.list("FIELD_ENCRYPTION_SALTS", default=["test-salt"]))

# Fast hashing: password security is not what these tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the apps and static/ (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The suite signs in and connects far more often than a person: the throttling tests set their own rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        scope: "100000/min" for scope in ("auth", "kiwoom_connect", "user_read", "user_write", "orders")
    },
}

# Password-reset mail is printed (pytest-django's outbox replaces this in the suite itself).
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The suite's operators sign in with force_login (no second factor); tests/accounts turns this on to test it.
ADMIN_REQUIRES_SECOND_FACTOR = False
