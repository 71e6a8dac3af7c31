"""The live channel's ASGI applications, named in settings.ASGI_PROTOCOLS for stocklab.asgi to mount."""

from channels.routing import URLRouter

from brokerage.live.auth import LiveAuthMiddlewareStack, LiveOriginValidator
from brokerage.live.lifespan import LiveLifespan
from brokerage.live.routing import websocket_urlpatterns

# Pages authenticate with their session (the Origin check keeps other sites from borrowing it), scripts with
# ?token=<JWT access>.
websocket = LiveOriginValidator(LiveAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))

# Starts the Kiwoom stream inside this process when LIVE_STREAM_IN_PROCESS says so (the demo).
lifespan = LiveLifespan()
