import os

from django.core.asgi import get_asgi_application

# A deployment that names no settings runs production's, which refuse to start without their secrets.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocklab.settings.production")

application = get_asgi_application()
