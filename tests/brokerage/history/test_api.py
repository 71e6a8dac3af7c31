"""The history API: realized P&L, the journal, orders and fills of any period (JSON and CSV), equity beside
the indices, and the cost rates; every answer is the signed-in user's own."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from brokerage import kiwoom
from brokerage.history.models import AccountSnapshot, IndexCode, IndexDaily, SnapshotStatus
from brokerage.orders.models import Order
from tests.brokerage.history.conftest import kst
from tests.conftest import bearer_client
from tests.factories import KiwoomCredentialFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/kiwoom/history"
MON, TUE, WED = date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)
PERIOD = {"start": "2026-12-01", "end": "2026-12-31"}
LEDGER = {**PERIOD, "source": "ledger"}


@pytest.fixture(autouse=True)
def _rates(settings):
    settings.HISTORY_COSTS = {
        "mock": {"commission_rate": "0.0035", "sell_tax_rate": "0.0020"},
        "real": {"commission_rate": "0.00015", "sell_tax_rate": "0.0020"},
    }


def filled(credential, day, side, quantity, price, *, code="005930", name="삼성전자", hour=10):
    order = OrderFactory(
        credential=credential,
        side=side,
        stock_code=code,
        stock_name=name,
        quantity=quantity,
        price=price,
        trade_type="0",
        filled_quantity=quantity,
        average_fill_price=price,
        status="filled",
        kiwoom_order_number=f"{Order.objects.count() + 1:07d}",
    )
    Order.objects.filter(pk=order.pk).update(created_at=kst(day, hour))
    return order


@pytest.fixture
def trader(user):
    credential = KiwoomCredentialFactory(user=user)
    filled(credential, MON, "buy", 10, 10_000)
    filled(credential, MON, "buy", 10, 12_000, hour=11)
    filled(credential, TUE, "sell", 5, 13_000)
    filled(credential, WED, "buy", 3, 50_000, code="000660", name="SK하이닉스")
    return credential


@pytest.fixture
def stranger():
    other = UserFactory()
    credential = KiwoomCredentialFactory(user=other)
    filled(credential, TUE, "sell", 7, 99_000, code="035420", name="NAVER")
    return bearer_client(other)


class TestRealized:
    def test_moving_average_after_costs_by_default(self, user_api, trader):
        body = user_api.get(f"{API}/realized", LEDGER).json()

        assert body["source"] == "ledger"
        (trade,) = body["trades"]
        assert trade["average_cost"] == "11000.00"
        assert trade["gross_pnl"] == 10_000
        assert trade["commission"] == 220 + 193 and trade["tax"] == 130
        assert trade["pnl"] == trade["net_pnl"] == 9_457
        assert trade["source"] == "ledger"
        assert body["totals"]["pnl"] == 9_457

    def test_before_costs(self, user_api, trader):
        body = user_api.get(f"{API}/realized", {**LEDGER, "costs": "before"}).json()
        assert body["trades"][0]["pnl"] == 10_000 and body["totals"]["pnl"] == 10_000

    def test_a_period_without_sales_has_none(self, user_api, trader):
        body = user_api.get(
            f"{API}/realized", {"start": "2026-12-23", "end": "2026-12-23", "source": "ledger"}
        ).json()
        assert body["trades"] == [] and body["totals"]["net_pnl"] == 0

    def test_the_first_day_after_the_last_is_refused(self, user_api, trader):
        response = user_api.get(f"{API}/realized", {"start": "2026-12-23", "end": "2026-12-01"})
        assert response.status_code == 400


class TestJournal:
    def test_per_day_buys_sells_pnl_commission_and_tax(self, user_api, trader):
        days = user_api.get(f"{API}/journal", PERIOD).json()["days"]

        assert [d["day"] for d in days] == ["2026-12-23", "2026-12-22", "2026-12-21"]
        monday = days[2]
        assert monday["buy_amount"] == 220_000 and monday["sell_amount"] == 0
        assert monday["commission"] == 350 + 420 and monday["realized_pnl"] == 0
        tuesday = days[1]
        assert tuesday["sell_amount"] == 65_000 and tuesday["tax"] == 130
        assert tuesday["realized_pnl"] == 9_457 and tuesday["realized_pnl_before_costs"] == 10_000

    def test_csv_with_bom_reads_back(self, user_api, trader):
        response = user_api.get(f"{API}/journal", {**PERIOD, "format": "csv"})

        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert [r["일자"] for r in rows] == ["2026-12-23", "2026-12-22", "2026-12-21"]
        assert rows[1]["실현손익"] == "9457"
        assert rows[1]["세금"] == "130" and rows[2]["매수금액"] == "220000"

    def test_csv_header_follows_the_requests_language(self, user_api, trader):
        response = user_api.get(f"{API}/journal", {**PERIOD, "format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")

        header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert header[:2] == ["Date", "Trades"] and "Realized P&L" in header


class TestOrdersAndFills:
    def test_orders_of_a_period_filtered_by_stock_and_side(self, user_api, trader):
        body = user_api.get(f"{API}/orders", {**PERIOD, "side": "buy", "stock_code": "005930"}).json()
        assert body["count"] == 2
        assert {o["price"] for o in body["results"]} == {10_000, 12_000}

    @pytest.mark.parametrize("code", ["0000J0", "Q50001"])
    def test_a_code_with_letters_is_a_stock_code(self, user_api, trader, code):
        assert user_api.get(f"{API}/orders", {**PERIOD, "stock_code": code}).json()["count"] == 0

    @pytest.mark.parametrize("code", ["00593", "0059300", "00593a"])
    def test_anything_else_is_refused_as_kiwoom_refuses_it(self, user_api, trader, code):
        response = user_api.get(f"{API}/orders", {**PERIOD, "stock_code": code})

        assert response.status_code == 400 and kiwoom.STOCK_CODE_RE.fullmatch(code) is None

    def test_a_day_long_past_is_there(self, user_api, trader):
        body = user_api.get(f"{API}/fills", {"start": "2026-12-22", "end": "2026-12-22"}).json()
        (fill,) = body["results"]
        assert fill["side"] == "sell" and fill["quantity"] == 5 and fill["amount"] == 65_000
        assert fill["commission"] == 220 and fill["tax"] == 130

    def test_orders_csv_keeps_korean_names(self, user_api, trader):
        response = user_api.get(f"{API}/orders", PERIOD, HTTP_ACCEPT="text/csv")

        raw = b"".join(response.streaming_content)
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        assert len(rows) == 4
        assert {r["종목명"] for r in rows} == {"삼성전자", "SK하이닉스"}
        assert 'filename="orders-2026-12-01-2026-12-31.csv"' in response["Content-Disposition"]

    def test_orders_csv_reads_as_the_pages_do_in_korea_time(self, user_api, trader):
        response = user_api.get(f"{API}/orders", {**PERIOD, "format": "csv", "stock_code": "000660"})

        text = b"".join(response.streaming_content).decode("utf-8-sig")
        (header, order) = list(csv.reader(io.StringIO(text)))
        row = dict(zip(header, order, strict=True))
        assert header[:2] == ["주문 시각", "주문번호"]
        assert row["주문 시각"] == "2026-12-23 10:00:00"  # 10:00 KST, no "+00:00"
        assert (row["구분"], row["상태"], row["종목코드"]) == ("매수", "체결", "000660")
        assert row["주문 유형"] == kiwoom.TradeType.LIMIT.label  # 지정가 (limit), not "0"
        assert (row["수량"], row["가격"]) == ("3", "50000")

    def test_the_json_keeps_machine_names(self, user_api, trader):
        (order,) = user_api.get(f"{API}/orders", {**PERIOD, "stock_code": "000660"}).json()["results"]

        assert (order["side"], order["status"], order["trade_type"]) == ("buy", "filled", "0")

    def test_fills_csv(self, user_api, trader):
        response = user_api.get(f"{API}/fills", {**PERIOD, "format": "csv", "side": "sell"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert rows[0][:3] == ["체결 시각", "주문번호", "구분"]
        assert rows[1][2] == "매도" and rows[1][4] == "삼성전자" and rows[1][7] == "65000"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[1][0])

    def test_users_never_see_each_others_history(self, user_api, trader, stranger):
        mine = user_api.get(f"{API}/orders", PERIOD).json()
        theirs = stranger.get(f"{API}/fills", PERIOD).json()
        their_realized = stranger.get(f"{API}/realized", LEDGER).json()
        their_csv = b"".join(stranger.get(f"{API}/orders", {**PERIOD, "format": "csv"}).streaming_content)

        assert {o["stock_code"] for o in mine["results"]} == {"005930", "000660"}
        assert [f["stock_code"] for f in theirs["results"]] == ["035420"]
        assert [t["stock_code"] for t in their_realized["trades"]] == ["035420"]
        assert "삼성전자" not in their_csv.decode("utf-8-sig")

    def test_anonymous_requests_are_refused(self, api):
        assert api.get(f"{API}/orders").status_code == 401


class TestEquity:
    def test_returns_leave_deposits_out_and_indices_run_beside(self, user):
        for day, assets, flow in ((MON, 1_000_000, 0), (TUE, 1_600_000, 500_000), (WED, 1_760_000, 0)):
            AccountSnapshot.objects.create(
                user=user, date=day, taken_at=kst(day, 15, 40), estimated_assets=assets, net_flow=flow
            )
        AccountSnapshot.objects.create(
            user=user, date=date(2026, 12, 24), taken_at=kst(WED, 15, 40), status=SnapshotStatus.GAP
        )
        for day, close in ((MON, "2500.00"), (TUE, "2550.00"), (WED, "2525.00")):
            IndexDaily.objects.create(index_code=IndexCode.KOSPI, date=day, close=Decimal(close))

        with time_machine.travel(kst(date(2026, 12, 28), 12), tick=False):
            body = bearer_client(user).get(f"{API}/equity", {"range": "1M"}).json()

        assert [p["time"] for p in body["points"]] == ["2026-12-21", "2026-12-22", "2026-12-23"]
        # Tuesday: (1.6M − 1.0M − 0.5M deposited) / 1.0M = 10 %; Wednesday: 1.1 × 1.1 − 1 = 21 %.
        assert [p["cumulative_return"] for p in body["points"]] == ["0.0000", "10.0000", "21.0000"]
        assert body["points"][1]["net_flow"] == 500_000
        assert [b["cumulative_return"] for b in body["benchmarks"]["KOSPI"]] == ["0.0000", "2.0000", "1.0000"]
        assert body["benchmarks"]["KOSDAQ"] == []
        assert body["gaps"] == ["2026-12-24"]

    def test_one_day_is_the_intraday_points_from_the_previous_close(self, user):
        AccountSnapshot.objects.create(
            user=user, date=TUE, taken_at=kst(TUE, 15, 40), estimated_assets=1_000_000
        )
        for minute, assets in ((0, 1_000_000), (10, 1_010_000), (20, 990_000)):
            AccountSnapshot.objects.create(
                user=user, date=WED, kind="intraday", taken_at=kst(WED, 9, minute), estimated_assets=assets
            )

        with time_machine.travel(kst(WED, 9, 25), tick=False):
            body = bearer_client(user).get(f"{API}/equity", {"range": "1D"}).json()

        assert [p["time"] for p in body["points"]] == [
            "2026-12-23T09:00:00+09:00",
            "2026-12-23T09:10:00+09:00",
            "2026-12-23T09:20:00+09:00",
        ]
        assert [p["cumulative_return"] for p in body["points"]] == ["0.0000", "1.0000", "-1.0000"]

    def test_an_unknown_range_is_refused(self, user_api):
        assert user_api.get(f"{API}/equity", {"range": "2D"}).status_code == 400


def test_costs_show_the_rates_by_mode(user_api):
    rates = {r["mode"]: r for r in user_api.get(f"{API}/costs").json()["rates"]}
    assert Decimal(rates["mock"]["commission_rate"]) == Decimal("0.0035")
    assert Decimal(rates["real"]["commission_rate"]) == Decimal("0.00015")


def test_the_schema_says_orders_fills_and_journal_answer_csv(api):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for name in ("orders", "fills", "journal"):
        content = paths[f"/api/v1/kiwoom/history/{name}"]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/csv"} <= set(content), name


class TestRealizedFromKiwoom:
    def test_kiwoom_answers_where_the_mode_has_the_tr_and_each_trade_says_so(self, connected_api, kiwoom):
        buy = {"stock_code": "005930", "quantity": 2, "trade_type": "3"}
        assert connected_api.post("/api/v1/kiwoom/order/buy", buy, format="json").status_code == 201
        assert connected_api.post("/api/v1/kiwoom/order/sell", buy, format="json").status_code == 201

        kiwoom_side = connected_api.get(f"{API}/realized").json()
        ledger_side = connected_api.get(f"{API}/realized", {"source": "ledger"}).json()

        assert kiwoom_side["source"] == "kiwoom"
        assert [(t["stock_code"], t["quantity"], t["source"]) for t in kiwoom_side["trades"]] == [
            ("005930", 2, "kiwoom")
        ]
        assert [(t["quantity"], t["source"]) for t in ledger_side["trades"]] == [(2, "ledger")]


def _held_before_stocklab(user, day, *, quantity, average):
    from brokerage.history.models import HoldingSnapshot

    snapshot = AccountSnapshot.objects.create(user=user, date=day, taken_at=kst(day, 15, 40))
    HoldingSnapshot.objects.create(
        snapshot=snapshot, stock_code="005930", quantity=quantity, average_price=average, close=average
    )


def test_realized_starts_from_the_shares_held_before_stocklab(user_api, user):
    _held_before_stocklab(user, MON, quantity=100, average=10_000)
    credential = KiwoomCredentialFactory(user=user)
    filled(credential, TUE, "buy", 10, 20_000)
    filled(credential, TUE, "sell", 10, 20_000, hour=11)

    (trade,) = user_api.get(f"{API}/realized", {**LEDGER, "costs": "before"}).json()["trades"]

    assert trade["average_cost"] == "10909.09"
    assert trade["gross_pnl"] == 90_909


def _recorded(order, day, hour, minute=0):
    Order.objects.filter(pk=order.pk).update(updated_at=kst(day, hour, minute))


class TestFillTime:
    def test_fills_come_latest_fill_first_labelled_as_such(self, user_api, user):
        credential = KiwoomCredentialFactory(user=user)
        early_order = filled(credential, TUE, "buy", 1, 10_000, hour=9)
        late_order = filled(credential, TUE, "buy", 1, 10_000, hour=10)
        _recorded(early_order, TUE, 14)  # placed first, filled last
        _recorded(late_order, TUE, 11)

        rows = user_api.get(f"{API}/fills", PERIOD).json()["results"]

        assert [row["order_id"] for row in rows] == [early_order.pk, late_order.pk]
        assert rows[0]["last_filled_at"] == "2026-12-22T14:00:00+09:00"
        assert "filled_at" not in rows[0]

    def test_realized_takes_fills_in_the_order_they_filled(self, user_api, user):
        credential = KiwoomCredentialFactory(user=user)
        sale = filled(credential, TUE, "sell", 5, 12_000, hour=9)  # a limit sale resting since 09:00
        purchase = filled(credential, TUE, "buy", 5, 10_000, hour=10)
        _recorded(purchase, TUE, 10, 5)
        _recorded(sale, TUE, 10, 30)

        (trade,) = user_api.get(f"{API}/realized", {**LEDGER, "costs": "before"}).json()["trades"]

        assert trade["cost_known"] and trade["gross_pnl"] == 10_000


class TestCSVSafety:
    def test_text_that_reads_as_a_formula_is_defused_but_numbers_are_not(self, user_api, user):
        credential = KiwoomCredentialFactory(user=user)
        filled(credential, MON, "buy", 10, 10_000, name='=HYPERLINK("http://x")')
        filled(credential, TUE, "sell", 10, 9_000, name='=HYPERLINK("http://x")')

        orders = user_api.get(f"{API}/orders", {**PERIOD, "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(b"".join(orders.streaming_content).decode("utf-8-sig"))))
        journal = user_api.get(f"{API}/journal", {**LEDGER, "format": "csv"})
        _header, *days = csv.reader(io.StringIO(b"".join(journal.streaming_content).decode("utf-8-sig")))

        assert {row["종목명"] for row in rows} == {'\'=HYPERLINK("http://x")'}
        assert days[0][7] == "-10000"  # P&L before costs: a number, not defused text

    def test_an_error_line_is_csv_escaped(self):
        from brokerage.history.csv_export import CSVRenderer

        line = CSVRenderer().render({"code": "invalid_input", "detail": 'bad "end", or "start"'})

        assert list(csv.reader(io.StringIO(line.decode()))) == [["invalid_input", 'bad "end", or "start"']]


class TestCSVStreaming:
    def test_under_wsgi_a_sync_iterator_streams(self, user_api, trader):
        response = user_api.get(f"{API}/orders", {**PERIOD, "format": "csv"})

        assert response.streaming and not response.is_async
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(text)))) == 5

    @pytest.mark.asyncio
    @pytest.mark.django_db(transaction=True)
    async def test_under_asgi_rows_come_in_chunks(self, user, monkeypatch):
        from asgiref.sync import sync_to_async
        from django.db import connections
        from django.test import AsyncClient

        from brokerage.history import csv_export

        monkeypatch.setattr(csv_export, "CHUNK_ROWS", 2)
        credential = await sync_to_async(KiwoomCredentialFactory)(user=user)
        for hour in range(9, 14):
            await sync_to_async(filled)(credential, TUE, "buy", 1, 10_000, hour=hour)
        client = AsyncClient()
        await client.aforce_login(user)

        response = await client.get(f"{API}/fills", {**PERIOD, "format": "csv"})

        assert response.is_async
        chunks = [chunk async for chunk in response.streaming_content]
        assert len(chunks) == 3  # the header and 5 rows, 2 lines a chunk
        rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
        assert len(rows) == 6 and rows[0][0] == "체결 시각" and rows[1][2] == "매수"
        await sync_to_async(connections.close_all)()  # the thread's connection, for the database teardown
