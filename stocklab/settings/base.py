"""Settings shared by every environment, read from the environment through django-environ.

The secrets (`DJANGO_SECRET_KEY`, `FIELD_ENCRYPTION_SALTS`) are read by each environment's module: production
gives them no default, local and test give development-only ones.
"""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# Opt-in, as in cookiecutter-django: a .env copied from .env.example (production values) must not reach the
# development or test settings unasked.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------------------
# Old secret keys stay here while credentials are re-encrypted (see README, "Rotating the encryption key").
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin on StockLab's site: it opens to staff after their second factor.
    "accounts.apps.StockLabAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "brokerage",
]

MIDDLEWARE = [
    # First, so that every answer carries the request's id and every log line of it names the id.
    "stocklab.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that can answer, so that every answer carries the policy (errors and files too).
    "stocklab.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "stocklab.middleware.RejectNulInQueryStringMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (the admin asks it of staff).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the CSRF check (a forged form is refused without counting) and the language (its page).
    "accounts.middleware.LoginRateLimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Scripts, styles and everything else from the site itself only: no inline script or style, no eval, no
# framing (read by stocklab.middleware, as Django 6 reads it). Images may be data: URIs (Swagger UI's icons).
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    # The live socket (/ws/v1/live) at the site's own hosts: CSP 3 counts same-host ws:/wss: as 'self', but
    # browsers that predate it need them named (either scheme: ws over http, wss over https; any port).
    "connect-src": [
        "'self'",
        *(
            f"{scheme}://{'*' + host if host.startswith('.') else host}:*"
            for host in ALLOWED_HOSTS
            if host != "*" and "[" not in host  # CSP has no form for IPv6 literals
            for scheme in ("ws", "wss")
        ),
    ],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

ROOT_URLCONF = "stocklab.urls"
WSGI_APPLICATION = "stocklab.wsgi.application"
ASGI_APPLICATION = "stocklab.asgi.application"
# Beside HTTP (Django): the live channel over WebSocket, and the lifespan that may start its stream here.
ASGI_PROTOCOLS = {"websocket": "brokerage.live.asgi.websocket", "lifespan": "brokerage.live.asgi.lifespan"}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # views must not hold a transaction across a Kiwoom call
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # persistent connections (conn_max_age) are checked first
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env("REDIS_URL", default="")
# Every Redis client gives up this soon (seconds): a Redis that is down or unreachable answers a request with
# 503 `service_degraded` at once instead of hanging it (README "When Redis is down").
REDIS_SOCKET_CONNECT_TIMEOUT = 0.5
REDIS_SOCKET_TIMEOUT = 0.5


def redis_caches(url: str) -> dict:
    """Django's caches on the Redis at `url`, with the timeouts above: `default` for what is only a cache (a
    miss while Redis is unreachable), `counters` for the login lockout and the request limits (an error their
    callers answer for: stocklab.cache)."""
    options = {"socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}
    return {
        "default": {"BACKEND": "stocklab.cache.ForgivingRedisCache", "LOCATION": url, "OPTIONS": options},
        "counters": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    # Embedded defaults: one process-local cache, enough for the single-process demo (both aliases share it).
    CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "stocklab"}
        for alias in ("default", "counters")
    }
    # django-axes warns that such a cache is not shared between processes: the demo runs one.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# --- Encrypted fields (django-fernet-encrypted-fields) ----------------------------------------------------
# Keys are derived from SECRET_KEY (+ fallbacks) and each salt (SALT_KEY, set by each environment's module
# through `encryption_salts`); the first salt encrypts, all of them decrypt.


def encryption_salts(salts: list[str]) -> list[str]:
    """FIELD_ENCRYPTION_SALTS as SALT_KEY; refused at start when empty, not at the first connect (a 500)."""
    if not salts or not all(salts):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_SALTS must name at least one salt, and no empty one")
    return salts


# --- Auth -------------------------------------------------------------------------------------------------
# django-axes first: after AXES_FAILURE_LIMIT wrong passwords for one username from one IP, that pair is
# locked out for AXES_COOLOFF_MINUTES on every login door (web, admin, the API's token endpoint). Per pair,
# so that nobody can lock another person out from elsewhere. Attempts live in the cache (Redis in production).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# django-axes' cache handler, refusing logins (503) rather than counting nothing while Redis is unreachable.
AXES_HANDLER = "accounts.lockout.LockoutCacheHandler"
AXES_CACHE = "counters"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start of every process
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A password-reset link works for an hour (the e-mail says so), and once.
PASSWORD_RESET_TIMEOUT = 60 * 60
# Two-step verification (django-otp, TOTP): optional for users, required of staff before the admin opens.
# The authenticator app shows this name; after a wrong code the next one is refused for 1 s, then 2, 4, ...
# (per device), and each wrong code also counts as a failed login for the lockout above.
OTP_TOTP_ISSUER = "StockLab"
ADMIN_REQUIRES_SECOND_FACTOR = True
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
# django-otp's own admin pages would show each device's secret key and QR code to operators.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- E-mail -----------------------------------------------------------------------------------------------
# Password-reset links. Development and tests print messages on the console; production.py sends them over
# SMTP as the environment says.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="StockLab <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18n -------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- API --------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first, so that 401 responses carry `WWW-Authenticate: Bearer`.
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "stocklab.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "stocklab.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Password guessing (per client IP: token, refresh, sign-up) and key guessing (per user: each connect
    # sends an au10001, and many refused ones could get the site's IP refused by Kiwoom for everyone).
    # Client IPs from REMOTE_ADDR alone: without a proxy, X-Forwarded-For is whatever the client says
    # (production.py trusts one proxy's entry when DJANGO_BEHIND_TLS_PROXY says there is one).
    "NUM_PROXIES": 0,
    # And every user's calls (per client IP when anonymous), so that no one client takes the site's capacity:
    # reads generously (pages poll), writes less so, orders (each one sent to Kiwoom) least. Views that set
    # their own throttles keep these by adding to them. One throttle keeps the three budgets (one cache read
    # and one write per request, whether it meets one budget or two).
    "DEFAULT_THROTTLE_CLASSES": ["stocklab.api.throttling.FairUseThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH_RATE", default="20/min"),
        "kiwoom_connect": env.str("THROTTLE_KIWOOM_CONNECT_RATE", default="10/min"),
        "user_read": env.str("THROTTLE_USER_READ_RATE", default="600/min"),
        "user_write": env.str("THROTTLE_USER_WRITE_RATE", default="120/min"),
        "orders": env.str("THROTTLE_ORDERS_RATE", default="60/min"),
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a digest of the password hash: a password change (by the user or an operator) ends them.
    "CHECK_REVOKE_TOKEN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StockLab API",
    "DESCRIPTION": "Kiwoom Securities accounts behind a multi-user website: credentials, balance and orders.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets ship in the sidecar package: nothing is fetched from a CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "stocklab.api.schema.paths_without_trailing_slash",
        "brokerage.live.schema.live_protocol_description",  # the /ws/v1/live protocol (issue 14)
    ],
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# The other-origin front end sends Idempotency-Key with orders, and reads Retry-After (429) and
# Idempotent-Replayed (a repeated key's answer).
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key", "x-request-id")
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed", "X-Request-ID"]

# --- Kiwoom -----------------------------------------------------------------------------------------------
KIWOOM_MOCK_BASE_URL = env("KIWOOM_MOCK_BASE_URL", default="https://mockapi.kiwoom.com")
KIWOOM_REAL_BASE_URL = env("KIWOOM_REAL_BASE_URL", default="https://api.kiwoom.com")
KIWOOM_ALLOW_REAL = env.bool("KIWOOM_ALLOW_REAL", default=False)
KIWOOM_CONNECT_TIMEOUT = env.float("KIWOOM_CONNECT_TIMEOUT", default=3.05)
KIWOOM_READ_TIMEOUT = env.float("KIWOOM_READ_TIMEOUT", default=10.0)
# A token that expires within this many seconds is replaced before use (Kiwoom's own helper uses 600 s).
KIWOOM_TOKEN_REFRESH_MARGIN = env.int("KIWOOM_TOKEN_REFRESH_MARGIN", default=600)
# The beat sweep: how often it runs, and how close to expiry a token must be to be refreshed by it.
KIWOOM_TOKEN_SWEEP_INTERVAL = env.int("KIWOOM_TOKEN_SWEEP_INTERVAL", default=60)
KIWOOM_TOKEN_SWEEP_WINDOW = env.int("KIWOOM_TOKEN_SWEEP_WINDOW", default=600)
# Calls per second per credential and TR (PROTOCOL.md 1.7: mock 1/s, real 5/s); how long a caller may wait.
KIWOOM_RATE_LIMIT_MOCK = env.float("KIWOOM_RATE_LIMIT_MOCK", default=1.0)
KIWOOM_RATE_LIMIT_REAL = env.float("KIWOOM_RATE_LIMIT_REAL", default=5.0)
KIWOOM_RATE_LIMIT_WAIT = env.float("KIWOOM_RATE_LIMIT_WAIT", default=2.0)
# Balance requests of one user share one upstream fetch, reused for this many seconds.
KIWOOM_BALANCE_COALESCING = env.bool("KIWOOM_BALANCE_COALESCING", default=True)
KIWOOM_BALANCE_CACHE_SECONDS = env.float("KIWOOM_BALANCE_CACHE_SECONDS", default=2.0)
# Pre-trade guardrails; operators can change the limits per user in the admin.
ORDER_MAX_QUANTITY = env.int("ORDER_MAX_QUANTITY", default=10_000)
ORDER_MAX_VALUE = env.int("ORDER_MAX_VALUE", default=100_000_000)
ORDER_ENFORCE_TRADING_HOURS = env.bool("ORDER_ENFORCE_TRADING_HOURS", default=False)
ORDER_RECONCILE_INTERVAL = env.int("ORDER_RECONCILE_INTERVAL", default=60)

# --- Live streams (issue 14) -----------------------------------------------------------------------------
KIWOOM_MOCK_WS_URL = env("KIWOOM_MOCK_WS_URL", default="wss://mockapi.kiwoom.com:10000/api/dostk/websocket")
KIWOOM_REAL_WS_URL = env("KIWOOM_REAL_WS_URL", default="wss://api.kiwoom.com:10000/api/dostk/websocket")
# Browsers' live channel: Redis when there is one (ASGI processes share it), else one process's memory.
# redis-py's pool refuses (rather than waits) past max_connections, 100 by default: a burst of pages
# reconnecting at once after a deploy needs more group_adds in flight than that. Its reads time out after 5 s
# by default, exactly when channels-redis's blocking receive (BZPOPMIN, 5 s) returns on an idle socket. All
# the sockets of one ASGI process share one Redis list, whose `capacity` (100 by default) would silently drop
# a burst of fills fanned out to thousands of open pages.
CHANNEL_LAYERS = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "max_connections": 1000, "socket_timeout": 15}],
                "capacity": 50_000,
            },
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)
# A page's interest in a code lapses this long after its last refresh (the consumer refreshes every 30 s).
LIVE_INTEREST_TTL = env.int("LIVE_INTEREST_TTL", default=90)
# Stream processes own credentials through Redis leases: a lease lasts LIVE_LEASE_TTL seconds and its owner
# renews it every LIVE_LEASE_RENEW seconds, so a dead owner's keys are taken over within about the TTL plus
# one discovery round (LIVE_DISCOVERY_INTERVAL).
LIVE_LEASE_TTL = env.float("LIVE_LEASE_TTL", default=10.0)
LIVE_LEASE_RENEW = env.float("LIVE_LEASE_RENEW", default=3.0)
LIVE_DISCOVERY_INTERVAL = env.float("LIVE_DISCOVERY_INTERVAL", default=2.0)
# Reconnection backoff (seconds): doubles from the first to the most, with jitter.
LIVE_BACKOFF_FIRST = env.float("LIVE_BACKOFF_FIRST", default=1.0)
LIVE_BACKOFF_MAX = env.float("LIVE_BACKOFF_MAX", default=60.0)
# Kiwoom sockets one stream process holds at most; the rest are left to other processes.
LIVE_MAX_SOCKETS = env.int("LIVE_MAX_SOCKETS", default=2000)
# The stream process's name in leases and the admin; empty: host name and process id.
LIVE_STREAM_ID = env("LIVE_STREAM_ID", default="")
# Browser side of /ws/v1/live: codes one connection may follow, and how often it refreshes that interest.
LIVE_SUBSCRIBE_LIMIT = env.int("LIVE_SUBSCRIBE_LIMIT", default=50)
LIVE_INTEREST_REFRESH_SECONDS = 30
# Run the stream inside the ASGI process (the one-process demo, whose in-memory channel layer reaches no
# other process); deployments run `manage.py kiwoom_stream` apart.
LIVE_STREAM_IN_PROCESS = env.bool("LIVE_STREAM_IN_PROCESS", default=False)
# --- end live streams

# --- Market data (issue 15) ------------------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402  (kept inside this block)

# The user whose connected Kiwoom keys read the stock master (ka10099) every day: an operator's account, so
# that the sync spends no customer's rate limit. Empty: any connected credential (brokerage.market.services).
MARKET_DATA_CREDENTIAL_USER = env("MARKET_DATA_CREDENTIAL_USER", default="")
# The daily stock master sync (Korea time): before the 08:00 pre-market session, after KRX's overnight
# listing changes. A run still queued an hour later is dropped: the next day's does the same work.
MARKET_STOCK_MASTER_SYNC_HOUR = env.int("MARKET_STOCK_MASTER_SYNC_HOUR", default=7)
MARKET_BEAT_SCHEDULE: dict = {
    "market-stock-master-sync": {
        "task": "brokerage.market.tasks.market_stock_master_sync",
        "schedule": crontab(hour=MARKET_STOCK_MASTER_SYNC_HOUR, minute=30),
        "options": {"expire_seconds": 3600},
    },
}
# --- end market data

# --- History (issue 16) ----------------------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402  (kept inside this block)

# Costs used for P&L from our own ledger, by mode (fractions). Kiwoom's 모의투자 charges 0.35% commission,
# far above the 0.015% of its real online accounts; the sell tax (증권거래세 + 농특세) is 0.20% from 2026.
# Commission is floored to 10 won per order, tax to 1 won.
HISTORY_COSTS = {
    "mock": {
        "commission_rate": env("HISTORY_COMMISSION_RATE_MOCK", default="0.0035"),
        "sell_tax_rate": env("HISTORY_SELL_TAX_RATE_MOCK", default="0.0020"),
    },
    "real": {
        "commission_rate": env("HISTORY_COMMISSION_RATE_REAL", default="0.00015"),
        "sell_tax_rate": env("HISTORY_SELL_TAX_RATE_REAL", default="0.0020"),
    },
}
# The sweep: credentials per Celery task, threads per task (each thread waits on Kiwoom, not on the CPU).
HISTORY_SWEEP_CHUNK = env.int("HISTORY_SWEEP_CHUNK", default=500)
HISTORY_SWEEP_THREADS = env.int("HISTORY_SWEEP_THREADS", default=24)
# Missed trading days further back than this are not marked as gaps one by one.
HISTORY_GAP_LOOKBACK_DAYS = env.int("HISTORY_GAP_LOOKBACK_DAYS", default=31)
# Intraday points for the 1D view, every HISTORY_INTRADAY_MINUTES while the market is open, kept for
# HISTORY_INTRADAY_KEEP_DAYS.
HISTORY_INTRADAY_ENABLED = env.bool("HISTORY_INTRADAY_ENABLED", default=True)
HISTORY_INTRADAY_MINUTES = 10
HISTORY_INTRADAY_KEEP_DAYS = env.int("HISTORY_INTRADAY_KEEP_DAYS", default=7)
# A change of the D+2 deposit that fills, commission and tax leave unexplained by at most this many won (or
# HISTORY_FLOW_TOLERANCE_RATE of the day's traded amount) is rounding, not a deposit or withdrawal.
HISTORY_FLOW_TOLERANCE = env.int("HISTORY_FLOW_TOLERANCE", default=1000)
HISTORY_FLOW_TOLERANCE_RATE = env("HISTORY_FLOW_TOLERANCE_RATE", default="0.005")
# Beat (Korea time, CELERY_TIMEZONE): the daily snapshot after the 15:40 close auction, catch-ups after the
# after-hours session and before the next opening (both still see the last close), and the intraday points.
HISTORY_BEAT_SCHEDULE: dict = {
    "history-snapshots-daily": {
        "task": "brokerage.history.tasks.history_snapshots_daily",
        "schedule": crontab(hour=15, minute=40, day_of_week="mon-fri"),
    },
    "history-snapshots-catch-up": {
        "task": "brokerage.history.tasks.history_snapshots_daily",
        "schedule": crontab(hour="7,18", minute=10),
    },
    "history-snapshots-intraday": {
        "task": "brokerage.history.tasks.history_snapshots_intraday",
        "schedule": crontab(minute="*/10", hour="9-15", day_of_week="mon-fri"),
        "options": {"expire_seconds": 540},
    },
}
# --- end history

# --- Celery -----------------------------------------------------------------------------------------------
# Without Redis (embedded defaults) the filesystem transport lets a separate worker and beat run serverless.
# Empty counts as unset: Celery would read an empty URL as amqp://localhost (.env.example leaves it empty).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if (REDIS_URL or not CELERY_BROKER_URL.startswith("filesystem"))
    else {
        "data_folder_in": str(BASE_DIR / "var" / "celery"),
        "data_folder_out": str(BASE_DIR / "var" / "celery"),
        "processed_folder": str(BASE_DIR / "var" / "celery-processed"),
        "control_folder": str(BASE_DIR / "var" / "celery-control"),
    }
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless this is set;
# stocklab/celery.py closes them as Django does around a request instead (CONN_MAX_AGE, unusable ones).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Beat keeps its schedule in the database (editable in the admin); the entries below are synced into it at
# every start, by name.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "kiwoom-token-sweep": {
        "task": "brokerage.connections.tasks.kiwoom_token_sweep",
        "schedule": KIWOOM_TOKEN_SWEEP_INTERVAL,
        # A sweep still queued when the next one is due is dropped: the next one does the same work.
        "options": {"expire_seconds": KIWOOM_TOKEN_SWEEP_INTERVAL},
    },
    "orders-sync": {
        "task": "brokerage.orders.tasks.orders_sync_all",
        "schedule": ORDER_RECONCILE_INTERVAL,
        "options": {"expire_seconds": ORDER_RECONCILE_INTERVAL},
    },
    **MARKET_BEAT_SCHEDULE,
    **HISTORY_BEAT_SCHEDULE,
}

LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names the request it belongs to ("-" outside one), as the X-Request-ID header and the audit
    # trail do.
    "filters": {"request_id": {"()": "stocklab.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own default handler would print every django.* line a second time in DEBUG.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}
