"""The site's gunicorn worker (Dockerfile, docker-compose.yml): uvicorn's, with the WebSocket settings that
keep thousands of open /ws/v1/live sockets small, and access logs without the scripts' tokens."""

import logging
import re

from uvicorn_worker import UvicornWorker

_TOKEN = re.compile(r"(?<=[?&]token=)[^&\s\"]*")


class RedactTokenFilter(logging.Filter):
    """Blank the `token=` of a logged path: scripts open /ws/v1/live?token=<JWT access>, and uvicorn's access
    log writes the path with its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN.sub("[redacted]", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub("[redacted]", record.msg)
        return True


def redact_access_log() -> None:
    """Put RedactTokenFilter on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokenFilter) for f in access.filters):
        access.addFilter(RedactTokenFilter())


class LiveUvicornWorker(UvicornWorker):
    # permessage-deflate (uvicorn's default; every browser asks for it) keeps zlib state for each socket:
    # 519 MB for 5,000 sockets against 312 MB without (bench/README.md), for messages of a few hundred bytes.
    CONFIG_KWARGS = {
        **UvicornWorker.CONFIG_KWARGS,
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        redact_access_log()
