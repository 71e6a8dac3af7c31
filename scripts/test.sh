#!/usr/bin/env bash
# Set everything up and run every test: ruff, then pytest on the machine's PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements-dev.txt

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    fi
fi

export DJANGO_SETTINGS_MODULE=stocklab.settings.test
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stocklab}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"

.venv/bin/ruff check .
.venv/bin/ruff format --check . || echo "(ruff format: the files above would be reformatted)"
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "pytest collected no tests" >&2
fi
exit "$status"
