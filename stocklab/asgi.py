"""The ASGI application: Django's pages and API over HTTP, the protocols settings.ASGI_PROTOCOLS names (the
live channel, /ws/v1/live, over WebSocket) beside it. Named by dotted path, as ROOT_URLCONF names the URLs."""

import os

from django.core.asgi import get_asgi_application

# A deployment that names no settings runs production's, which refuse to start without their secrets.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocklab.settings.production")

# Django first: the applications below import models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        **{protocol: import_string(path) for protocol, path in settings.ASGI_PROTOCOLS.items()},
    }
)
