"""Fixtures for the simulator's own tests: one simulator per session, reset before every test.

The simulator runs with a frozen clock at a fixed Korea time (a Tuesday, 10:00, inside trading hours), so
prices move only when a test moves the clock, and a high rate limit, so only the tests about limits meet it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiwoom_sim.testing import DEMO_APP_KEY, DEMO_SECRET, SimulatorHandle, running_simulator

START = "20250715100000"
PATHS = {
    "au10001": "/oauth2/token",
    "au10002": "/oauth2/revoke",
    "ka10001": "/api/dostk/stkinfo",
    **dict.fromkeys(("kt10000", "kt10001", "kt10002", "kt10003"), "/api/dostk/ordr"),
}
EXAMPLES_PATH = Path("/work/shared/kiwoom/examples.json")


def load_examples() -> dict[str, Any]:
    """The shared protocol examples (or their copy in tests/brokerage/kiwoom when /work/shared is absent)."""
    path = EXAMPLES_PATH
    if not path.exists():
        path = Path(__file__).parents[1] / "brokerage" / "kiwoom" / "examples.json"
    return json.loads(path.read_text(encoding="utf-8"))


class Kiwoom:
    """A thin Kiwoom-speaking test client of the simulator: raw requests, no client library in between."""

    def __init__(self, handle: SimulatorHandle) -> None:
        self.handle = handle
        self.base_url = handle.base_url
        self.ws_url = handle.ws_url
        self.control = handle.control
        self.http = requests.Session()

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None, **kwargs: Any):
        sent = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        data = kwargs.pop("data", None)
        if data is None and body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
        return self.http.post(self.base_url + path, data=data, headers=sent, timeout=10, **kwargs)

    def issue(self, app_key: str = DEMO_APP_KEY, secret: str = DEMO_SECRET) -> requests.Response:
        return self.post(
            "/oauth2/token", {"grant_type": "client_credentials", "appkey": app_key, "secretkey": secret}
        )

    def token(self, app_key: str = DEMO_APP_KEY, secret: str = DEMO_SECRET) -> str:
        body = self.issue(app_key, secret).json()
        assert body["return_code"] == 0, body
        return body["token"]

    def tr(
        self,
        api_id: str,
        body: Any,
        token: str,
        *,
        cont_yn: str | None = None,
        next_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        sent = {"api-id": api_id, "authorization": f"Bearer {token}"}
        if cont_yn is not None:
            sent["cont-yn"] = cont_yn
        if next_key is not None:
            sent["next-key"] = next_key
        sent.update(headers or {})
        return self.post(PATHS.get(api_id, "/api/dostk/acnt"), body, sent)

    def ok(self, api_id: str, body: Any, token: str, **kwargs: Any) -> dict[str, Any]:
        """Call a TR and insist on success."""
        response = self.tr(api_id, body, token, **kwargs)
        data = response.json()
        assert response.status_code == 200 and data["return_code"] == 0, (response.status_code, data)
        return data

    # -- order and query shorthands ----------------------------------------------------------------

    def order(
        self, token: str, side: str, code: str, qty: int, price: int | None = None, trde_tp: str = "0"
    ) -> requests.Response:
        body = {
            "dmst_stex_tp": "KRX",
            "stk_cd": code,
            "ord_qty": str(qty),
            "ord_uv": "" if price is None else str(price),
            "trde_tp": trde_tp,
            "cond_uv": "",
        }
        return self.tr("kt10000" if side == "buy" else "kt10001", body, token)

    def buy(self, token: str, code: str, qty: int, price: int | None = None, trde_tp: str = "0") -> str:
        data = self.order(token, "buy", code, qty, price, trde_tp).json()
        assert data["return_code"] == 0, data
        return data["ord_no"]

    def sell(self, token: str, code: str, qty: int, price: int | None = None, trde_tp: str = "0") -> str:
        data = self.order(token, "sell", code, qty, price, trde_tp).json()
        assert data["return_code"] == 0, data
        return data["ord_no"]

    def balance(self, token: str) -> dict[str, Any]:
        return self.ok("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"}, token)

    def deposit(self, token: str) -> dict[str, Any]:
        return self.ok("kt00001", {"qry_tp": "3"}, token)

    def open_orders(self, token: str) -> list[dict[str, str]]:
        return self.ok("ka10075", {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}, token)[
            "oso"
        ]

    def fills(self, token: str, ord_no: str = "") -> list[dict[str, str]]:
        body = {"stk_cd": "", "qry_tp": "0", "sell_tp": "0", "ord_no": ord_no, "stex_tp": "0"}
        return self.ok("ka10076", body, token)["cntr"]

    def order_detail(self, token: str, qry_tp: str = "1") -> list[dict[str, str]]:
        body = {
            "ord_dt": "",
            "qry_tp": qry_tp,
            "stk_bond_tp": "0",
            "sell_tp": "0",
            "stk_cd": "",
            "fr_ord_no": "",
            "dmst_stex_tp": "%",
        }
        return self.ok("kt00007", body, token)["acnt_ord_cntr_prps_dtl"]


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimulatorHandle]:
    with running_simulator(
        rate_limit=1000, seed=7, auto_provision=True, start_time=START, freeze_clock=True
    ) as handle:
        yield handle


@pytest.fixture
def sim(sim_server: SimulatorHandle) -> Iterator[Kiwoom]:
    """The session's simulator, reset to its start-up state, with a raw Kiwoom client."""
    sim_server.control.reset()
    client = Kiwoom(sim_server)
    yield client
    client.http.close()


@pytest.fixture
def token(sim: Kiwoom) -> str:
    """A fresh token of the demo account."""
    return sim.token()


@pytest.fixture
def examples() -> dict[str, Any]:
    return load_examples()
