"""Orders kt10000-kt10003: checks, matching, partial fills, chains, and the agreement of the account TRs."""

from __future__ import annotations

from collections import defaultdict

import pytest

from kiwoom_sim.clock import SimClock, parse_stamp
from kiwoom_sim.market import Market
from kiwoom_sim.ticks import tick_size

from .conftest import START


def fee(amount: int) -> int:
    return amount * 15 // 100_000 // 10 * 10


def tax(amount: int) -> int:
    return amount * 18 // 10_000


def modify(sim, token, orig: str, qty: str, price: str, code: str = "005930"):
    body = {"dmst_stex_tp": "KRX", "orig_ord_no": orig, "stk_cd": code, "mdfy_qty": qty, "mdfy_uv": price}
    return sim.tr("kt10002", body, token).json()


def cancel(sim, token, orig: str, qty: str = "0", code: str = "005930"):
    body = {"dmst_stex_tp": "KRX", "orig_ord_no": orig, "stk_cd": code, "cncl_qty": qty}
    return sim.tr("kt10003", body, token).json()


def holding(sim, token, code: str) -> dict[str, str] | None:
    rows = sim.balance(token)["acnt_evlt_remn_indv_tot"]
    return next((r for r in rows if r["stk_cd"] == "A" + code), None)


def cash(sim, token) -> int:
    return int(sim.deposit(token)["entr"])


class TestMarketOrders:
    def test_a_market_buy_fills_at_once_and_moves_cash_and_holdings(self, sim, token, examples):
        sim.control.set_price("005930", 72_000)
        response = sim.order(token, "buy", "005930", 3, trde_tp="3")
        body = response.json()

        assert response.headers["api-id"] == "kt10000"
        assert set(body) == set(examples["kt10000"]["response"]["body"])
        assert body["return_msg"] == "모의투자 매수주문완료" and body["dmst_stex_tp"] == "KRX"
        assert len(body["ord_no"]) == 7 and body["ord_no"].isdigit()
        [fill] = sim.fills(token)
        assert (fill["ord_no"], fill["cntr_pric"], fill["cntr_qty"], fill["oso_qty"]) == (
            body["ord_no"],
            "72000",
            "3",
            "0",
        )
        assert (fill["trde_tp"], fill["io_tp_nm"], fill["ord_pric"]) == ("시장가", "+매수", "0")
        assert fill["tdy_trde_cmsn"] == str(fee(216_000)) == "30"
        assert cash(sim, token) == 10_000_000 - 216_000 - 30
        row = holding(sim, token, "005930")
        assert row["rmnd_qty"] == "000000000000013"
        assert row["pur_amt"] == "000000000916000"
        assert row["pur_pric"] == "000000000070461"  # floor(916,000 / 13)
        assert row["tdy_buyq"] == "000000000000003"

    def test_a_market_sell_pays_commission_and_tax(self, sim, token, examples):
        sim.control.set_price("005930", 72_000)
        body = sim.order(token, "sell", "005930", 4, trde_tp="3").json()
        assert (
            body["return_msg"] == examples["kt10001"]["variants"]["mock_server_message"]["body"]["return_msg"]
        )

        [fill] = sim.fills(token)
        assert (fill["io_tp_nm"], fill["tdy_trde_cmsn"], fill["tdy_trde_tax"]) == ("-매도", "40", "518")
        assert cash(sim, token) == 10_000_000 + 288_000 - fee(288_000) - tax(288_000)
        row = holding(sim, token, "005930")
        assert (row["rmnd_qty"], row["pur_amt"], row["tdy_sellq"]) == (
            "000000000000006",
            "000000000420000",
            "000000000000004",
        )

    def test_selling_everything_removes_the_row(self, sim, token):
        sim.sell(token, "035420", 5, trde_tp="3")
        assert holding(sim, token, "035420") is None

    def test_a_market_order_fills_at_the_walked_price(self, sim, token):
        sim.control.advance_clock(1800)
        price = sim.control.price("000660")["price"]
        sim.buy(token, "000660", 1, trde_tp="3")
        assert sim.fills(token)[0]["cntr_pric"] == str(price)
        assert price % tick_size(price) == 0


class TestLimitOrders:
    def test_a_limit_buy_rests_until_the_price_comes_down_to_it(self, sim, token):
        sim.control.set_price("005930", 71_500)
        ord_no = sim.buy(token, "005930", 5, 70_000)

        [open_order] = sim.open_orders(token)
        assert (open_order["ord_no"], open_order["ord_stt"], open_order["oso_qty"]) == (ord_no, "접수", "5")
        assert (open_order["ord_pric"], open_order["trde_tp"], open_order["orig_ord_no"]) == (
            "70000",
            "보통",
            "0000000",
        )

        sim.control.set_price("005930", 70_100)
        assert sim.open_orders(token)[0]["oso_qty"] == "5"

        assert sim.control.set_price("005930", 69_500)["filled_qty"] == 5
        assert sim.open_orders(token) == []
        [fill] = sim.fills(token)
        assert (fill["cntr_pric"], fill["cntr_qty"], fill["ord_stt"]) == (
            "70000",
            "5",
            "체결",
        )  # at its limit

    def test_a_limit_sell_fills_when_the_price_rises_to_it(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.sell(token, "005930", 2, 73_000)
        sim.control.set_price("005930", 73_500)
        [fill] = sim.fills(token)
        assert (fill["cntr_pric"], fill["cntr_qty"], fill["io_tp_nm"]) == ("73000", "2", "-매도")

    def test_a_limit_that_crosses_on_entry_trades_at_the_market_price(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.buy(token, "005930", 2, 72_000)
        assert sim.fills(token)[0]["cntr_pric"] == "71500"
        assert sim.open_orders(token) == []

    def test_partial_fill_with_limited_liquidity(self, sim, token):
        sim.control.set_price("005930", 71_500)
        ord_no = sim.buy(token, "005930", 10, 70_000)

        sim.control.set_price("005930", 70_000, liquidity=4)
        [open_order] = sim.open_orders(token)
        assert (
            open_order["ord_no"],
            open_order["ord_stt"],
            open_order["oso_qty"],
            open_order["cntr_qty"],
        ) == (
            ord_no,
            "체결",
            "6",
            "4",
        )
        assert open_order["cntr_tot_amt"] == "280000"
        assert (open_order["unit_cntr_pric"], open_order["unit_cntr_qty"]) == ("70000", "4")
        assert sim.fills(token)[0]["cntr_qty"] == "4"
        assert holding(sim, token, "005930")["rmnd_qty"] == "000000000000014"

        sim.control.set_price("005930", 69_900)
        assert sim.open_orders(token) == []
        [fill] = sim.fills(token)
        assert (fill["cntr_qty"], fill["oso_qty"], fill["tdy_trde_cmsn"]) == ("10", "0", str(fee(700_000)))
        assert cash(sim, token) == 10_000_000 - 700_000 - fee(700_000)

    def test_resting_orders_fill_in_time_priority(self, sim, token):
        sim.control.set_price("005930", 71_500)
        first = sim.buy(token, "005930", 3, 70_000)
        second = sim.buy(token, "005930", 4, 70_000)
        sim.control.set_price("005930", 70_000, liquidity=5)

        filled = {f["ord_no"]: f["cntr_qty"] for f in sim.fills(token)}
        assert filled == {first: "3", second: "2"}

    def test_ioc_fills_what_it_can_and_cancels_the_rest(self, sim, token):
        sim.control.set_price("005930", 71_500, liquidity=3)
        ord_no = sim.buy(token, "005930", 10, 71_500, trde_tp="10")

        assert sim.open_orders(token) == []
        [fill] = sim.fills(token)
        assert (fill["ord_no"], fill["cntr_qty"], fill["oso_qty"], fill["trde_tp"]) == (
            ord_no,
            "3",
            "0",
            "보통(IOC)",
        )
        assert holding(sim, token, "005930")["rmnd_qty"] == "000000000000013"

    def test_fok_is_all_or_nothing(self, sim, token):
        sim.control.set_price("005930", 71_500, liquidity=3)
        sim.buy(token, "005930", 10, 71_500, trde_tp="20")
        assert sim.fills(token) == [] and sim.open_orders(token) == []
        [detail] = sim.order_detail(token)
        assert (detail["cntr_qty"], detail["ord_remnq"], detail["trde_tp"]) == (
            "0000000000",
            "0000000000",
            "보통(FOK)",
        )

        sim.control.set_price("005930", 71_500)  # unlimited liquidity
        sim.buy(token, "005930", 10, 71_500, trde_tp="20")
        assert sim.fills(token)[0]["cntr_qty"] == "10"

    def test_market_ioc_is_capped_by_liquidity(self, sim, token):
        sim.control.set_price("005930", 71_500, liquidity=2)
        sim.buy(token, "005930", 5, trde_tp="13")
        assert sim.fills(token)[0]["cntr_qty"] == "2"
        assert sim.open_orders(token) == []

    def test_best_price_types_trade_at_the_current_price(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.buy(token, "005930", 1, trde_tp="6")
        assert sim.fills(token)[0]["cntr_pric"] == "71500"
        assert sim.fills(token)[0]["trde_tp"] == "최유리지정가"

    def test_a_resting_order_fills_as_the_random_walk_crosses_it(self, sim, token):
        """Replay the seeded walk in-process and predict the fill exactly, step by step."""
        sim.control.release_price("005930")
        replica = Market(7, SimClock(parse_stamp(START), frozen=True))
        stock = replica.stocks["005930"]
        start_price, path = stock.price, []
        for _ in range(1800):
            replica._walk_span(stock, 1)
            path.append((stock.price, stock.liquidity))
        low, high = min(p for p, _ in path), max(p for p, _ in path)
        assert low < start_price or high > start_price, "the walk never moved; pick another seed"
        side, limit = ("buy", low) if low < start_price else ("sell", high)
        crosses = (lambda p: p <= limit) if side == "buy" else (lambda p: p >= limit)
        expected = 0
        for price, liquidity in path:
            if crosses(price):
                expected += min(5 - expected, liquidity)

        (sim.buy if side == "buy" else sim.sell)(token, "005930", 5, limit)
        sim.control.advance_clock(1800)

        filled = sum(int(f["cntr_qty"]) for f in sim.fills(token))
        assert filled == expected
        assert sim.control.price("005930")["price"] == path[-1][0]
        if expected:
            assert sim.fills(token)[0]["cntr_pric"] == str(limit)


class TestModifyAndCancel:
    def test_chain_numbers_and_roots(self, sim, token):
        sim.control.set_price("005930", 71_500)
        root = sim.buy(token, "005930", 10, 70_000)

        modified = modify(sim, token, root, "4", "70500")
        assert modified["return_code"] == 0 and modified["return_msg"] == "모의투자 정정주문완료"
        assert modified["base_orig_ord_no"] == root
        assert modified["mdfy_qty"] == "000000000004"
        assert modified["ord_no"] > root and len(modified["ord_no"]) == 7

        by_no = {o["ord_no"]: o for o in sim.open_orders(token)}
        assert by_no[root]["oso_qty"] == "6"
        new = by_no[modified["ord_no"]]
        assert (new["io_tp_nm"], new["orig_ord_no"], new["ord_pric"], new["oso_qty"]) == (
            "+매수정정",
            root,
            "70500",
            "4",
        )

        cancelled = cancel(sim, token, modified["ord_no"])
        assert cancelled["return_msg"] == "모의투자 취소주문완료"
        assert cancelled["base_orig_ord_no"] == root  # the chain's root, not the immediate parent
        assert cancelled["cncl_qty"] == "000000000004"  # "0" = the whole remainder
        assert cancelled["ord_no"] > modified["ord_no"]

        rest = cancel(sim, token, root, "0")
        assert rest["cncl_qty"] == "000000000006"
        assert sim.open_orders(token) == []
        assert int(sim.deposit(token)["ord_alow_amt"]) == 10_000_000

        details = sim.order_detail(token)
        assert [d["ord_no"] for d in details] == [
            root,
            modified["ord_no"],
            cancelled["ord_no"],
            rest["ord_no"],
        ]
        assert [d["mdfy_cncl"] for d in details] == ["", "정정", "취소", "취소"]
        assert [d["io_tp_nm"] for d in details] == [
            "현금매수",
            "현금매수정정",
            "현금매수취소",
            "현금매수취소",
        ]
        assert [d["ori_ord"] for d in details] == ["0000000", root, modified["ord_no"], root]

    def test_modify_zero_moves_the_whole_remainder_and_may_fill(self, sim, token):
        sim.control.set_price("005930", 71_500)
        root = sim.buy(token, "005930", 10, 70_000)
        sim.control.set_price("005930", 70_000, liquidity=3)

        modified = modify(sim, token, root, "0", "71500")
        assert modified["mdfy_qty"] == "000000000007"
        # The liquidity at 70,000 is used up, so the modify order rests although it is above the market.
        assert {f["ord_no"]: f["cntr_qty"] for f in sim.fills(token)} == {root: "3"}
        assert [o["ord_no"] for o in sim.open_orders(token)] == [modified["ord_no"]]
        sim.control.set_price("005930", 71_500)
        assert {f["ord_no"]: f["cntr_qty"] for f in sim.fills(token)}[modified["ord_no"]] == "7"

    def test_sell_modify_and_partial_cancel(self, sim, token):
        sim.control.set_price("005930", 71_500)
        root = sim.sell(token, "005930", 6, 75_000)
        part = cancel(sim, token, root, "2")
        assert part["cncl_qty"] == "000000000002"
        assert sim.open_orders(token)[0]["oso_qty"] == "4"
        modified = modify(sim, token, root, "0", "74000")
        [order] = sim.open_orders(token)
        assert (order["ord_no"], order["io_tp_nm"], order["oso_qty"]) == (
            modified["ord_no"],
            "-매도정정",
            "4",
        )
        assert holding(sim, token, "005930")["trde_able_qty"] == "000000000000006"

    def test_unknown_or_finished_originals_are_rejected(self, sim, token):
        sim.control.set_price("005930", 71_500)
        unknown = cancel(sim, token, "0999999")
        assert unknown["return_code"] == 20 and unknown["return_msg"].startswith("[2000](RC4031:")
        done = sim.buy(token, "005930", 1, trde_tp="3")
        finished = modify(sim, token, done, "0", "70000")
        assert finished["return_code"] == 20 and finished["return_msg"].startswith("[2000](RC4032:")
        resting = sim.buy(token, "005930", 2, 70_000)
        too_many = cancel(sim, token, resting, "3")
        assert too_many["return_msg"].startswith("[2000](RC4032:")
        other_code = cancel(sim, token, resting, "0", code="000660")
        assert other_code["return_msg"].startswith("[2000](RC4031:")

    def test_another_accounts_order_cannot_be_touched(self, sim, token):
        sim.control.set_price("005930", 71_500)
        mine = sim.buy(token, "005930", 2, 70_000)
        other = sim.token("intruderKey", "intruderSecret")
        assert cancel(sim, other, mine)["return_msg"].startswith("[2000](RC4031:")
        assert sim.open_orders(token)[0]["oso_qty"] == "2"

    def test_order_numbers_rise_across_orders_modifies_and_cancels(self, sim, token):
        sim.control.set_price("005930", 71_500)
        numbers = [sim.buy(token, "005930", 3, 70_000)]
        numbers.append(modify(sim, token, numbers[0], "1", "69900")["ord_no"])
        numbers.append(cancel(sim, token, numbers[1])["ord_no"])
        numbers.append(sim.sell(token, "000660", 1, trde_tp="3"))
        other = sim.token("anotherKey", "anotherSecret")
        numbers.append(sim.buy(other, "035720", 1, trde_tp="3"))
        assert numbers == sorted(numbers) and len(set(numbers)) == 5
        assert all(len(n) == 7 and n.isdigit() for n in numbers)
        assert [int(n) for n in numbers] == list(range(int(numbers[0]), int(numbers[0]) + 5))


class TestRejections:
    def test_nxt_and_sor_are_not_offered_on_mock(self, sim, token, examples):
        for exchange in ("NXT", "SOR"):
            body = dict(examples["kt10000"]["request"]["body"], dmst_stex_tp=exchange)
            data = sim.tr("kt10000", body, token).json()
            assert data == examples["kt10000"]["variants"]["rejected_nxt_on_mock"]["body"]
            assert "ord_no" not in data

    def test_unknown_stock_is_1902_category_7(self, sim, token, examples):
        data = sim.order(token, "buy", "999999", 1, trde_tp="3").json()
        assert data == examples["kt10000"]["variants"]["rejected_unknown_stock"]["body"]

    def test_missing_quantity_is_1511(self, sim, token, examples):
        body = dict(examples["kt10000"]["request"]["body"])
        del body["ord_qty"]
        assert (
            sim.tr("kt10000", body, token).json()
            == examples["kt10000"]["variants"]["rejected_missing_field"]["body"]
        )

    @pytest.mark.parametrize("trde_tp", ["1", "00", "99", "03"])
    def test_trade_types_outside_the_official_list_are_1517(self, sim, token, trde_tp):
        data = sim.order(token, "buy", "005930", 1, 70_000, trde_tp=trde_tp).json()
        assert data["return_code"] == 2 and "[1517:" in data["return_msg"] and "trde_tp" in data["return_msg"]

    @pytest.mark.parametrize("trde_tp", ["0", "5", "10", "20", "62"])
    def test_a_limit_type_without_price_is_308003(self, sim, token, trde_tp):
        for price in (None, 0):
            data = sim.order(token, "buy", "005930", 1, price, trde_tp=trde_tp).json()
            assert data == {"return_code": 20, "return_msg": "[2000](308003:주문단가를 입력하십시요)"}

    @pytest.mark.parametrize("trde_tp", ["28", "29", "30", "31"])
    def test_stop_and_mid_price_types_are_not_offered_on_mock(self, sim, token, trde_tp):
        data = sim.order(token, "buy", "005930", 1, 70_000, trde_tp=trde_tp).json()
        assert data["return_msg"] == "[2000](RC9000:모의투자에서는 해당업무가 제공되지 않습니다.)"

    def test_market_orders_ignore_a_price(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.buy(token, "005930", 1, 0, trde_tp="3")
        assert sim.fills(token)[0]["cntr_pric"] == "71500"

    @pytest.mark.parametrize(("code", "price"), [("005930", 70_050), ("003280", 2_001), ("373220", 362_100)])
    def test_off_tick_prices_are_rc4003(self, sim, token, examples, code, price):
        data = sim.order(token, "buy", code, 1, price).json()
        assert data == examples["kt10000"]["variants"]["rejected_tick_size_mock"]["body"]

    def test_on_tick_prices_across_bands_are_accepted(self, sim, token):
        for code, price in (("003280", 1_999), ("003280", 2_005), ("373220", 362_000), ("207940", 1_012_000)):
            assert sim.order(token, "buy", code, 1, price).json()["return_code"] == 0, (code, price)

    def test_prices_beyond_thirty_percent_of_base_are_rc4027(self, sim, token):
        # 005930 base 71,500: limits 50,100 .. 92,900
        for price in (93_000, 50_000):
            data = sim.order(token, "buy", "005930", 1, price).json()
            assert data == {
                "return_code": 20,
                "return_msg": "[2000](RC4027:모의투자 상 / 하한가 오류입니다.)",
            }
        assert sim.order(token, "buy", "005930", 1, 92_900).json()["return_code"] == 0
        assert sim.order(token, "buy", "005930", 1, 50_100).json()["return_code"] == 0

    def test_buying_beyond_the_deposit_is_rc4025(self, sim, token, examples):
        expected = examples["kt10000"]["variants"]["rejected_insufficient_margin_mock"]["body"]
        assert sim.order(token, "buy", "005930", 143, 70_000).json() == expected  # 10,010,000 + fee
        assert sim.order(token, "buy", "005930", 142, 70_000).json()["return_code"] == 0
        # The first order ties up 9,941,490 won, so even a small second buy no longer fits.
        assert sim.order(token, "buy", "005930", 1, 70_000).json() == expected
        assert sim.order(token, "buy", "005930", 999_999_999_999, 70_000).json() == expected

    def test_market_buys_are_margined_at_the_upper_limit(self, sim, token):
        sim.control.set_price("005930", 71_500)
        # 107 x 92,900 (upper limit) = 9,940,300 fits; 108 x 92,900 does not, though 108 x 71,500 would.
        assert (
            sim.order(token, "buy", "005930", 108, trde_tp="3")
            .json()["return_msg"]
            .startswith("[2000](RC4025:")
        )
        assert sim.order(token, "buy", "005930", 107, trde_tp="3").json()["return_code"] == 0

    def test_selling_more_than_sellable_is_800033(self, sim, token, examples):
        expected = examples["kt10001"]["variants"]["rejected_insufficient_sellable_qty_mock"]["body"]
        assert sim.order(token, "sell", "005930", 11, trde_tp="3").json() == expected
        assert sim.order(token, "sell", "066570", 1, trde_tp="3").json() == expected  # not held

    def test_open_sell_orders_reduce_the_sellable_quantity(self, sim, token, examples):
        sim.control.set_price("005930", 71_500)
        sim.sell(token, "005930", 8, 80_000)
        assert holding(sim, token, "005930")["trde_able_qty"] == "000000000000002"
        expected = examples["kt10001"]["variants"]["rejected_insufficient_sellable_qty_mock"]["body"]
        assert sim.order(token, "sell", "005930", 3, trde_tp="3").json() == expected
        assert sim.order(token, "sell", "005930", 2, trde_tp="3").json()["return_code"] == 0

    def test_quantity_checks(self, sim, token):
        zero = sim.order(token, "buy", "005930", 0, 70_000).json()
        assert zero["return_code"] == 2 and "[1517:" in zero["return_msg"]
        huge = sim.order(token, "buy", "005930", 10**12, 70_000).json()
        assert huge["return_code"] == 2 and "ord_qty" in huge["return_msg"]
        negative = sim.tr(
            "kt10000",
            {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "-1", "ord_uv": "70000", "trde_tp": "0"},
            token,
        ).json()
        assert "[1517:" in negative["return_msg"]


class TestTradingHours:
    @pytest.mark.parametrize(
        ("stamp", "expected"),
        [
            ("20250715085959", "[2000](RC4057:모의투자 장시작전)"),
            ("20250715153000", "[2000](RC4058:모의투자 장종료)"),
            ("20250715200000", "[2000](RC4058:모의투자 장종료)"),
            ("20250719100000", "[2000](RC4058:모의투자 장종료)"),  # a Saturday
            ("20250715090000", None),
            ("20250715152959", None),
        ],
    )
    def test_enforced_hours(self, sim, examples, stamp, expected):
        sim.control.configure(enforce_hours=True)
        sim.control.set_clock(stamp)
        token = sim.token()  # issued on the new date
        data = sim.order(token, "buy", "005930", 1, trde_tp="3").json()
        if expected is None:
            assert data["return_code"] == 0
        else:
            assert data == {"return_code": 20, "return_msg": expected}
        if stamp == "20250715153000":
            assert data == examples["kt10000"]["variants"]["rejected_market_closed_mock"]["body"]

    def test_without_enforcement_any_hour_trades(self, sim, token):
        sim.control.set_clock("20250715220000")
        assert sim.order(token, "buy", "005930", 1, trde_tp="3").json()["return_code"] == 0

    def test_a_day_orders_remainder_is_cancelled_at_the_close_and_never_fills(self, sim, token):
        sim.control.configure(enforce_hours=True)
        sim.control.set_price("005930", 71_500)
        orderable = int(sim.deposit(token)["ord_alow_amt"])
        order = sim.buy(token, "005930", 2, 70_000)
        sim.control.set_clock("20250715160000")
        sim.control.set_price("005930", 69_000)

        assert sim.open_orders(token) == []
        assert sim.fills(token) == []
        assert int(sim.deposit(token)["ord_alow_amt"]) == orderable  # the reservation is released
        [row] = sim.order_detail(token)
        assert row["ord_no"] == order
        assert (row["ord_remnq"], row["cntr_qty"]) == ("0000000000", "0000000000")

    def test_without_the_session_a_day_order_ends_at_midnight(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.buy(token, "005930", 2, 70_000)
        sim.control.set_clock("20250715235900")
        assert len(sim.open_orders(token)) == 1

        sim.control.set_clock("20250716000000")
        sim.control.set_price("005930", 69_000)

        assert sim.open_orders(token) == []
        assert sim.fills(token) == []


class TestQueries:
    def test_ka10075_filters(self, sim, token):
        sim.control.set_price("005930", 71_500)
        buy = sim.buy(token, "005930", 1, 70_000)
        sell = sim.sell(token, "000660", 1, 190_000)
        base = {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}

        assert [o["ord_no"] for o in sim.ok("ka10075", base, token)["oso"]] == [sell, buy]  # newest first
        assert [o["ord_no"] for o in sim.ok("ka10075", dict(base, trde_tp="1"), token)["oso"]] == [sell]
        assert [o["ord_no"] for o in sim.ok("ka10075", dict(base, trde_tp="2"), token)["oso"]] == [buy]
        by_code = dict(base, all_stk_tp="1", stk_cd="005930")
        assert [o["ord_no"] for o in sim.ok("ka10075", by_code, token)["oso"]] == [buy]
        assert sim.ok("ka10075", dict(base, stex_tp="2"), token)["oso"] == []
        missing = sim.tr("ka10075", dict(base, all_stk_tp="1"), token).json()
        assert missing["return_code"] == 2 and "필수입력 파라미터=stk_cd" in missing["return_msg"]
        no_all = {k: v for k, v in base.items() if k != "all_stk_tp"}
        assert "필수입력 파라미터=all_stk_tp" in sim.tr("ka10075", no_all, token).json()["return_msg"]
        response = sim.tr("ka10075", base, token)
        assert response.json()["return_msg"] == " 조회가 완료되었습니다."
        row = response.json()["oso"][0]
        assert row["acnt_no"] == "8100000011" and row["stk_cd"] == "000660"
        assert row["cur_prc"] == "176000" and row["sel_bid"] == "+176100" and row["buy_bid"] == "176000"

    def test_ka10076_newest_first_and_older_than_filter(self, sim, token):
        sim.control.set_price("005930", 71_500)
        numbers = [sim.buy(token, "005930", 1, trde_tp="3") for _ in range(3)]
        numbers.append(sim.sell(token, "000660", 1, trde_tp="3"))

        assert [f["ord_no"] for f in sim.fills(token)] == numbers[::-1]
        assert [f["ord_no"] for f in sim.fills(token, ord_no=numbers[2])] == numbers[1::-1]
        sells = sim.ok("ka10076", {"qry_tp": "0", "sell_tp": "1", "stex_tp": "0"}, token)["cntr"]
        assert [f["ord_no"] for f in sells] == [numbers[3]]
        by_code = sim.ok(
            "ka10076", {"stk_cd": "000660", "qry_tp": "1", "sell_tp": "0", "stex_tp": "0"}, token
        )
        assert [f["ord_no"] for f in by_code["cntr"]] == [numbers[3]]
        assert (
            "[1511:"
            in sim.tr("ka10076", {"qry_tp": "1", "sell_tp": "0", "stex_tp": "0"}, token).json()["return_msg"]
        )

    def test_order_lists_page_with_cont_yn_and_next_key(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.control.configure(list_page_size=2)
        resting = [sim.buy(token, "005930", 1, 70_000) for _ in range(5)]
        filled = [sim.buy(token, "005930", 1, trde_tp="3") for _ in range(3)]

        def pages(api_id: str, body: dict, key: str) -> list[list[str]]:
            result, cont, next_key = [], "N", ""
            while True:
                response = sim.tr(api_id, body, token, cont_yn=cont, next_key=next_key)
                result.append([row["ord_no"] for row in response.json()[key]])
                cont, next_key = response.headers["cont-yn"], response.headers["next-key"]
                if cont != "Y":
                    assert next_key == ""
                    return result
                assert len(next_key) <= 50

        open_body = {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}
        assert pages("ka10075", open_body, "oso") == [resting[4:2:-1], resting[2:0:-1], resting[:1]]
        fill_body = {"qry_tp": "0", "sell_tp": "0", "ord_no": "", "stex_tp": "0"}
        assert pages("ka10076", fill_body, "cntr") == [filled[:0:-1], filled[:1]]
        detail_body = {"qry_tp": "1", "stk_bond_tp": "0", "sell_tp": "0", "dmst_stex_tp": "%"}
        detail_pages = pages("kt00007", detail_body, "acnt_ord_cntr_prps_dtl")
        assert [len(p) for p in detail_pages] == [2, 2, 2, 2]
        assert [n for p in detail_pages for n in p] == resting + filled

    def test_an_order_that_closes_between_two_pages_hides_no_other(self, sim, token):
        sim.control.configure(list_page_size=2)
        first, second, third = (sim.buy(token, "005930", 1, 70_000) for _ in range(3))
        body = {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}
        page_one = sim.tr("ka10075", body, token, cont_yn="N", next_key="")
        assert [row["ord_no"] for row in page_one.json()["oso"]] == [third, second]

        cancel(sim, token, second)
        page_two = sim.tr("ka10075", body, token, cont_yn="Y", next_key=page_one.headers["next-key"])

        assert [row["ord_no"] for row in page_two.json()["oso"]] == [first]
        assert page_two.headers["cont-yn"] == "N"

    def test_kt00007_orders_and_formats(self, sim, token):
        sim.control.set_price("005930", 71_500)
        filled = sim.buy(token, "005930", 2, trde_tp="3")
        resting = sim.buy(token, "005930", 3, 70_000)

        ascending = sim.order_detail(token, "1")
        assert [d["ord_no"] for d in ascending] == [filled, resting]
        assert [d["ord_no"] for d in sim.order_detail(token, "2")] == [resting, filled]
        assert [d["ord_no"] for d in sim.order_detail(token, "3")] == [resting]
        assert [d["ord_no"] for d in sim.order_detail(token, "4")] == [filled]
        row = ascending[1]
        assert (row["stk_cd"], row["ord_qty"], row["ord_uv"], row["ord_remnq"]) == (
            "A005930",
            "0000000003",
            "0000070000",
            "0000000003",
        )
        assert row["ord_tm"] == "10:00:00" and row["comm_ord_tp"] == "REST API" and row["acpt_tp"] == "접수"
        assert ascending[0]["cntr_uv"] == "0000071500" and ascending[0]["trde_tp"] == "시장가"
        other_day = {
            "ord_dt": "20250714",
            "qry_tp": "1",
            "stk_bond_tp": "0",
            "sell_tp": "0",
            "dmst_stex_tp": "KRX",
        }
        assert sim.ok("kt00007", other_day, token)["acnt_ord_cntr_prps_dtl"] == []


class TestAgreement:
    def test_balance_deposit_open_orders_fills_and_detail_agree_after_trading(self, sim, token):
        control = sim.control
        control.set_price("005930", 72_000)
        control.set_price("000660", 176_000)
        control.set_price("035420", 201_000)
        sim.buy(token, "005930", 3, trde_tp="3")  # fills 3 @ 72,000
        hynix = sim.buy(token, "000660", 5, 170_000)  # rests
        naver = sim.sell(token, "035420", 4, 205_000)  # rests
        control.set_price("000660", 170_000, liquidity=2)  # 2 of 5 fill
        moved = modify(sim, token, hynix, "0", "169000", code="000660")  # 3 move to 169,000
        assert moved["return_code"] == 0, moved
        control.set_price("035420", 205_000, liquidity=1)  # 1 of 4 sells
        assert cancel(sim, token, naver, "1", code="035420")["return_code"] == 0  # 2 left
        sim.sell(token, "005930", 5, trde_tp="3")  # fills 5 @ 72,000

        balance = sim.balance(token)
        deposit = sim.deposit(token)
        open_orders = sim.open_orders(token)
        fills = sim.fills(token)
        detail = sim.order_detail(token)
        book = {o["ord_no"]: o for o in control.orders("demoAppKey00000000000000000000001")}

        # Open orders: ka10075 == kt00007 rows with a remainder == the control view.
        assert {o["ord_no"]: o["oso_qty"] for o in open_orders} == {moved["ord_no"]: "3", naver: "2"}
        assert {d["ord_no"]: int(d["ord_remnq"]) for d in detail if int(d["ord_remnq"])} == {
            o["ord_no"]: int(o["oso_qty"]) for o in open_orders
        }
        # Fills: ka10076 == kt00007 rows with executions == the control view.
        assert {f["ord_no"]: int(f["cntr_qty"]) for f in fills} == {
            d["ord_no"]: int(d["cntr_qty"]) for d in detail if int(d["cntr_qty"])
        }
        assert {f["ord_no"]: int(f["cntr_qty"]) for f in fills} == {
            n: o["filled_qty"] for n, o in book.items() if o["filled_qty"]
        }
        # Holdings move by the fills.
        net = defaultdict(int)
        for fill in fills:
            code = book[fill["ord_no"]]["stk_cd"]
            net[code] += int(fill["cntr_qty"]) * (1 if fill["io_tp_nm"].startswith("+") else -1)
        rows = {r["stk_cd"][1:]: r for r in balance["acnt_evlt_remn_indv_tot"]}
        assert int(rows["005930"]["rmnd_qty"]) == 10 + net["005930"] == 8
        assert int(rows["000660"]["rmnd_qty"]) == 3 + net["000660"] == 5
        assert int(rows["035420"]["rmnd_qty"]) == 5 + net["035420"] == 4
        # Sellable = held - open sells.
        assert int(rows["035420"]["trde_able_qty"]) == 4 - 2
        assert int(rows["005930"]["trde_able_qty"]) == 8
        # Cash: every fill's amount, fee and tax, as ka10076 reports them.
        expected_cash = 10_000_000
        for fill in fills:
            amount = int(fill["cntr_pric"]) * int(fill["cntr_qty"])
            charges = int(fill["tdy_trde_cmsn"]) + int(fill["tdy_trde_tax"])
            expected_cash += -amount - charges if fill["io_tp_nm"].startswith("+") else amount - charges
        assert int(deposit["entr"]) == expected_cash
        # Orderable = deposit - what open buys tie up (price x open quantity + commission).
        tied = sum(
            int(o["ord_pric"]) * int(o["oso_qty"]) + fee(int(o["ord_pric"]) * int(o["oso_qty"]))
            for o in open_orders
            if o["io_tp_nm"].startswith("+")
        )
        assert int(deposit["ord_alow_amt"]) == expected_cash - tied
        # kt00018's estimated assets = deposit + evaluation.
        assert int(balance["prsm_dpst_aset_amt"]) == expected_cash + int(balance["tot_evlt_amt"])
