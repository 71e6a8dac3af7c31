"""Wire formats (PROTOCOL.md 1, 3) and the kt00018 example reproduced by the simulator's arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiwoom_sim.book import Fees
from kiwoom_sim.config import DEFAULT_FEE_RATE, DEFAULT_TAX_RATE
from kiwoom_sim.protocol import (
    Field,
    KiwoomError,
    order_rejection,
    pad,
    rate,
    rate_limited,
    signed_price,
    signed_rate,
    validate_body,
)
from kiwoom_sim.views import Position, kt00018

FEES = Fees(DEFAULT_FEE_RATE, DEFAULT_TAX_RATE)


class TestNumbers:
    @pytest.mark.parametrize(
        ("value", "width", "expected"),
        [
            (17598258, 15, "000000017598258"),
            (-196888, 15, "-00000000196888"),
            (59000, 12, "000000059000"),
            (-3201, 12, "-00000003201"),
            (0, 15, "000000000000000"),
        ],
    )
    def test_pad_keeps_the_sign_inside_the_width(self, value, width, expected):
        assert pad(value, width) == expected
        assert len(pad(value, width)) == width

    def test_price_sign_marks_the_direction_against_the_base(self):
        assert signed_price(74100, 74000) == "+74100"
        assert signed_price(21530, 22000, 12) == "-000000021530"
        assert signed_price(70000, 70000, 12) == "000000070000"

    @pytest.mark.parametrize(
        ("num", "den", "places", "expected"),
        [
            (18504, 700000, 2, "2.64"),
            (-14597, 540000, 2, "-2.70"),
            (700000, 1240000, 2, "56.45"),
            (3907, 1240000, 2, "0.32"),
            (-1, 10**9, 2, "0.00"),
            (5, 0, 2, "0.00"),
            (-43897700, 10**8, 4, "-43.8977"),
        ],
    )
    def test_rates_round_half_up_and_show_a_sign_only_when_negative(self, num, den, places, expected):
        assert rate(num, den, places) == expected

    def test_signed_rate_adds_plus_on_a_rise(self):
        assert signed_rate(500, 71500) == "+0.70"
        assert signed_rate(-500, 71500) == "-0.70"
        assert signed_rate(0, 71500) == "0.00"

    def test_fees_floor_to_ten_won_and_tax_to_one(self):
        assert FEES.commission(700000) == 100  # 105 -> 100
        assert FEES.commission(526500) == 70  # 78.975 -> 70
        assert FEES.commission(60000) == 0  # 9 won -> 0
        assert FEES.tax(526500) == 947
        assert Fees(Decimal("0.0003"), Decimal("0")).commission(700000) == 210


class TestErrorEnvelopes:
    def test_order_rejection_shape(self):
        error = order_rejection("RC4003", "모의투자 호가단위 오류입니다.")
        assert error.body() == {
            "return_code": 20,
            "return_msg": "[2000](RC4003:모의투자 호가단위 오류입니다.)",
        }
        assert error.status == 200

    def test_rate_limit_shape(self, examples):
        error = rate_limited(1, "kt10000")
        assert error.status == 429
        assert error.body() == examples["kt10000"]["variants"]["rate_limited_mock"]["body"]

    def test_validate_body_order_of_checks(self):
        fields = (Field("qry_tp", True, 1, "choice", ("1", "2")), Field("ord_qty", True, 12, "digits"))
        with pytest.raises(KiwoomError, match=r"\[1517:.*파라미터=qry_tp"):
            validate_body({"qry_tp": 1}, fields)
        with pytest.raises(KiwoomError, match=r"\[1511:.*필수입력 파라미터=qry_tp\]"):
            validate_body({"qry_tp": ""}, fields)
        with pytest.raises(KiwoomError, match=r"\[1517:.*파라미터=ord_qty"):
            validate_body({"qry_tp": "1", "ord_qty": "1000000000000"}, fields)
        with pytest.raises(KiwoomError, match=r"\[1517:.*파라미터=qry_tp"):
            validate_body({"qry_tp": "3", "ord_qty": "1"}, fields)
        assert validate_body({"qry_tp": "2", "ord_qty": "12"}, fields) == {"qry_tp": "2", "ord_qty": "12"}


def _example_positions(example_rows: list[dict[str, str]]) -> list[Position]:
    """The holdings behind the example: quantity, purchase amount, current and previous-close prices."""
    return [
        Position(
            code=row["stk_cd"].removeprefix("A"),
            name=row["stk_nm"],
            qty=int(row["rmnd_qty"]),
            pur_amt=int(row["pur_amt"]),
            cur_price=abs(int(row["cur_prc"])),
            base_price=int(row["pred_close_pric"]),
            sellable=int(row["trde_able_qty"]),
        )
        for row in example_rows
    ]


class TestKt00018Example:
    def test_every_field_of_the_example_is_reproduced(self, examples):
        expected = examples["kt00018"]["response"]["body"]
        rows = expected["acnt_evlt_remn_indv_tot"]
        tot_evlt = int(expected["tot_evlt_amt"])
        cash = int(expected["prsm_dpst_aset_amt"]) - tot_evlt  # 8,753,500 in the example

        summary, out = kt00018(cash, _example_positions(rows), FEES, price_sign=False)

        for name, value in summary.items():
            assert value == expected[name], name
        assert len(out) == len(rows)
        for got, want in zip(out, rows, strict=True):
            assert list(got) == list(want)  # same fields in the same order
            for name in want:
                assert got[name] == want[name], (want["stk_cd"], name)

    def test_the_live_form_only_adds_a_direction_sign_to_cur_prc(self, examples):
        rows = examples["kt00018"]["response"]["body"]["acnt_evlt_remn_indv_tot"]
        _, plain = kt00018(0, _example_positions(rows), FEES, price_sign=False)
        _, signed = kt00018(0, _example_positions(rows), FEES, price_sign=True)

        assert signed[0]["cur_prc"] == "+" + plain[0]["cur_prc"]  # 72,000 above 71,500
        assert signed[1]["cur_prc"] == "-" + plain[1]["cur_prc"]  # 175,500 below 176,000
        for a, b in zip(plain, signed, strict=True):
            assert {k: v for k, v in a.items() if k != "cur_prc"} == {
                k: v for k, v in b.items() if k != "cur_prc"
            }

    def test_over_the_wire_with_the_examples_account(self, sim, examples):
        """The same example through HTTP: an account with the example's cash and holdings, prices pinned."""
        expected = examples["kt00018"]["response"]["body"]
        sim.control.add_account(
            "exampleKey",
            "exampleSecret",
            cash=8_753_500,
            holdings=[("005930", 10, 70_000), ("000660", 3, 180_000)],
        )
        sim.control.set_price("005930", 72_000, base_price=71_500)
        sim.control.set_price("000660", 175_500, base_price=176_000)

        response = sim.tr(
            "kt00018", examples["kt00018"]["request"]["body"], sim.token("exampleKey", "exampleSecret")
        )
        body = response.json()

        assert response.headers["api-id"] == "kt00018"
        assert response.headers["cont-yn"] == "N"
        assert response.headers["next-key"] == ""
        assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
        assert list(body) == list(expected)
        for name in expected:
            if name != "acnt_evlt_remn_indv_tot":
                assert body[name] == expected[name], name
        for got, want in zip(
            body["acnt_evlt_remn_indv_tot"], expected["acnt_evlt_remn_indv_tot"], strict=True
        ):
            for name in want:
                if name == "cur_prc":
                    assert got[name].lstrip("+-") == want[name]
                    assert len(got[name]) == 13 and got[name][0] in "+-"
                else:
                    assert got[name] == want[name], (want["stk_cd"], name)
