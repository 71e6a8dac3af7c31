"""Fixtures for the Kiwoom client's unit tests: the protocol examples, a client, and `responses` mocks.

`examples.json` is a copy of the shared protocol examples (/work/shared/kiwoom/examples.json): bodies shaped
exactly like Kiwoom's wire format, so the client is tested against Kiwoom's format and nobody else's.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from brokerage.kiwoom import KiwoomClient

from .helpers import BASE_URL

_EXAMPLES = json.loads((Path(__file__).with_name("examples.json")).read_text(encoding="utf-8"))


@pytest.fixture
def examples() -> dict[str, Any]:
    """A fresh deep copy of examples.json, free to modify."""
    return copy.deepcopy(_EXAMPLES)


@pytest.fixture
def client() -> Iterator[KiwoomClient]:
    with KiwoomClient(BASE_URL) as kiwoom_client:
        yield kiwoom_client


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Every HTTP call must be registered; unused registrations fail the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def serve(mocked: responses.RequestsMock) -> Callable[..., None]:
    """`serve(path, body, status=200, headers=None)`: queue one JSON answer for POST `path`."""

    def add(path: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        mocked.add(
            responses.POST,
            BASE_URL + path,
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            status=status,
            headers=headers or {},
            content_type="application/json;charset=UTF-8",
        )

    return add


@pytest.fixture
def host_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """`host_time_zone("America/New_York")` switches the process's local time zone for the test."""

    def switch(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield switch
    monkeypatch.undo()
    time.tzset()
