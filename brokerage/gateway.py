"""The Kiwoom client for each mode, built from settings (one pooled session per base URL and process)."""

from functools import cache

from django.conf import settings

from .kiwoom import KiwoomClient
from .models import Mode


@cache
def _client(base_url: str, connect_timeout: float, read_timeout: float) -> KiwoomClient:
    return KiwoomClient(base_url, connect_timeout=connect_timeout, read_timeout=read_timeout)


def client_for(mode: str) -> KiwoomClient:
    base_url = settings.KIWOOM_REAL_BASE_URL if mode == Mode.REAL else settings.KIWOOM_MOCK_BASE_URL
    return _client(base_url, settings.KIWOOM_CONNECT_TIMEOUT, settings.KIWOOM_READ_TIMEOUT)
