"""The site's gunicorn worker (Dockerfile, docker-compose.yml): uvicorn's, with the WebSocket settings that
keep thousands of open /ws/v1/live sockets small."""

from uvicorn_worker import UvicornWorker


class LiveUvicornWorker(UvicornWorker):
    # permessage-deflate (uvicorn's default; every browser asks for it) keeps zlib state for each socket:
    # 519 MB for 5,000 sockets against 312 MB without (bench/README.md), for messages of a few hundred bytes.
    CONFIG_KWARGS = {
        **UvicornWorker.CONFIG_KWARGS,
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
    }
