"""au10001 / au10002 and token life on the simulator clock (PROTOCOL.md 1.8, 2)."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import datetime, timedelta

import pytest

from kiwoom_sim.clock import KST
from kiwoom_sim.config import SimConfig
from kiwoom_sim.state import SimState
from kiwoom_sim.testing import DEMO_APP_KEY, DEMO_SECRET, SimControlError, running_simulator
from kiwoom_sim.tokens import TokenStore

from .conftest import START, Kiwoom

BALANCE = {"qry_tp": "1", "dmst_stex_tp": "KRX"}
INVALID_TOKEN = {"return_code": 3, "return_msg": "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"}


def revoke(sim: Kiwoom, token: str | None, app_key: str = DEMO_APP_KEY, secret: str = DEMO_SECRET):
    body = {"appkey": app_key, "secretkey": secret}
    if token is not None:
        body["token"] = token
    return sim.post("/oauth2/revoke", body)


class TestIssue:
    def test_success_shape(self, sim, examples):
        response = sim.issue()
        body = response.json()

        assert response.status_code == 200
        assert set(body) == set(examples["au10001"]["response"]["body"])
        assert body["token_type"] == "Bearer"
        assert body["return_code"] == 0 and body["return_msg"] == "정상적으로 처리되었습니다"
        assert len(body["token"]) == 86 and re.fullmatch(r"[A-Za-z0-9_-]+", body["token"])
        assert response.headers["api-id"] == "au10001"
        assert response.headers["Content-Type"] == "application/json;charset=UTF-8"

    def test_expires_dt_is_korea_time_on_the_simulator_clock_plus_the_ttl(self, sim):
        sim.control.advance_clock(3600)
        expires = sim.issue().json()["expires_dt"]

        assert expires == (datetime.strptime(START, "%Y%m%d%H%M%S") + timedelta(hours=25)).strftime(
            "%Y%m%d%H%M%S"
        )

        sim.control.configure(token_ttl=600)
        assert sim.issue().json()["expires_dt"] == "20250715111000"

    def test_api_id_header_is_accepted_when_it_names_the_tr(self, sim):
        body = {"grant_type": "client_credentials", "appkey": DEMO_APP_KEY, "secretkey": DEMO_SECRET}
        assert sim.post("/oauth2/token", body, {"api-id": "au10001"}).json()["return_code"] == 0
        wrong = sim.post("/oauth2/token", body, {"api-id": "kt00018"}).json()
        assert wrong["return_code"] == 2 and "[1504:" in wrong["return_msg"]

    def test_wrong_secret_is_8001(self, sim, examples):
        response = sim.issue(DEMO_APP_KEY, "not-the-secret")
        assert response.status_code == 200
        assert response.json() == examples["au10001"]["variants"]["bad_app_key"]["body"]

    def test_grant_type_must_be_client_credentials(self, sim):
        missing = sim.post("/oauth2/token", {"appkey": DEMO_APP_KEY, "secretkey": DEMO_SECRET}).json()
        wrong = sim.post(
            "/oauth2/token", {"grant_type": "password", "appkey": DEMO_APP_KEY, "secretkey": DEMO_SECRET}
        ).json()
        assert missing["return_code"] == 3 and "[8011:" in missing["return_msg"]
        assert wrong["return_code"] == 3 and "[8012:" in wrong["return_msg"]

    def test_missing_keys_are_8020(self, sim):
        for body in (
            {"grant_type": "client_credentials", "appkey": DEMO_APP_KEY},
            {"grant_type": "client_credentials", "secretkey": DEMO_SECRET},
            {"grant_type": "client_credentials", "appkey": "", "secretkey": ""},
        ):
            data = sim.post("/oauth2/token", body).json()
            assert data == {
                "return_code": 3,
                "return_msg": "인증 실패[8020:입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.]",
            }

    def test_a_number_instead_of_a_string_is_1517(self, sim):
        data = sim.post(
            "/oauth2/token", {"grant_type": "client_credentials", "appkey": 1, "secretkey": "x"}
        ).json()
        assert data["return_code"] == 2 and "[1517:" in data["return_msg"] and "appkey" in data["return_msg"]


class TestReissue:
    def test_new_mode_gives_a_new_token_and_kills_the_old(self, sim):
        first = sim.token()
        second = sim.token()

        assert first != second
        assert sim.tr("kt00018", BALANCE, first).json() == INVALID_TOKEN
        assert sim.tr("kt00018", BALANCE, second).json()["return_code"] == 0

    def test_same_mode_hands_back_the_live_token_and_its_expiry(self, sim):
        sim.control.configure(reissue_mode="same")
        first = sim.issue().json()
        sim.control.advance_clock(3600)
        second = sim.issue().json()

        assert second["token"] == first["token"]
        assert second["expires_dt"] == first["expires_dt"]

        sim.control.advance_clock(86400)  # now past expiry: a fresh token with a later expiry
        third = sim.issue().json()
        assert third["token"] != first["token"]
        assert third["expires_dt"] > first["expires_dt"]


class TestExpiryAndRevoke:
    def test_a_token_dies_when_the_simulator_clock_passes_its_expiry(self, sim):
        sim.control.configure(token_ttl=60)
        token = sim.token()
        sim.control.advance_clock(59)
        assert sim.tr("kt00018", BALANCE, token).json()["return_code"] == 0

        sim.control.advance_clock(2)
        response = sim.tr("kt00018", BALANCE, token)
        assert response.status_code == 200
        assert response.json() == INVALID_TOKEN

    def test_expire_all_tokens(self, sim, token):
        other = sim.token("someone-else", "their-secret")  # auto-provisioned
        sim.control.expire_tokens()

        assert sim.tr("kt00018", BALANCE, token).json() == INVALID_TOKEN
        assert sim.tr("kt00018", BALANCE, other).json() == INVALID_TOKEN

    @pytest.mark.parametrize("code", [8010, 8040, 8103])
    def test_refused_tokens_get_their_auth_code_and_a_new_token_works(self, sim, token, code):
        sim.control.refuse_tokens(code)

        refused = sim.tr("kt00018", BALANCE, token)
        fresh = sim.token(DEMO_APP_KEY, DEMO_SECRET)

        assert refused.status_code == 200
        assert refused.json()["return_code"] == 3
        assert f"[{code}:" in refused.json()["return_msg"]
        assert fresh != token
        assert sim.tr("kt00018", BALANCE, fresh).json()["return_code"] == 0

    def test_only_known_refusal_codes_are_taken(self, sim):
        with pytest.raises(SimControlError) as refused:
            sim.control.refuse_tokens(8001)

        assert refused.value.status == 400

    def test_revoke_then_8005(self, sim, token, examples):
        response = revoke(sim, token)
        assert response.status_code == 200
        assert response.json() == examples["au10002"]["response"]["body"]
        assert response.headers["api-id"] == "au10002"
        assert sim.tr("kt00018", BALANCE, token).json() == INVALID_TOKEN

    def test_revoke_without_a_token_is_8016(self, sim, examples):
        assert revoke(sim, None).json() == examples["au10002"]["variants"]["missing_token"]["body"]

    def test_revoke_of_an_unknown_token_or_with_a_wrong_secret(self, sim, token):
        unknown = revoke(sim, "x" * 86).json()
        assert unknown["return_code"] == 3 and "[8015:" in unknown["return_msg"]
        wrong_secret = revoke(sim, token, secret="nope").json()
        assert wrong_secret["return_code"] == 3 and "[8001:" in wrong_secret["return_msg"]
        assert sim.tr("kt00018", BALANCE, token).json()["return_code"] == 0  # still alive

    def test_a_token_of_another_key_cannot_be_revoked(self, sim, token):
        sim.control.add_account("otherKey", "otherSecret", cash=1000)
        data = revoke(sim, token, app_key="otherKey", secret="otherSecret").json()
        assert "[8015:" in data["return_msg"]
        assert sim.tr("kt00018", BALANCE, token).json()["return_code"] == 0


class TestTokenCheckedWhenTheRequestIsComplete:
    def test_a_token_revoked_while_an_order_body_is_in_flight_places_nothing(self, sim, token):
        body = json.dumps(
            {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "", "trde_tp": "3"}
        ).encode()
        head = (
            "POST /api/dostk/ordr HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n"
            f"Content-Type: application/json;charset=UTF-8\r\napi-id: kt10000\r\n"
            f"authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        host, port = sim.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(head + body[:10])
            time.sleep(0.3)  # the server has the headers and waits for the rest of the body
            assert revoke(sim, token).json()["return_code"] == 0
            raw.sendall(body[10:])
            reply = b""
            while chunk := raw.recv(65536):
                reply += chunk

        assert reply.startswith(b"HTTP/1.1 200")
        assert json.loads(reply.partition(b"\r\n\r\n")[2]) == INVALID_TOKEN
        assert sim.control.orders(DEMO_APP_KEY) == []


class TestWhoMayLogIn:
    def test_auto_provision_creates_an_account_and_binds_the_secret(self, sim):
        token = sim.token("brandNewKey0001", "secretA")
        body = sim.balance(token)

        codes = {row["stk_cd"] for row in body["acnt_evlt_remn_indv_tot"]}
        assert codes == {"A005930", "A000660", "A035420"}
        assert sim.deposit(token)["entr"] == "000000010000000"
        assert (
            sim.issue("brandNewKey0001", "secretB")
            .json()["return_msg"]
            .startswith("인증에 실패했습니다[8001:")
        )
        assert sim.ok("ka00001", {}, token)["acctNo"].startswith("81")

    def test_without_auto_provision_unknown_keys_are_8001(self, tmp_path):
        accounts = tmp_path / "accounts.json"
        accounts.write_text(
            '[{"app_key": "fileKey", "secret": "fileSecret", "cash": 5000000,'
            ' "holdings": [{"stk_cd": "035720", "qty": 7, "avg_price": 40000}]}]',
            encoding="utf-8",
        )
        with running_simulator(accounts_file=str(accounts), freeze_clock=True, start_time=START) as handle:
            client = Kiwoom(handle)
            assert "[8001:" in client.issue("unknownKey", "whatever").json()["return_msg"]
            token = client.token("fileKey", "fileSecret")
            rows = client.balance(token)["acnt_evlt_remn_indv_tot"]
            assert [(r["stk_cd"], r["rmnd_qty"], r["pur_pric"]) for r in rows] == [
                ("A035720", "000000000000007", "000000000040000")
            ]
            assert client.token() != token  # the demo account is always there

    def test_ten_thousand_provisioned_accounts_are_cheap(self):
        state = SimState(SimConfig(auto_provision=True, freeze_clock=True, start_time=START))
        started = time.perf_counter()
        for i in range(10_000):
            account = state.authenticate(f"loadKey{i:05d}", f"secret{i}")
            state.tokens.issue(account.app_key, state.clock.now(), 86400, "new")
        elapsed = time.perf_counter() - started

        assert len(state.engine.accounts) == 10_001
        assert len({a.acnt_no for a in state.engine.accounts.values()}) == 10_001
        assert elapsed < 3.0


class TestTokenStore:
    def test_expired_tokens_do_not_pile_up_as_keys_renew_them(self):
        store = TokenStore()
        start = datetime(2025, 7, 15, 10, tzinfo=KST)
        for day in range(100):
            for key in ("keyA", "keyB"):
                store.issue(key, start + timedelta(days=day), ttl=3600, reissue_mode="new")

        assert len(store) == 2
