"""The gunicorn worker production runs: uvicorn's, without permessage-deflate."""

from brokerage.live.workers import LiveUvicornWorker


def test_the_worker_serves_websockets_without_per_message_deflate():
    assert LiveUvicornWorker.CONFIG_KWARGS["ws"] == "websockets-sansio"
    assert LiveUvicornWorker.CONFIG_KWARGS["ws_per_message_deflate"] is False
    assert LiveUvicornWorker.CONFIG_KWARGS["loop"] == "auto"  # uvicorn's own choices kept
