#!/usr/bin/env bash
# Set everything up and run every test: ruff; the vendored browser libraries, biome and the JS unit tests;
# then pytest on the machine's PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements-dev.txt

# Debian packages the tests need: Chromium for the browser tests (Playwright's own browser download cannot
# work here), CJK fonts so Korean renders in screenshots, gettext for the translation checks.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export DJANGO_SETTINGS_MODULE=stocklab.settings.test
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stocklab}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The front end's tools at package-lock.json's exact versions (installed again only when the lock changes).
stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
fi
npm run --silent vendor:check  # static/vendor/ is committed: it must be the pinned packages' files
npm run --silent lint
npm test --silent
# Models and migrations agree (checked on an in-memory database: nothing to connect to).
DATABASE_URL="sqlite://:memory:" .venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "pytest collected no tests" >&2
fi
exit "$status"
