"""The ASGI application: Django's pages and API over HTTP, the live channel (/ws/v1/live) over WebSocket."""

import os

from django.core.asgi import get_asgi_application

# A deployment that names no settings runs production's, which refuse to start without their secrets.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocklab.settings.production")

# Django first: the routes below import models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from brokerage.live.auth import LiveAuthMiddlewareStack, LiveOriginValidator  # noqa: E402
from brokerage.live.lifespan import LiveLifespan  # noqa: E402
from brokerage.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # Pages authenticate with their session (the Origin check keeps other sites from borrowing it),
        # scripts with ?token=<JWT access>.
        "websocket": LiveOriginValidator(LiveAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        # Starts the Kiwoom stream inside this process when LIVE_STREAM_IN_PROCESS says so (the demo).
        "lifespan": LiveLifespan(),
    }
)
