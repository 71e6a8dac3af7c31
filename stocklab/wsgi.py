import os

from django.core.wsgi import get_wsgi_application

# A deployment that names no settings runs production's, which refuse to start without their secrets.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocklab.settings.production")

application = get_wsgi_application()
