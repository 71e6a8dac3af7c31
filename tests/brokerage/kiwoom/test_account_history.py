"""Realized P&L and journal calls (PROTOCOL.md Part II, M6): ka10072, ka10073, ka10074, ka10077,
ka10085, ka10170. Bodies follow M6's field lists and example values; "synthetic" marks what M6 leaves out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from brokerage import kiwoom
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET

from .helpers import TOKEN, sent_json

ACCOUNT = "/api/dostk/acnt"
OK = " 조회가 완료되었습니다."


def answer(body: dict, **fields) -> dict:
    return {**body, **fields, "return_code": 0, "return_msg": OK}


# ka10072 row as M6.1 lists it: stk_cd with the A prefix, buy_uv with decimals, credit fields, duplicates.
KA10072_ROW = {
    "stk_nm": "삼성전자",
    "cntr_qty": "1",
    "buy_uv": "97602.96",
    "cntr_pric": "158200",
    "tdy_sel_pl": "59813.04",
    "pl_rt": "+61.28",
    "stk_cd": "A005930",
    "tdy_trde_cmsn": "500",
    "tdy_trde_tax": "284",
    "wthd_alowa": "0",
    "loan_dt": "",
    "crd_tp": "현금잔고",
    "stk_cd_1": "A005930",
    "tdy_sel_pl_1": "59813.04",
}


class TestRealizedByStockOnADay:
    def test_reads_each_sale_and_sends_the_day_in_yyyymmdd(self, client, serve, mocked):
        serve(ACCOUNT, answer({"dt_stk_div_rlzt_pl": [KA10072_ROW]}))

        trades = client.get_realized_pnl_by_stock_on(TOKEN, day=date(2024, 11, 20))

        assert trades == (
            kiwoom.RealizedTrade(
                trade_date=date(2024, 11, 20),
                stock_code="005930",
                name="삼성전자",
                quantity=1,
                average_cost=Decimal("97602.96"),
                sell_price=158_200,
                profit_loss=Decimal("59813.04"),
                return_rate=Decimal("61.28"),
                commission=500,
                tax=284,
            ),
        )
        request = mocked.calls[0].request
        assert request.headers["api-id"] == "ka10072"
        assert sent_json(mocked.calls[0]) == {"stk_cd": "", "strt_dt": "20241120"}

    def test_one_stock(self, client, serve, mocked):
        serve(ACCOUNT, answer({"dt_stk_div_rlzt_pl": []}))

        assert client.get_realized_pnl_by_stock_on(TOKEN, day=date(2024, 11, 20), stock_code="005930") == ()
        assert sent_json(mocked.calls[0])["stk_cd"] == "005930"

    def test_a_loss_keeps_its_sign(self, client, serve):
        serve(
            ACCOUNT,
            answer({"dt_stk_div_rlzt_pl": [{**KA10072_ROW, "tdy_sel_pl": "-1200.5", "pl_rt": "-1.2"}]}),
        )

        (trade,) = client.get_realized_pnl_by_stock_on(TOKEN, day=date(2024, 11, 20))

        assert trade.profit_loss == Decimal("-1200.5")
        assert trade.return_rate == Decimal("-1.2")

    @pytest.mark.parametrize("bad", [datetime(2024, 11, 20, 9, 0), "20241120", None])
    def test_the_day_must_be_a_date(self, client, bad):
        with pytest.raises(TypeError):
            client.get_realized_pnl_by_stock_on(TOKEN, day=bad)


class TestRealizedByStockOverAPeriod:
    def test_rows_carry_their_date_and_every_page_is_read(self, client, serve, mocked):
        # ka10073's official example holds "현금" in tdy_htssel_cmsn (misaligned, M6.2): it must not matter.
        first = {**KA10072_ROW, "dt": "20241119", "tdy_htssel_cmsn": "현금"}
        second = {**KA10072_ROW, "dt": "20241118", "cntr_qty": "2", "tdy_htssel_cmsn": "현금"}
        serve(ACCOUNT, answer({"dt_stk_rlzt_pl": [first]}), headers={"cont-yn": "Y", "next-key": "K1"})
        serve(ACCOUNT, answer({"dt_stk_rlzt_pl": [second]}), headers={"cont-yn": "N", "next-key": ""})

        trades = client.get_realized_pnl_by_stock(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 20))

        assert [(t.trade_date, t.quantity) for t in trades] == [
            (date(2024, 11, 19), 1),
            (date(2024, 11, 18), 2),
        ]
        assert sent_json(mocked.calls[0]) == {"stk_cd": "", "strt_dt": "20241101", "end_dt": "20241120"}
        assert mocked.calls[1].request.headers["cont-yn"] == "Y"
        assert mocked.calls[1].request.headers["next-key"] == "K1"

    def test_a_period_that_ends_before_it_starts_is_refused_before_sending(self, client):
        with pytest.raises(ValueError, match="start"):
            client.get_realized_pnl_by_stock(TOKEN, start=date(2024, 11, 20), end=date(2024, 11, 1))

    def test_a_malformed_date_is_an_unusable_answer(self, client, serve):
        serve(ACCOUNT, answer({"dt_stk_rlzt_pl": [{**KA10072_ROW, "dt": "2024-11-19"}]}))

        with pytest.raises(kiwoom.KiwoomUnavailable, match="dt"):
            client.get_realized_pnl_by_stock(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 20))


class TestRealizedByDay:
    def test_totals_and_days(self, client, serve, mocked):
        # Totals from M6.3's example (sell 474,600, P&L 179,419, fee 940, tax 852); the days are synthetic.
        body = answer(
            {
                "tot_buy_amt": "0",
                "tot_sell_amt": "474600",
                "rlzt_pl": "179419",
                "trde_cmsn": "940",
                "trde_tax": "852",
                "dt_rlzt_pl": [
                    {
                        "dt": "20241120",
                        "buy_amt": "0",
                        "sell_amt": "316400",
                        "tdy_sel_pl": "119626",
                        "tdy_trde_cmsn": "500",
                        "tdy_trde_tax": "568",
                    },
                    {
                        "dt": "20241118",
                        "buy_amt": "0",
                        "sell_amt": "158200",
                        "tdy_sel_pl": "59793",
                        "tdy_trde_cmsn": "440",
                        "tdy_trde_tax": "284",
                    },
                ],
            }
        )
        serve(ACCOUNT, body)

        result = client.get_realized_pnl_by_day(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 20))

        assert result.total_sell_amount == 474_600
        assert result.profit_loss == Decimal(179_419)
        assert (result.commission, result.tax) == (940, 852)
        assert result.days[0] == kiwoom.DailyRealizedPnl(
            trade_date=date(2024, 11, 20),
            buy_amount=0,
            sell_amount=316_400,
            profit_loss=Decimal(119_626),
            commission=500,
            tax=568,
        )
        assert sum(d.profit_loss for d in result.days) == result.profit_loss
        assert mocked.calls[0].request.headers["api-id"] == "ka10074"
        assert sent_json(mocked.calls[0]) == {"strt_dt": "20241101", "end_dt": "20241120"}

    def test_no_realized_day_is_an_empty_list(self, client, serve):
        serve(
            ACCOUNT,
            answer(
                {
                    "tot_buy_amt": "",
                    "tot_sell_amt": "",
                    "rlzt_pl": "",
                    "trde_cmsn": "",
                    "trde_tax": "",
                    "dt_rlzt_pl": [],
                }
            ),
        )

        result = client.get_realized_pnl_by_day(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 1))

        assert result.days == ()
        assert result.profit_loss == 0


class TestTodayRealized:
    def test_reads_the_many_decimals_of_m6_4(self, client, serve, mocked):
        row = {
            "stk_nm": "삼성전자",
            "cntr_qty": "1",
            "buy_uv": "97602.9573459",
            "cntr_pric": "158200",
            "tdy_sel_pl": "59813.0426541",
            "pl_rt": "+61.28",
            "tdy_trde_cmsn": "500",
            "tdy_trde_tax": "284",
            "stk_cd": "A005930",
        }
        serve(ACCOUNT, answer({"tdy_rlzt_pl": "59813", "tdy_rlzt_pl_dtl": [row]}))

        result = client.get_today_realized_pnl(TOKEN, stock_code="005930")

        (trade,) = result.trades
        assert result.profit_loss == Decimal(59_813)
        assert trade.trade_date is None
        # M6.4's example holds together: sale - quantity x average cost - commission - tax.
        assert trade.sell_price * trade.quantity - trade.quantity * trade.average_cost - 500 - 284 == (
            trade.profit_loss
        )
        assert sent_json(mocked.calls[0]) == {"stk_cd": "005930"}

    def test_the_stock_code_is_required(self, client):
        with pytest.raises(ValueError):
            client.get_today_realized_pnl(TOKEN, stock_code="")


class TestAccountReturns:
    def test_rows_and_the_exchange_code(self, client, serve, mocked):
        row = {
            "dt": "",
            "stk_cd": "005930",
            "stk_nm": "삼성전자",
            "cur_prc": "-53700",
            "pur_pric": "62411.25",
            "pur_amt": "2434039",
            "rmnd_qty": "39",
            "tdy_sel_pl": "0",
            "tdy_trde_cmsn": "0",
            "tdy_trde_tax": "0",
            "crd_tp": "00",
            "loan_dt": "00000000",
            "setl_remn": "39",
            "clrn_alow_qty": "36",
            "crd_amt": "0",
            "crd_int": "0",
            "expr_dt": "00000000",
        }
        serve(ACCOUNT, answer({"acnt_prft_rt": [row]}))

        (holding,) = client.get_account_returns(TOKEN, exchange="KRX")

        assert holding == kiwoom.AccountReturn(
            stock_code="005930",
            name="삼성전자",
            current_price=53_700,  # the sign is the direction, not a negative price
            purchase_price=Decimal("62411.25"),
            purchase_amount=2_434_039,
            quantity=39,
            today_profit_loss=Decimal(0),
            commission=0,
            tax=0,
            settled_quantity=39,
            sellable_quantity=36,
        )
        assert sent_json(mocked.calls[0]) == {"stex_tp": "1"}

    def test_all_venues_by_default(self, client, serve, mocked):
        serve(ACCOUNT, answer({"acnt_prft_rt": []}))

        assert client.get_account_returns(TOKEN) == ()
        assert sent_json(mocked.calls[0]) == {"stex_tp": "0"}

    def test_an_unknown_exchange_is_refused_before_sending(self, client):
        with pytest.raises(ValueError):
            client.get_account_returns(TOKEN, exchange="SOR")


# M6.6's example, as printed.
KA10170_EXAMPLE = {
    "tot_sell_amt": "48240",
    "tot_buy_amt": "48240",
    "tot_cmsn_tax": "174",
    "tot_exct_amt": "-174",
    "tot_pl_amt": "-174",
    "tot_prft_rt": "-0.36",
    "tdy_trde_diary": [
        {
            "stk_nm": "삼성전자",
            "buy_avg_pric": "16080",
            "buy_qty": "3",
            "sel_avg_pric": "16080",
            "sell_qty": "3",
            "cmsn_alm_tax": "174",
            "pl_amt": "-174",
            "sell_amt": "48240",
            "buy_amt": "48240",
            "prft_rt": "-0.36",
            "stk_cd": "005930",
        }
    ],
    "return_code": 0,
    "return_msg": OK,
}


class TestTradeJournal:
    def test_reads_m6_6s_example(self, client, serve, mocked):
        serve(ACCOUNT, KA10170_EXAMPLE)

        journal = client.get_trade_journal(TOKEN, day=date(2024, 11, 20), same_day_buys_only=True)

        assert journal == kiwoom.TradeJournal(
            trade_date=date(2024, 11, 20),
            total_buy_amount=48_240,
            total_sell_amount=48_240,
            total_commission_and_tax=174,
            total_settlement=-174,
            total_profit_loss=-174,
            total_return_rate=Decimal("-0.36"),
            entries=(
                kiwoom.JournalEntry(
                    stock_code="005930",
                    name="삼성전자",
                    buy_quantity=3,
                    buy_average_price=Decimal(16_080),
                    buy_amount=48_240,
                    sell_quantity=3,
                    sell_average_price=Decimal(16_080),
                    sell_amount=48_240,
                    commission_and_tax=174,
                    profit_loss=-174,
                    return_rate=Decimal("-0.36"),
                ),
            ),
        )
        assert mocked.calls[0].request.headers["api-id"] == "ka10170"
        assert sent_json(mocked.calls[0]) == {"base_dt": "20241120", "ottks_tp": "1", "ch_crd_tp": "0"}

    def test_today_and_every_sale_by_default(self, client, serve, mocked):
        serve(ACCOUNT, KA10170_EXAMPLE)

        journal = client.get_trade_journal(TOKEN)

        assert journal.trade_date is None
        assert sent_json(mocked.calls[0]) == {"base_dt": "", "ottks_tp": "2", "ch_crd_tp": "0"}


class TestRefusedInThisMode:
    """PROTOCOL.md M6.0: what a server says when it does not offer a TR in its mode."""

    RC9000 = {"return_code": 20, "return_msg": "[2000](RC9000:모의투자에서는 해당업무가 제공되지 않습니다.)"}
    CODE_8104 = {
        "return_code": 2,
        "return_msg": "입력 값 오류입니다[8104:모의투자에서 지원하지 않는 API 입니다.]",
    }

    @pytest.mark.parametrize(
        "call",
        [
            lambda c: c.get_realized_pnl_by_stock_on(TOKEN, day=date(2024, 11, 20)),
            lambda c: c.get_realized_pnl_by_stock(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 20)),
            lambda c: c.get_realized_pnl_by_day(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 20)),
            lambda c: c.get_today_realized_pnl(TOKEN, stock_code="005930"),
            lambda c: c.get_account_returns(TOKEN),
            lambda c: c.get_trade_journal(TOKEN),
        ],
        ids=["ka10072", "ka10073", "ka10074", "ka10077", "ka10085", "ka10170"],
    )
    def test_rc9000_is_not_supported_in_mode(self, client, serve, call):
        serve(ACCOUNT, self.RC9000)

        with pytest.raises(kiwoom.KiwoomNotSupportedInMode) as caught:
            call(client)

        assert caught.value.code == "RC9000"
        assert caught.value.message == "모의투자에서는 해당업무가 제공되지 않습니다."
        assert not isinstance(caught.value, kiwoom.KiwoomOrderRejected)

    def test_8104_is_not_supported_in_mode(self, client, serve):
        serve(ACCOUNT, self.CODE_8104)

        with pytest.raises(kiwoom.KiwoomNotSupportedInMode) as caught:
            client.get_realized_pnl_by_day(TOKEN, start=date(2024, 11, 1), end=date(2024, 11, 20))

        assert caught.value.code == "8104"

    def test_rc9000_on_an_order_is_still_a_rejected_order(self):
        # An NXT order on mock: the order is refused, not the TR (the entry shows Kiwoom's refusal).
        cls = kiwoom.errors.error_class_for(code="RC9000", return_code=20, http_status=200, api_id="kt10000")
        assert cls is kiwoom.KiwoomOrderRejected


class TestAgainstTheSimulator:
    """Round trips through the simulator (tests/kiwoom_sim/test_pnl.py holds the hand computation): the demo
    account holds 005930 x 10 bought at 70,000, buys 10 at 71,000 and sells 5 at 72,000, realizing 6,777."""

    @pytest.fixture
    def traded(self, simulator):
        control = simulator.control
        control.reset()
        control.configure(rate_limit=1000)
        with kiwoom.KiwoomClient(simulator.base_url) as sim_client:
            token = sim_client.issue_token(app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET).token
            control.set_price("005930", 71_000)
            sim_client.place_order(
                token, side="buy", stock_code="005930", quantity=10, trade_type="3", price=None
            )
            control.set_price("005930", 72_000)
            sim_client.place_order(
                token, side="sell", stock_code="005930", quantity=5, trade_type="3", price=None
            )
            yield sim_client, token, control

    def test_today(self, traded):
        sim_client, token, control = traded
        today = _day(control.now())

        pnl = sim_client.get_today_realized_pnl(token, stock_code="005930")
        (trade,) = sim_client.get_realized_pnl_by_stock_on(token, day=today)
        journal = sim_client.get_trade_journal(token)
        returns = {r.stock_code: r for r in sim_client.get_account_returns(token)}

        assert pnl.profit_loss == Decimal(6_777)
        assert (trade.quantity, trade.sell_price, trade.profit_loss) == (5, 72_000, Decimal(6_777))
        assert trade.average_cost == Decimal("70500.00")
        assert trade.commission == 75  # the sale's 50 and a quarter of the buy's 100
        (entry,) = journal.entries
        assert (entry.buy_quantity, entry.sell_quantity, entry.profit_loss) == (10, 5, 6_777)
        assert returns["005930"].quantity == 15
        assert returns["005930"].today_profit_loss == Decimal(6_777)

    def test_after_the_day_rolled_over(self, traded):
        sim_client, token, control = traded
        traded_on = _day(control.now())

        control.roll_day()
        token = sim_client.issue_token(app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET).token
        today = _day(control.now())

        by_day = sim_client.get_realized_pnl_by_day(token, start=traded_on, end=today)
        trades = sim_client.get_realized_pnl_by_stock(token, start=traded_on, end=today)
        assert [(d.trade_date, d.profit_loss, d.commission) for d in by_day.days] == [
            (traded_on, Decimal(6_777), 150)
        ]
        assert [(t.trade_date, t.quantity) for t in trades] == [(traded_on, 5)]
        assert sim_client.get_trade_journal(token, day=traded_on).total_profit_loss == 6_777
        assert sim_client.get_trade_journal(token).entries == ()

    def test_a_server_that_does_not_offer_them(self, traded):
        sim_client, token, control = traded
        control.refuse_pnl()

        with pytest.raises(kiwoom.KiwoomNotSupportedInMode) as caught:
            sim_client.get_realized_pnl_by_day(token, start=date(2025, 1, 1), end=_day(control.now()))

        assert caught.value.code == "RC9000"


def _day(stamp: str) -> date:
    return datetime.strptime(stamp[:8], "%Y%m%d").date()
