"""Tests with a real Celery worker and beat in a subprocess, on the test database and the simulator."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "celery_worker: starts a real Celery worker with beat in a subprocess (about 20 s)"
    )
