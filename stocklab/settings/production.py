"""Production settings: every secret comes from the environment, with no default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import encryption_salts, env

SECRET_KEY = env("DJANGO_SECRET_KEY")
SALT_KEY = encryption_salts(env.list("FIELD_ENCRYPTION_SALTS"))
DEBUG = False
# Only behind a TLS proxy that sets the headers itself: otherwise any client could claim HTTPS, or an IP
# address of its choosing to the throttles and the login lockout.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client's address is the entry the one proxy appended to X-Forwarded-For (REMOTE_ADDR is the proxy).
    REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": 1}  # noqa: F405
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# Password-reset mail, through the SMTP relay the environment names.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10  # a relay that does not answer must not hold a worker
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Production names its database explicitly: no SQLite fallback.
DATABASES["default"].update(env.db("DATABASE_URL"))  # noqa: F405
# Token locks, rate limits, the balance cache and the login lockout are shared by every process through
# Redis: without it, each gunicorn worker and Celery process would keep its own.
if not REDIS_URL:  # noqa: F405
    raise ImproperlyConfigured("REDIS_URL is required in production (see .env.example)")
