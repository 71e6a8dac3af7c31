"""The gunicorn worker production runs: uvicorn's, without permessage-deflate."""

import logging

from gunicorn.config import Config
from gunicorn.glogging import Logger

from brokerage.live.workers import LiveUvicornWorker, RedactTokenFilter


def test_the_worker_serves_websockets_without_per_message_deflate():
    assert LiveUvicornWorker.CONFIG_KWARGS["ws"] == "websockets-sansio"
    assert LiveUvicornWorker.CONFIG_KWARGS["ws_per_message_deflate"] is False
    assert LiveUvicornWorker.CONFIG_KWARGS["loop"] == "auto"  # uvicorn's own choices kept


def _access_record(path: str) -> logging.LogRecord:
    # As uvicorn writes a WebSocket handshake to its access log.
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("1.2.3.4:5", path),
        None,
    )


def test_the_access_log_does_not_carry_the_token():
    record = _access_record("/ws/v1/live?token=eyJhbGciOi.eyJzdWIi.c2lnbmF0&x=1")
    assert RedactTokenFilter().filter(record)
    assert record.getMessage() == '1.2.3.4:5 - "WebSocket /ws/v1/live?token=[redacted]&x=1" [accepted]'
    assert "eyJ" not in record.getMessage()


def test_the_worker_puts_the_filter_on_uvicorns_access_logger():
    access = logging.getLogger("uvicorn.access")
    access.filters = [f for f in access.filters if not isinstance(f, RedactTokenFilter)]
    cfg = Config()
    LiveUvicornWorker(0, 0, [], None, 30, cfg, Logger(cfg))
    record = _access_record("/ws/v1/live?token=secret")
    assert access.filter(record)
    assert "secret" not in record.getMessage()
