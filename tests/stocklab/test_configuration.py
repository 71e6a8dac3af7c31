"""Configuration stays consistent: settings, .env.example and docker-compose.yml name the same variables."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILES = sorted((ROOT / "stocklab" / "settings").glob("*.py"))


def variables_read_by_settings() -> set[str]:
    pattern = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = set()
    for path in SETTINGS_FILES:
        names |= set(pattern.findall(path.read_text()))
    return names


def variables_in_env_example() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_scan_of_the_settings_finds_the_variables_they_read():
    """The checks below compare sets this scan builds: a scan that found nothing would pass them."""
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "KIWOOM_MOCK_BASE_URL"} <= variables_read_by_settings()


def test_env_example_lists_every_variable_the_settings_read():
    missing = variables_read_by_settings() - variables_in_env_example()

    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_lists_nothing_the_settings_ignore():
    unknown = variables_in_env_example() - variables_read_by_settings() - {"DJANGO_SETTINGS_MODULE"}

    assert not unknown, f".env.example names unused {sorted(unknown)}"


def test_compose_runs_every_service_the_site_needs():
    services = compose()["services"]

    assert {"db", "redis", "web", "worker", "beat", "simulator"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert "kiwoom_sim" in services["simulator"]["command"]


def test_compose_sets_only_variables_the_settings_read():
    allowed = variables_read_by_settings() | {"DJANGO_SETTINGS_MODULE"}
    for name, service in compose()["services"].items():
        if name in {"db", "redis", "simulator"}:
            continue
        unknown = set(service.get("environment", {})) - allowed
        assert not unknown, f"{name} sets {sorted(unknown)}, which no setting reads"


def test_compose_points_the_app_at_its_own_services():
    web = compose()["services"]["web"]["environment"]

    assert "@db:5432/" in web["DATABASE_URL"]
    assert web["REDIS_URL"].startswith("redis://redis:6379")
    assert web["DJANGO_SETTINGS_MODULE"] == "stocklab.settings.production"


@pytest.mark.parametrize(
    ("settings_module", "opt_in", "reads"),
    [
        ("stocklab.settings.local", None, 0),
        ("stocklab.settings.test", None, 0),
        ("stocklab.settings.local", "True", 1),
    ],
)
def test_a_dot_env_file_is_read_only_when_asked_for(settings_module, opt_in, reads):
    """A .env copied from .env.example holds production values: the demo and tests must not pick them up."""
    script = (
        "import environ; reads = []; "
        "environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: reads.append(args)); "
        "import django; django.setup(); print(len(reads))"
    )
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": settings_module}
    if opt_in is not None:
        env["DJANGO_READ_DOT_ENV_FILE"] = opt_in

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == reads


def production_env(**overrides: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "stocklab.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_SALTS": "salt",
        "DATABASE_URL": "postgres://stocklab@db:5432/stocklab",
        "REDIS_URL": "redis://redis:6379/0",
        **overrides,
    }


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_SALTS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without_a_secret_or_its_shared_services(missing):
    env = production_env()
    del env[missing]

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize("salts", ["", ","])
def test_production_refuses_an_empty_encryption_salt(salts):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=production_env(FIELD_ENCRYPTION_SALTS=salts),
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_SALTS must name at least one salt" in result.stderr


@pytest.mark.parametrize(
    "entry_point",
    ["import stocklab.wsgi", "import stocklab.asgi", "from stocklab.celery import app; app.conf.broker_url"],
)
def test_a_deployment_that_names_no_settings_runs_production_and_needs_its_secrets(entry_point):
    """Never the development settings, whose secret key (which signs every JWT) is public."""
    result = subprocess.run(
        [sys.executable, "-c", entry_point],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_image_runs_production_settings():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "DJANGO_SETTINGS_MODULE=stocklab.settings.production" in dockerfile.split("RUN", 1)[0]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, "None False 0 0 None"),
        (
            {"DJANGO_BEHIND_TLS_PROXY": "True", "DJANGO_SSL_REDIRECT": "True", "DJANGO_HSTS_SECONDS": "3600"},
            "('HTTP_X_FORWARDED_PROTO', 'https') True 3600 1 1",
        ),
    ],
)
def test_production_trusts_x_forwarded_headers_only_when_told_it_is_behind_a_tls_proxy(overrides, expected):
    """Otherwise any client reaching gunicorn directly could claim HTTPS, or any IP address, by a header."""
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.REST_FRAMEWORK['NUM_PROXIES'], getattr(s, 'AXES_IPWARE_PROXY_COUNT', None))"
    )
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
    )

    assert result.stdout.strip() == expected, result.stderr


def test_a_django_warning_is_printed_once_in_development():
    script = "import django, logging; django.setup(); logging.getLogger('django.request').warning('once')"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "stocklab.settings.local"},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.count(" once") == 1, result.stderr


def test_the_compose_file_with_env_example_runs_over_plain_http_with_redis_as_broker():
    """What `cp .env.example .env && docker compose up` gives the app: .env, then compose's environment."""
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line[0].isupper()
    )
    environment = {**example, **compose()["x-app"]["environment"]}
    environment |= {
        "DJANGO_SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_SALTS": "salt",
        "PATH": os.environ["PATH"],
    }
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.CELERY_BROKER_URL, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    broker, redirect, proxy_header, secure_cookies, hsts, hosts = json.loads(result.stdout)
    assert broker == "redis://redis:6379/0"  # not Celery's amqp://localhost, which an empty value means
    # gunicorn is published on :8000 with no TLS proxy in front: nothing may redirect to https or trust
    # X-Forwarded-* headers that any client can set.
    assert (redirect, proxy_header, secure_cookies, hsts) == (False, None, False, 0)
    assert "localhost" in hosts


def test_production_sends_mail_over_smtp_as_the_environment_says():
    show = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD,"
        " s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL]))"
    )
    environment = production_env(
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="stocklab",
        EMAIL_HOST_PASSWORD="mail-secret",
        EMAIL_USE_TLS="True",
        DEFAULT_FROM_EMAIL="StockLab <no-reply@stocklab.example.com>",
    )

    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        587,
        "stocklab",
        "mail-secret",
        True,
        "StockLab <no-reply@stocklab.example.com>",
        "StockLab <no-reply@stocklab.example.com>",
    ]


@pytest.mark.parametrize("settings_module", ["stocklab.settings.local", "stocklab.settings.test"])
def test_development_prints_mail_to_the_console(settings_module):
    show = "import django; django.setup(); from django.conf import settings as s; print(s.EMAIL_BACKEND)"
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": settings_module}

    result = subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend", result.stderr


# What `check --deploy` may still say with .env.example's TLS values: HSTS for subdomains and the preload list
# are the domain owner's decision, explained in the README ("Deploying").
EXPLAINED_DEPLOY_WARNINGS = {"security.W005", "security.W021"}


def test_the_deploy_check_with_env_example_says_only_what_the_readme_explains():
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            name, value = line.split("=", 1)
            example[name] = value.strip().strip('"')
    secrets = {"DJANGO_SECRET_KEY": "x" * 64 + "-deploy-check", "FIELD_ENCRYPTION_SALTS": "deploy-check-salt"}
    env = {"PATH": os.environ["PATH"], **example, **secrets}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    found = set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert result.returncode == 0, result.stderr
    assert found == EXPLAINED_DEPLOY_WARNINGS
    readme = (ROOT / "README.md").read_text()
    assert all(warning in readme for warning in EXPLAINED_DEPLOY_WARNINGS)
