"""The Celery application, as in Celery's Django example: configured from Django's CELERY_* settings."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

# A deployment that names no settings runs production's, which refuse to start without their secrets.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocklab.settings.production")

app = Celery("stocklab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Database connections live as long as CONN_MAX_AGE allows and no longer, as around a web request.

    Celery's own Django fixup would close them around every task, which costs each task a new connection;
    CELERY_DB_REUSE_MAX hands the decision to this handler instead.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's transaction: leave the connection alone
    from django.db import close_old_connections

    close_old_connections()
