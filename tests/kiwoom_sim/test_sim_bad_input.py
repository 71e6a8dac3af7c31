"""Whatever a client sends gets a Kiwoom-shaped answer: header and format errors, limits, no traceback."""

from __future__ import annotations

import json
import random
import socket
import time

import pytest

from kiwoom_sim.testing import running_simulator

BALANCE = {"qry_tp": "1", "dmst_stex_tp": "KRX"}


def assert_kiwoom_error(response, code: str, return_code: int = 2, status: int = 200) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    for header in ("api-id", "cont-yn", "next-key"):
        assert header in response.headers
    body = response.json()
    assert set(body) == {"return_code", "return_msg"}
    assert body["return_code"] == return_code
    assert f"[{code}:" in body["return_msg"], body
    return body


class TestHeaders:
    def test_missing_api_id_is_1501(self, sim, token):
        response = sim.post("/api/dostk/acnt", BALANCE, {"authorization": f"Bearer {token}"})
        body = assert_kiwoom_error(response, "1501")
        assert body["return_msg"] == "입력 값 오류입니다[1501:API ID가 Null이거나 값이 없습니다]"

    def test_unknown_api_id_is_1505(self, sim, token, examples):
        response = sim.tr("kt99999", BALANCE, token)
        assert response.json() == examples["_common_errors"]["unknown_api_id"]["body"]
        assert response.headers["api-id"] == "kt99999"

    def test_api_id_on_the_wrong_path_is_1504(self, sim, token):
        response = sim.post(
            "/api/dostk/ordr", BALANCE, {"api-id": "kt00018", "authorization": f"Bearer {token}"}
        )
        body = assert_kiwoom_error(response, "1504")
        assert "API ID=kt00018" in body["return_msg"] and "URI=/api/dostk/ordr" in body["return_msg"]

    @pytest.mark.parametrize(
        ("authorization", "code"),
        [
            (None, "1513"),
            ("", "1513"),
            ("justatoken", "1514"),
            ("Bearer a b", "1514"),
            ("Token abcdef", "1515"),
            ("Basic dXNlcjpwYXNz", "1515"),
            ("Bearer", "1516"),
            ("Bearer   ", "1516"),
        ],
    )
    def test_authorization_header_errors(self, sim, authorization, code):
        headers = {"api-id": "kt00018"}
        if authorization is not None:
            headers["authorization"] = authorization
        assert_kiwoom_error(sim.post("/api/dostk/acnt", BALANCE, headers), code)

    def test_lower_case_bearer_is_accepted(self, sim, token):
        response = sim.post(
            "/api/dostk/acnt", BALANCE, {"api-id": "kt00018", "authorization": f"bearer {token}"}
        )
        assert response.json()["return_code"] == 0

    def test_a_ten_kilobyte_token_is_8005_at_once(self, sim):
        started = time.perf_counter()
        response = sim.tr("kt00018", BALANCE, "A" * 10_240)
        assert time.perf_counter() - started < 2
        assert_kiwoom_error(response, "8005", return_code=3)

    def test_paging_headers_are_optional_and_either_form_works(self, sim, token):
        assert sim.tr("kt00018", BALANCE, token).headers["cont-yn"] == "N"
        assert sim.tr("kt00018", BALANCE, token, cont_yn="N", next_key="").json()["return_code"] == 0


class TestBodies:
    @pytest.mark.parametrize(
        "raw",
        [
            b"{not json",
            b"qry_tp=1&dmst_stex_tp=KRX",
            b"[1, 2]",
            b"null",
            b'"text"',
            b"\xff\xfe\x00",
            b"[" * 40_000,
        ],
    )
    def test_anything_but_a_json_object_is_1517(self, sim, token, raw):
        response = sim.post(
            "/api/dostk/acnt", headers={"api-id": "kt00018", "authorization": f"Bearer {token}"}, data=raw
        )
        body = assert_kiwoom_error(response, "1517")
        assert "파라미터=body" in body["return_msg"]

    def test_an_empty_body_misses_the_required_fields(self, sim, token):
        response = sim.post(
            "/api/dostk/acnt", headers={"api-id": "kt00018", "authorization": f"Bearer {token}"}
        )
        body = assert_kiwoom_error(response, "1511")
        assert body["return_msg"].endswith("필수입력 파라미터=qry_tp]")

    @pytest.mark.parametrize("value", [1, 1.0, True, ["1"], {"v": "1"}])
    def test_numbers_and_other_non_strings_are_1517(self, sim, token, value):
        body = assert_kiwoom_error(sim.tr("kt00018", {"qry_tp": value, "dmst_stex_tp": "KRX"}, token), "1517")
        assert "파라미터=qry_tp" in body["return_msg"]

    def test_an_order_with_a_number_quantity_is_1517_and_not_placed(self, sim, token):
        order = {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": 1, "ord_uv": "", "trde_tp": "3"}
        assert_kiwoom_error(sim.tr("kt10000", order, token), "1517")
        assert sim.control.orders("demoAppKey00000000000000000000001") == []

    def test_a_quantity_of_ten_to_the_twelve_is_1517(self, sim, token):
        order = {
            "dmst_stex_tp": "KRX",
            "stk_cd": "005930",
            "ord_qty": str(10**12),
            "ord_uv": "",
            "trde_tp": "3",
        }
        body = assert_kiwoom_error(sim.tr("kt10000", order, token), "1517")
        assert "ord_qty" in body["return_msg"]

    def test_unknown_extra_fields_are_ignored(self, sim, token):
        assert sim.tr("kt00018", dict(BALANCE, extra=123), token).json()["return_code"] == 0

    def test_a_huge_body_is_refused_with_413(self, sim, token):
        response = sim.post(
            "/api/dostk/acnt",
            headers={"api-id": "kt00018", "authorization": f"Bearer {token}"},
            data=json.dumps({"qry_tp": "1", "pad": "x" * 200_000}).encode(),
        )
        assert_kiwoom_error(response, "1517", status=413)

    def test_a_body_that_never_arrives_does_not_hang_the_server(self):
        with running_simulator(body_timeout=0.5) as handle:
            host, port = handle.base_url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                raw.sendall(
                    b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 100\r\n\r\n{"grant_type":'
                )
                started = time.perf_counter()
                reply = raw.recv(65536)
                assert time.perf_counter() - started < 3
            head, _, body = reply.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408")
            assert b"[1517:" in body or b"[1517:" in body


class TestMethodsAndPaths:
    def test_get_is_a_kiwoom_shaped_405(self, sim, token):
        response = sim.http.get(sim.base_url + "/api/dostk/acnt", headers={"api-id": "kt00018"}, timeout=5)
        assert_kiwoom_error(response, "1517", status=405)
        response = sim.http.put(sim.base_url + "/oauth2/token", timeout=5)
        assert_kiwoom_error(response, "1517", status=405)

    def test_an_unknown_path_is_a_kiwoom_shaped_404(self, sim, token):
        response = sim.post("/api/other/thing", BALANCE, {"api-id": "kt00018"})
        assert_kiwoom_error(response, "1504", status=404)

    def test_every_tr_response_carries_the_three_headers(self, sim, token):
        responses = [
            sim.issue(),
            sim.tr("kt00018", BALANCE, token),
            sim.tr("kt00018", {}, token),
            sim.tr("ka10001", {"stk_cd": "005930"}, token),
            sim.tr("kt10000", {}, token),
        ]
        for response in responses:
            assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
            assert response.headers["cont-yn"] in ("Y", "N")
            assert "next-key" in response.headers
            assert response.headers["api-id"] in ("au10001", "kt00018", "ka10001", "kt10000")


class TestRateLimit:
    def test_one_call_per_second_per_token_and_tr(self, sim, token, examples):
        sim.control.configure(rate_limit=1)
        assert sim.tr("kt00018", BALANCE, token).status_code == 200
        limited = sim.tr("kt00018", BALANCE, token)

        assert limited.status_code == 429
        assert limited.headers["api-id"] == "kt00018"
        assert limited.json() == {
            "return_code": 5,
            "return_msg": "허용된 요청 개수를 초과하였습니다[1700:허용된 API 요청 개수를 초과하였습니다. "
            "유량=1, API ID=kt00018]",
        }
        # Other TRs and other tokens have their own buckets.
        assert sim.tr("kt00001", {"qry_tp": "3"}, token).status_code == 200
        other = sim.token("rateOther", "rateSecret")
        assert sim.tr("kt00018", BALANCE, other).status_code == 200
        time.sleep(1.05)
        assert sim.tr("kt00018", BALANCE, token).status_code == 200

    def test_the_limit_is_configurable_and_named_in_the_message(self, sim, token):
        sim.control.configure(rate_limit=3)
        statuses = [sim.tr("ka10001", {"stk_cd": "005930"}, token).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert "유량=3, API ID=ka10001" in sim.tr("ka10001", {"stk_cd": "005930"}, token).json()["return_msg"]

    def test_orders_are_throttled_too(self, sim, token, examples):
        sim.control.configure(rate_limit=1)
        assert sim.order(token, "buy", "005930", 1, trde_tp="3").json()["return_code"] == 0
        limited = sim.order(token, "buy", "005930", 1, trde_tp="3")
        assert limited.status_code == 429
        assert limited.json() == examples["kt10000"]["variants"]["rate_limited_mock"]["body"]
        assert len(sim.control.orders("demoAppKey00000000000000000000001")) == 1


class TestGarbage:
    def test_odd_header_bytes_are_answered_not_crashed_on(self, sim, token):
        response = sim.post(
            "/api/dostk/acnt", BALANCE, {"api-id": "kt\u00e9", "authorization": f"Bearer {token}"}
        )
        body = assert_kiwoom_error(response, "1505")
        assert response.headers["api-id"] == "kt?" and "API ID=kt?" in body["return_msg"]

    def test_random_requests_always_get_a_kiwoom_shaped_answer(self, sim, token):
        """A seeded barrage of odd paths, headers and bodies: every answer has return_code and return_msg."""
        rng = random.Random(2024)
        api_ids = [
            "kt00018",
            "kt10000",
            "kt10002",
            "ka10075",
            "ka10076",
            "kt00007",
            "ka10001",
            "au10001",
            "",
            "x" * 60,
        ]
        paths = [
            "/api/dostk/acnt",
            "/api/dostk/ordr",
            "/api/dostk/stkinfo",
            "/oauth2/token",
            "/oauth2/revoke",
        ]
        values = [
            "",
            "0",
            "1",
            "-1",
            "KRX",
            "NXT",
            "005930",
            "A005930",
            "9" * 13,
            "\ud800",
            "１２",
            "²",
            "0.5",
            None,
        ]
        fields = [
            "qry_tp",
            "dmst_stex_tp",
            "stk_cd",
            "ord_qty",
            "ord_uv",
            "trde_tp",
            "orig_ord_no",
            "mdfy_qty",
            "mdfy_uv",
            "cncl_qty",
            "all_stk_tp",
            "stex_tp",
            "sell_tp",
            "ord_no",
            "appkey",
            "secretkey",
            "grant_type",
            "token",
            "fr_ord_no",
            "ord_dt",
            "stk_bond_tp",
        ]
        statuses = set()
        for _ in range(300):
            body = {
                rng.choice(fields): rng.choice([*values, 7, 1.5, [], {}]) for _ in range(rng.randint(0, 6))
            }
            headers = {
                "api-id": rng.choice(api_ids),
                "authorization": rng.choice([f"Bearer {token}", "Bearer x", ""]),
            }
            if rng.random() < 0.3:
                headers["cont-yn"], headers["next-key"] = (
                    "Y",
                    rng.choice(["", "KT00018000000000020", "²" * 12]),
                )
            raw = (
                json.dumps(body).encode()
                if rng.random() < 0.9
                else bytes(rng.randrange(256) for _ in range(20))
            )
            response = sim.post(rng.choice(paths), headers=headers, data=raw)
            statuses.add(response.status_code)
            data = response.json()
            assert isinstance(data["return_code"], int) and isinstance(data["return_msg"], str), data
            assert response.status_code in (200, 429), (response.status_code, data, body, headers)
        assert 200 in statuses
