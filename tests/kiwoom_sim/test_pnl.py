"""Realized P&L and journal TRs (PROTOCOL.md M6): ka10072, ka10073, ka10074, ka10077, ka10085, ka10170,
checked against hand computations.

The hand-computed day (Tuesday 2025-07-15): the demo account holds 005930 x 10 bought at 70,000.
- buy 10 at 71,000: 710,000, commission 0.015 % = 106.5 -> 100 (floored to 10 won). The 20 shares cost
  1,410,000 plus 100 of buy commission.
- sell 5 at 72,000: 360,000, commission 54 -> 50, tax 0.18 % = 648. Moving-average cost of 5 of 20 shares:
  352,500 + 25 (their share of the buy commission) = 352,525. Realized 360,000 - 352,525 - 50 - 648 = 6,777.
- sell 5 at 73,000: 365,000, commission 50, tax 657. Cost of 5 of 15: 352,500 + 25. Realized 11,768.
The day: sold 10 for 725,000 at a cost of 705,050; realized 18,545; commissions 200 (100 of them on the buy),
tax 1,305.
"""

from __future__ import annotations

import pytest

from kiwoom_sim.testing import DEMO_APP_KEY

SAMSUNG = "005930"
DAY = "20250715"


@pytest.fixture
def traded(sim, token):
    """The hand-computed day above."""
    sim.control.set_price(SAMSUNG, 71_000)
    sim.buy(token, SAMSUNG, 10, trde_tp="3")
    sim.control.set_price(SAMSUNG, 72_000)
    sim.sell(token, SAMSUNG, 5, trde_tp="3")
    sim.control.set_price(SAMSUNG, 73_000)
    sim.sell(token, SAMSUNG, 5, trde_tp="3")
    return token


def journal(sim, token, base_dt: str = "", ottks_tp: str = "2") -> dict:
    return sim.ok("ka10170", {"base_dt": base_dt, "ottks_tp": ottks_tp, "ch_crd_tp": "0"}, token)


class TestOneDay:
    def test_ka10072_sums_the_days_sales_per_stock(self, sim, traded):
        body = sim.ok("ka10072", {"stk_cd": "", "strt_dt": DAY}, traded)

        assert body["return_msg"] == " 조회가 완료되었습니다."
        assert body["dt_stk_div_rlzt_pl"] == [
            {
                "stk_nm": "삼성전자",
                "cntr_qty": "10",
                "buy_uv": "70500.00",
                "cntr_pric": "72500",
                "tdy_sel_pl": "18545",
                "pl_rt": "+2.63",
                "stk_cd": "A005930",
                "tdy_trde_cmsn": "150",
                "tdy_trde_tax": "1305",
                "wthd_alowa": "0",
                "loan_dt": "",
                "crd_tp": "현금잔고",
                "stk_cd_1": "A005930",
                "tdy_sel_pl_1": "18545",
            }
        ]

    def test_ka10072_of_another_stock_or_day_is_empty(self, sim, traded):
        assert sim.ok("ka10072", {"stk_cd": "000660", "strt_dt": DAY}, traded)["dt_stk_div_rlzt_pl"] == []
        assert sim.ok("ka10072", {"stk_cd": "", "strt_dt": "20250714"}, traded)["dt_stk_div_rlzt_pl"] == []

    def test_ka10077_lists_each_sale_of_today(self, sim, traded):
        body = sim.ok("ka10077", {"stk_cd": SAMSUNG}, traded)

        assert body["tdy_rlzt_pl"] == "18545"
        rows = body["tdy_rlzt_pl_dtl"]
        assert [(r["cntr_qty"], r["cntr_pric"], r["tdy_sel_pl"]) for r in rows] == [
            ("5", "72000", "6777"),
            ("5", "73000", "11768"),
        ]
        assert rows[0]["buy_uv"] == "70500.0000000"
        # The sale's commission and the 5 shares' part of the buy commission.
        assert (rows[0]["tdy_trde_cmsn"], rows[0]["tdy_trde_tax"]) == ("75", "648")
        # Each row holds together: sale - quantity x average cost - commission - tax.
        for r in rows:
            expected = int(r["cntr_qty"]) * (int(r["cntr_pric"]) - 70_500) - int(r["tdy_trde_cmsn"])
            assert int(r["tdy_sel_pl"]) == expected - int(r["tdy_trde_tax"])

    def test_ka10074_lists_the_day_with_every_commission_paid(self, sim, traded):
        body = sim.ok("ka10074", {"strt_dt": "20250701", "end_dt": DAY}, traded)

        assert body["dt_rlzt_pl"] == [
            {
                "dt": DAY,
                "buy_amt": "710000",
                "sell_amt": "725000",
                "tdy_sel_pl": "18545",
                "tdy_trde_cmsn": "200",
                "tdy_trde_tax": "1305",
            }
        ]
        assert (body["tot_buy_amt"], body["tot_sell_amt"], body["rlzt_pl"]) == ("710000", "725000", "18545")
        assert (body["trde_cmsn"], body["trde_tax"]) == ("200", "1305")

    def test_ka10074_leaves_out_days_without_sales(self, sim, token):
        sim.buy(token, SAMSUNG, 1, trde_tp="3")

        body = sim.ok("ka10074", {"strt_dt": DAY, "end_dt": DAY}, token)

        assert body["dt_rlzt_pl"] == []
        assert body["rlzt_pl"] == "0"

    def test_ka10170_every_sale_of_the_day(self, sim, traded):
        body = journal(sim, traded)

        assert body["tdy_trde_diary"] == [
            {
                "stk_nm": "삼성전자",
                "buy_avg_pric": "71000",
                "buy_qty": "10",
                "sel_avg_pric": "72500",
                "sell_qty": "10",
                "cmsn_alm_tax": "1505",
                "pl_amt": "18545",
                "sell_amt": "725000",
                "buy_amt": "710000",
                "prft_rt": "+2.63",
                "stk_cd": "005930",
            }
        ]
        assert body["tot_pl_amt"] == "18545"
        assert body["tot_cmsn_tax"] == "1505"
        assert body["tot_exct_amt"] == str(725_000 - 710_000 - 1_505)
        assert body["tot_prft_rt"] == "+2.63"

    def test_ka10170_same_day_round_trips(self, sim, traded):
        # 10 bought and 10 sold today: sell - buy - every commission and tax, as in M6.6's example.
        (entry,) = journal(sim, traded, ottks_tp="1")["tdy_trde_diary"]

        assert entry["pl_amt"] == str(725_000 - 710_000 - 1_505)
        assert entry["prft_rt"] == "+1.90"

    def test_ka10170_same_day_leaves_out_sales_of_older_shares(self, sim, token):
        sim.control.set_price(SAMSUNG, 72_000)
        sim.sell(token, SAMSUNG, 3, trde_tp="3")

        assert journal(sim, token, ottks_tp="1")["tdy_trde_diary"] == []
        assert len(journal(sim, token, ottks_tp="2")["tdy_trde_diary"]) == 1

    def test_ka10085_holdings_with_todays_realized_and_costs(self, sim, traded):
        rows = {r["stk_cd"]: r for r in sim.ok("ka10085", {"stex_tp": "0"}, traded)["acnt_prft_rt"]}

        samsung = rows[SAMSUNG]
        assert samsung["rmnd_qty"] == "10"
        assert samsung["pur_amt"] == "705000"
        assert samsung["pur_pric"] == "70500.00"
        assert samsung["cur_prc"] == "+73000"  # above the base price 71,500
        assert (samsung["tdy_sel_pl"], samsung["tdy_trde_cmsn"], samsung["tdy_trde_tax"]) == (
            "18545",
            "200",
            "1305",
        )
        assert (samsung["setl_remn"], samsung["clrn_alow_qty"]) == ("10", "10")
        assert rows["000660"]["tdy_sel_pl"] == "0"
        assert sim.ok("ka10085", {"stex_tp": "2"}, traded)["acnt_prft_rt"] == []  # no NXT holdings

    def test_an_open_sell_order_lowers_what_can_be_sold(self, sim, token):
        sim.control.set_price(SAMSUNG, 71_500)
        sim.sell(token, SAMSUNG, 4, 80_000)

        (samsung,) = [
            r for r in sim.ok("ka10085", {"stex_tp": "0"}, token)["acnt_prft_rt"] if r["stk_cd"] == SAMSUNG
        ]

        assert (samsung["setl_remn"], samsung["clrn_alow_qty"]) == ("10", "6")

    def test_a_loss_is_negative_with_a_negative_rate(self, sim, token):
        sim.control.set_price(SAMSUNG, 60_000)
        sim.sell(token, SAMSUNG, 10, trde_tp="3")

        (row,) = sim.ok("ka10072", {"stk_cd": SAMSUNG, "strt_dt": DAY}, token)["dt_stk_div_rlzt_pl"]

        # 600,000 - 700,000 - 90 (commission) - 1,080 (tax)
        assert row["tdy_sel_pl"] == "-101170"
        assert row["pl_rt"] == "-14.45"

    def test_the_realized_pnl_matches_the_cash_the_sales_brought(self, sim, traded):
        account = sim.control.account(DEMO_APP_KEY)

        # 10,000,000 - (710,000 + 100) + (360,000 - 50 - 648) + (365,000 - 50 - 657)
        assert account["cash"] == 10_013_495


class TestAcrossDays:
    def test_a_period_by_day_and_stock_newest_first(self, sim, traded):
        sim.control.roll_day()
        token = sim.token()
        sim.control.set_price(SAMSUNG, 74_000)
        sim.sell(token, SAMSUNG, 2, trde_tp="3")

        body = sim.ok("ka10073", {"stk_cd": "", "strt_dt": DAY, "end_dt": "20250716"}, token)

        rows = body["dt_stk_rlzt_pl"]
        assert [(r["dt"], r["cntr_qty"]) for r in rows] == [("20250716", "2"), (DAY, "10")]
        # Day two: 2 of the 10 shares left, at cost 705,000 + 50 of buy commission -> 141,010 for 2.
        assert rows[0]["tdy_sel_pl"] == str(148_000 - 141_010 - 20 - 266)
        by_day = sim.ok("ka10074", {"strt_dt": DAY, "end_dt": "20250716"}, token)
        assert [r["dt"] for r in by_day["dt_rlzt_pl"]] == ["20250716", DAY]
        assert by_day["rlzt_pl"] == str(18_545 + 148_000 - 141_010 - 20 - 266)

    def test_todays_trs_start_empty_and_yesterdays_journal_stays(self, sim, traded):
        yesterday = journal(sim, traded)

        sim.control.roll_day()

        assert sim.ok("ka10077", {"stk_cd": SAMSUNG}, traded)["tdy_rlzt_pl_dtl"] == []
        assert journal(sim, traded)["tdy_trde_diary"] == []
        assert journal(sim, traded, base_dt=DAY) == yesterday
        (samsung,) = [
            r for r in sim.ok("ka10085", {"stex_tp": "0"}, traded)["acnt_prft_rt"] if r["stk_cd"] == SAMSUNG
        ]
        assert samsung["tdy_sel_pl"] == "0"


class TestRequests:
    @pytest.mark.parametrize(
        ("api_id", "body", "field"),
        [
            ("ka10072", {"stk_cd": ""}, "strt_dt"),
            ("ka10073", {"strt_dt": DAY}, "end_dt"),
            ("ka10074", {"end_dt": DAY}, "strt_dt"),
            ("ka10077", {}, "stk_cd"),
            ("ka10085", {}, "stex_tp"),
            ("ka10170", {"base_dt": "", "ch_crd_tp": "0"}, "ottks_tp"),
        ],
    )
    def test_required_fields_are_1511(self, sim, token, api_id, body, field):
        data = sim.tr(api_id, body, token).json()

        assert data["return_code"] == 2
        assert (
            f"[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터={field}]" in data["return_msg"]
        )

    @pytest.mark.parametrize(
        "body",
        [
            {"strt_dt": "20251301", "end_dt": DAY},  # no 13th month
            {"strt_dt": DAY, "end_dt": "20250701"},  # ends before it starts
            {"strt_dt": 20250701, "end_dt": DAY},  # a number
        ],
    )
    def test_bad_dates_are_1517(self, sim, token, body):
        data = sim.tr("ka10074", body, token).json()

        assert data["return_code"] == 2
        assert "[1517:" in data["return_msg"]

    def test_long_lists_page(self, sim, token):
        sim.control.configure(list_page_size=1)
        sim.control.set_price(SAMSUNG, 72_000)
        sim.sell(token, SAMSUNG, 1, trde_tp="3")
        sim.control.set_price("000660", 180_000)
        sim.sell(token, "000660", 1, trde_tp="3")

        first = sim.tr("ka10072", {"stk_cd": "", "strt_dt": DAY}, token)
        assert first.headers["cont-yn"] == "Y"
        second = sim.tr(
            "ka10072", {"stk_cd": "", "strt_dt": DAY}, token, cont_yn="Y", next_key=first.headers["next-key"]
        )

        assert second.headers["cont-yn"] == "N"
        codes = [r["stk_cd"] for page in (first, second) for r in page.json()["dt_stk_div_rlzt_pl"]]
        assert codes == ["A000660", "A005930"]


class TestModes:
    API_CALLS = [
        ("ka10072", {"stk_cd": "", "strt_dt": DAY}),
        ("ka10073", {"stk_cd": "", "strt_dt": DAY, "end_dt": DAY}),
        ("ka10074", {"strt_dt": DAY, "end_dt": DAY}),
        ("ka10077", {"stk_cd": SAMSUNG}),
        ("ka10085", {"stex_tp": "0"}),
        ("ka10170", {"base_dt": "", "ottks_tp": "2", "ch_crd_tp": "0"}),
    ]

    @pytest.mark.parametrize(("api_id", "body"), API_CALLS)
    def test_mock_answers_them_as_the_2026_09_09_probe_found(self, sim, token, api_id, body):
        assert sim.tr(api_id, body, token).json()["return_code"] == 0

    @pytest.mark.parametrize(("api_id", "body"), API_CALLS)
    def test_refused_on_request_with_rc9000(self, sim, token, api_id, body):
        sim.control.refuse_pnl()

        data = sim.tr(api_id, body, token).json()

        assert data == {
            "return_code": 20,
            "return_msg": "[2000](RC9000:모의투자에서는 해당업무가 제공되지 않습니다.)",
        }

    def test_refusal_lasts_until_lifted_or_reset(self, sim, token):
        sim.control.refuse_pnl()
        sim.control.refuse_pnl(False)
        assert sim.tr(*self.API_CALLS[2], token).json()["return_code"] == 0

        sim.control.refuse_pnl()
        sim.control.reset()
        assert sim.tr(*self.API_CALLS[2], sim.token()).json()["return_code"] == 0
