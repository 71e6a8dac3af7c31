"""The ASGI lifespan: the Kiwoom stream inside the web process, when LIVE_STREAM_IN_PROCESS says so.

Only for the one-process demo: without Redis the channel layer lives in one process's memory, and only a
stream running in that same process reaches its browsers. Deployments run `manage.py kiwoom_stream` apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from django.conf import settings

from brokerage.live.stream import StreamProcess

logger = logging.getLogger(__name__)


class LiveLifespan:
    """An ASGI application for `lifespan` scopes."""

    async def __call__(self, scope, receive, send):
        process = task = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if settings.LIVE_STREAM_IN_PROCESS:
                    process = StreamProcess()
                    task = asyncio.create_task(_run(process), name="kiwoom-stream")
                    logger.info("live: stream process %s runs inside the web process", process.owner)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if process is not None:
                    process.stop()  # closes its sockets and gives its leases up
                    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                        await asyncio.wait_for(task, timeout=10)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _run(process: StreamProcess) -> None:
    try:
        await process.run()
    except Exception:
        logger.exception("live: the in-process stream stopped")
