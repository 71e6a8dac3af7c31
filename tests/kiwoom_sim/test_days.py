"""Trading days: the simulator rolls over to the next KRX trading day (`/_sim/day/roll`, or its clock
crossing midnight into one): open orders expire, the close becomes the base price, order numbers restart,
and the fills stay in the account's history by date. Weekends and KRX holidays are skipped.

The session clock starts frozen on Tuesday 2025-07-15 10:00 KST (conftest.START).
"""

from __future__ import annotations

import pytest

from kiwoom_sim.testing import DEMO_APP_KEY, SimControlError

SAMSUNG = "005930"


def realized_by_day(sim, token, start: str, end: str) -> dict:
    return sim.ok("ka10074", {"strt_dt": start, "end_dt": end}, token)


def jump(sim, stamp: str) -> None:
    """Set the clock far ahead cheaply: held prices catch up without walking every second in between."""
    for quote in sim.control._call("GET", "price")["prices"]:
        sim.control.set_price(quote["stk_cd"], quote["price"])
    sim.control.set_clock(stamp)


class TestTheTradingDay:
    def test_the_simulator_knows_its_trading_day(self, sim):
        day = sim.control.day()

        assert day["trading_day"] == "20250715"
        assert day["previous_trading_day"] == "20250714"
        assert day["next_trading_day"] == "20250716"

    def test_roll_day_opens_the_next_trading_day_at_nine(self, sim):
        result = sim.control.roll_day()

        assert result["rolled"] == ["20250716"]
        assert result["trading_day"] == "20250716"
        assert sim.control.now() == "20250716090000"

    def test_roll_day_at_another_time(self, sim):
        sim.control.roll_day(at="083000")

        assert sim.control.now() == "20250716083000"

    def test_a_friday_rolls_to_monday(self, sim):
        sim.control.roll_day(3, at="143000")  # Friday

        assert sim.control.roll_day()["rolled"] == ["20250721"]

    def test_krx_holidays_are_skipped(self, sim):
        # 2025-08-15 (Friday) is Liberation Day: Thursday's next trading day is Monday the 18th.
        jump(sim, "20250814100000")

        assert sim.control.roll_day()["rolled"] == ["20250818"]

    def test_several_days_at_once(self, sim):
        jump(sim, "20251001100000")

        # 10-03 National Foundation Day; 10-06..10-08 Chuseok; 10-09 Hangul Day; weekends.
        assert sim.control.roll_day(3)["rolled"] == ["20251002", "20251010", "20251013"]

    def test_a_weekend_belongs_to_friday_until_monday_comes(self, sim):
        sim.control.roll_day(3, at="230000")  # Friday night
        sim.control.advance_clock(2 * 3600)  # Saturday

        assert sim.control.day()["trading_day"] == "20250718"

        jump(sim, "20250720230000")  # Sunday night
        sim.control.advance_clock(2 * 3600)  # Monday

        assert sim.control.day()["trading_day"] == "20250721"

    @pytest.mark.parametrize("body", [{"days": 0}, {"days": 401}, {"time": "9am"}, {"days": "1"}])
    def test_bad_roll_requests_are_refused(self, sim, body):
        with pytest.raises(SimControlError) as caught:
            sim.control._call("POST", "day/roll", body)

        assert caught.value.status == 400


class TestRollover:
    def test_the_close_becomes_the_next_base_price_and_prices_stand_still_overnight(self, sim, token):
        sim.control.advance_clock(3 * 3600)  # let the walk move the prices during the day
        closes = {q["stk_cd"]: q["price"] for q in sim.control._call("GET", "price")["prices"]}

        sim.control.roll_day()

        for quote in sim.control._call("GET", "price")["prices"]:
            assert quote["base_price"] == closes[quote["stk_cd"]], quote["stk_cd"]
            assert quote["price"] == closes[quote["stk_cd"]]
            assert quote["open"] == quote["high"] == quote["low"] == quote["price"]
        info = sim.ok("ka10001", {"stk_cd": SAMSUNG}, token)
        assert info["base_pric"].lstrip("+-") == str(closes[SAMSUNG])

    def test_a_pinned_price_is_the_close(self, sim):
        sim.control.set_price(SAMSUNG, 73_000)

        sim.control.roll_day()

        quote = sim.control.price(SAMSUNG)
        assert quote["base_price"] == 73_000
        assert (quote["upper"], quote["lower"]) == (94_900, 51_100)  # +-30 % of the new base

    def test_order_numbers_restart_each_trading_day(self, sim, token):
        assert sim.buy(token, SAMSUNG, 1, trde_tp="3") == "0000001"
        assert sim.buy(token, SAMSUNG, 1, trde_tp="3") == "0000002"

        sim.control.roll_day()

        assert sim.buy(token, SAMSUNG, 1, trde_tp="3") == "0000001"

    def test_open_day_orders_expire(self, sim, token):
        sim.control.set_price(SAMSUNG, 71_500)
        ord_no = sim.buy(token, SAMSUNG, 3, 60_000)
        assert [o["ord_no"] for o in sim.open_orders(token)] == [ord_no]

        sim.control.roll_day()

        assert sim.open_orders(token) == []
        (order,) = sim.control.orders(DEMO_APP_KEY)
        assert (order["open_qty"], order["cancelled_qty"]) == (0, 3)
        # The deposit they tied up is free again.
        assert sim.deposit(token)["ord_alow_amt"] == sim.deposit(token)["entr"]

    def test_yesterdays_fills_leave_the_fills_tr_and_stay_in_the_history(self, sim, token):
        sim.control.set_price(SAMSUNG, 72_000)
        sim.sell(token, SAMSUNG, 4, trde_tp="3")
        assert len(sim.fills(token)) == 1

        sim.control.roll_day()

        assert sim.fills(token) == []
        (yesterday,) = sim.control.history(DEMO_APP_KEY)
        assert yesterday["date"] == "20250715"
        assert [(t["side"], t["qty"], t["price"]) for t in yesterday["trades"]] == [("sell", 4, 72_000)]
        assert realized_by_day(sim, token, "20250715", "20250716")["dt_rlzt_pl"][0]["dt"] == "20250715"
        journal = sim.ok("ka10170", {"base_dt": "20250715", "ottks_tp": "2", "ch_crd_tp": "0"}, token)
        assert journal["tdy_trde_diary"][0]["sell_qty"] == "4"
        # kt00007 still answers for the day, under that day's order numbers.
        body = {
            "ord_dt": "20250715",
            "qry_tp": "1",
            "stk_bond_tp": "0",
            "sell_tp": "0",
            "stk_cd": "",
            "fr_ord_no": "",
            "dmst_stex_tp": "%",
        }
        assert [r["ord_no"] for r in sim.ok("kt00007", body, token)["acnt_ord_cntr_prps_dtl"]] == ["0000001"]

    def test_the_balance_shows_yesterdays_buys_as_previous_day_quantities(self, sim, token):
        sim.buy(token, SAMSUNG, 2, trde_tp="3")

        sim.control.roll_day()

        (row,) = [r for r in sim.balance(token)["acnt_evlt_remn_indv_tot"] if r["stk_cd"] == "A" + SAMSUNG]
        assert int(row["pred_buyq"]) == 2
        assert int(row["tdy_buyq"]) == 0

    def test_previous_day_quantities_are_those_of_the_last_trading_day_only(self, sim, token):
        sim.buy(token, SAMSUNG, 2, trde_tp="3")

        sim.control.roll_day(2)

        token = sim.token()  # the first one lived its 24 hours
        (row,) = [r for r in sim.balance(token)["acnt_evlt_remn_indv_tot"] if r["stk_cd"] == "A" + SAMSUNG]
        assert int(row["pred_buyq"]) == 0

    def test_the_clock_crossing_midnight_rolls_over_too(self, sim, token):
        sim.buy(token, SAMSUNG, 1, trde_tp="3")
        sim.control.set_price(SAMSUNG, 71_500)
        sim.buy(token, SAMSUNG, 1, 60_000)
        jump(sim, "20250715233000")

        sim.control.advance_clock(3600)  # Wednesday 00:30

        assert sim.control.day()["trading_day"] == "20250716"
        assert sim.open_orders(token) == []
        assert sim.buy(token, SAMSUNG, 1, trde_tp="3") == "0000001"

    def test_a_reset_returns_to_the_start_day(self, sim):
        sim.control.roll_day(2)

        sim.control.reset()

        assert sim.control.day()["trading_day"] == "20250715"
        assert sim.control.history(DEMO_APP_KEY) == []


class TestHolidaysWithEnforcedHours:
    def test_a_krx_holiday_is_closed_like_a_weekend(self, sim, token):
        sim.control.configure(enforce_hours=True)
        jump(sim, "20250815100000")  # Liberation Day, a Friday
        token = sim.token()

        data = sim.order(token, "buy", SAMSUNG, 1, trde_tp="3").json()

        assert data["return_code"] == 20
        assert "RC4058" in data["return_msg"]

    def test_the_next_trading_day_opens_at_nine(self, sim, token):
        sim.control.configure(enforce_hours=True)
        jump(sim, "20250814160000")  # Thursday, after the close

        sim.control.roll_day()
        token = sim.token()

        assert sim.control.now() == "20250818090000"
        assert sim.buy(token, SAMSUNG, 1, trde_tp="3") == "0000001"


class TestHistory:
    def test_history_by_date_range(self, sim, token):
        sim.buy(token, SAMSUNG, 1, trde_tp="3")
        sim.control.roll_day()
        sim.buy(token, SAMSUNG, 2, trde_tp="3")

        assert [d["date"] for d in sim.control.history(DEMO_APP_KEY)] == ["20250715", "20250716"]
        (day,) = sim.control.history(DEMO_APP_KEY, start="20250716")
        assert [(t["ord_no"], t["qty"]) for t in day["trades"]] == [("0000001", 2)]
        assert sim.control.history(DEMO_APP_KEY, end="20250714") == []

    def test_history_of_an_unknown_account_is_404(self, sim):
        with pytest.raises(SimControlError) as caught:
            sim.control.history("nobody")

        assert caught.value.status == 404
