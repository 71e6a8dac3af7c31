#!/usr/bin/env bash
# Set everything up and run StockLab on embedded defaults: SQLite, the Kiwoom simulator, a demo user.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements.txt

export DJANGO_SETTINGS_MODULE=stocklab.settings.local
SIM_PORT="${SIM_PORT:-8700}"
WEB_PORT="${WEB_PORT:-8000}"
export KIWOOM_MOCK_BASE_URL="http://127.0.0.1:${SIM_PORT}"
export KIWOOM_MOCK_WS_URL="ws://127.0.0.1:${SIM_PORT}/api/dostk/websocket"
# Live updates without Redis: the channel layer is this one web process's memory, so the Kiwoom stream runs
# inside it (deployments run `manage.py kiwoom_stream` apart; docker-compose.yml).
export LIVE_STREAM_IN_PROCESS=true
mkdir -p var/celery var/celery-processed var/celery-control

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/python manage.py migrate --noinput >/dev/null
.venv/bin/python -m kiwoom_sim --host 127.0.0.1 --port "$SIM_PORT" --seed 7 --demo-keys &
pids+=($!)
.venv/bin/python manage.py demo_setup --wait-for-simulator 30
# The stock master from the simulator (3,226 codes, about 10 s); without it search knows the 26 seeded names.
.venv/bin/python manage.py kiwoom_sync_stocks --no-progress \
    || echo "  Stock master not synced: search knows the 26 seeded names until the daily sync."
.venv/bin/celery -A stocklab worker --beat --loglevel WARNING --concurrency 1 &
pids+=($!)
echo
echo "  StockLab is running:   http://127.0.0.1:${WEB_PORT}/"
echo "  Log in as:             demo / kiwoom-demo-2026   (demo Kiwoom keys already connected)"
echo "  Or sign up and connect keys you make up: an app key of sim + 17-61 letters or digits"
echo "                        (e.g. simMinji00000000000001) and a 20-64 character secret (e.g. minji-secret-0000001)"
echo "  API docs:              http://127.0.0.1:${WEB_PORT}/api/docs/"
echo "  Admin:                 http://127.0.0.1:${WEB_PORT}/admin/   (admin / stocklab-admin)"
echo "  Kiwoom simulator:      ${KIWOOM_MOCK_BASE_URL}"
echo
# ASGI (pages, API and the /ws/v1/live socket) under uvicorn.
.venv/bin/uvicorn stocklab.asgi:application --host 127.0.0.1 --port "${WEB_PORT}" --log-level warning &
pids+=($!)
wait -n "${pids[@]}"
