"""The account's history in a real browser: the equity chart on the balance page, the 매매일지, orders and
fills of any period, and the CSV exports.

Two kinds of test: the pages against answers the test gives for the history API (`answer_api`: exact figures,
gaps and every state, whatever the database holds), and the pages against the real API over days the
simulator's clock went through (snapshots and fills made by the domain's own services).
"""

import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect
from brokerage.history import calendar
from brokerage.history.services import snapshots_sweep, snapshots_take_many
from brokerage.history.services.indices import index_closes_refresh
from brokerage.kiwoom.parsing import KST
from brokerage.orders.models import Order
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import KiwoomCredentialFactory, OrderFactory, UserFactory

from .conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HISTORY_API = re.compile(r"/api/v1/kiwoom/history/([a-z]+)")

# A month of trading days: a deposit on the 3rd (not a return), a day without a record on the 5th.
EQUITY_1M = {
    "points": [
        {
            "time": "2026-11-02",
            "estimated_assets": 10_000_000,
            "deposit": 4_000_000,
            "holdings_value": 6_000_000,
            "net_flow": 0,
            "cumulative_return": "0.00",
        },
        {
            "time": "2026-11-03",
            "estimated_assets": 11_100_000,
            "deposit": 5_000_000,
            "holdings_value": 6_100_000,
            "net_flow": 1_000_000,
            "cumulative_return": "1.00",
        },
        {
            "time": "2026-11-04",
            "estimated_assets": 11_211_000,
            "deposit": 5_000_000,
            "holdings_value": 6_211_000,
            "net_flow": 0,
            "cumulative_return": "2.00",
        },
        {
            "time": "2026-11-06",
            "estimated_assets": 10_989_000,
            "deposit": 5_000_000,
            "holdings_value": 5_989_000,
            "net_flow": 0,
            "cumulative_return": "-0.10",
        },
    ],
    "gaps": ["2026-11-05"],
    "benchmarks": {
        "KOSPI": [
            {"time": "2026-11-02", "close": "2500.00", "cumulative_return": "0.00"},
            {"time": "2026-11-03", "close": "2525.00", "cumulative_return": "1.00"},
            {"time": "2026-11-04", "close": "2550.00", "cumulative_return": "2.00"},
            {"time": "2026-11-05", "close": "2537.50", "cumulative_return": "1.50"},
            {"time": "2026-11-06", "close": "2562.50", "cumulative_return": "2.50"},
        ],
        "KOSDAQ": [
            {"time": "2026-11-02", "close": "800.00", "cumulative_return": "0.00"},
            {"time": "2026-11-03", "close": "796.00", "cumulative_return": "-0.50"},
            {"time": "2026-11-04", "close": "792.00", "cumulative_return": "-1.00"},
            {"time": "2026-11-05", "close": "788.00", "cumulative_return": "-1.50"},
            {"time": "2026-11-06", "close": "784.00", "cumulative_return": "-2.00"},
        ],
    },
}
EQUITY_1W = {
    "points": EQUITY_1M["points"][1:],
    "gaps": ["2026-11-05"],
    "benchmarks": {name: rows[1:] for name, rows in EQUITY_1M["benchmarks"].items()},
}

# A buy of 10 at 70,000 on the 3rd, 5 of them sold at 72,000 on the 4th: mock's 0.35 % commission, 0.18 % tax.
JOURNAL = {
    "start": "2026-11-01",
    "end": "2026-11-30",
    "source": "ledger",
    "days": [
        {
            "day": "2026-11-04",
            "trades": 1,
            "buy_quantity": 0,
            "buy_amount": 0,
            "sell_quantity": 5,
            "sell_amount": 360_000,
            "realized_pnl": 6_867,
            "realized_pnl_before_costs": 10_000,
            "commission": 1260,
            "tax": 648,
        },
        {
            "day": "2026-11-03",
            "trades": 1,
            "buy_quantity": 10,
            "buy_amount": 700_000,
            "sell_quantity": 0,
            "sell_amount": 0,
            "realized_pnl": 0,
            "realized_pnl_before_costs": 0,
            "commission": 2450,
            "tax": 0,
        },
    ],
}
SALE = {
    "day": "2026-11-04",
    "time": "2026-11-04T10:00:00+09:00",
    "stock_code": "005930",
    "stock_name": "삼성전자",
    "quantity": 5,
    "sell_price": 72_000,
    "average_cost": "70000.00",
    "gross_pnl": 10_000,
    "commission": 2485,
    "tax": 648,
    "net_pnl": 6_867,
    "source": "ledger",
    "order_id": 2,
    "cost_known": True,
}
TOTALS = {
    "quantity": 5,
    "sell_amount": 360_000,
    "gross_pnl": 10_000,
    "commission": 2485,
    "tax": 648,
    "net_pnl": 6_867,
}


def realized(costs: str) -> dict:
    pnl = 6_867 if costs == "after" else 10_000
    return {
        "start": "2026-11-01",
        "end": "2026-11-30",
        "costs": costs,
        "source": "ledger",
        "totals": {**TOTALS, "pnl": pnl},
        "trades": [{**SALE, "pnl": pnl}],
    }


COSTS = {
    "rates": [
        {"mode": "mock", "commission_rate": "0.003500", "sell_tax_rate": "0.001800"},
        {"mode": "real", "commission_rate": "0.000150", "sell_tax_rate": "0.001800"},
    ],
    "note": "Rates used for P&L computed from StockLab's ledger.",
}


def answer_api(page, answers) -> list[str]:
    """Answer GET history/<name> with `answers[name]` (a dict, or a function of the query); the addresses
    asked, in order."""
    asked = []

    def handle(route):
        url = route.request.url
        asked.append(url)
        name = HISTORY_API.search(url)[1]
        query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        answer = answers[name]
        body = answer(query) if callable(answer) else answer
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(HISTORY_API, handle)
    return asked


def investor():
    """A user connected with the simulator's demo keys (the balance page around the chart loads for real)."""
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    return user


def datasets(page) -> list[dict]:
    """The equity chart's datasets as Chart.js holds them: label and values."""
    return page.evaluate(
        """() => window.Chart.getChart(document.querySelector("#equity-canvas"))
              .data.datasets.map(d => ({label: d.label, data: d.data}))"""
    )


def hover_day(page, index: int) -> None:
    """Put the pointer over the chart's `index`th day, halfway up the plot."""
    page.locator("#equity-canvas").scroll_into_view_if_needed()
    spot = page.evaluate(
        """(index) => {
            const chart = window.Chart.getChart(document.querySelector("#equity-canvas"));
            const {top, bottom} = chart.chartArea;
            return {x: chart.scales.x.getPixelForValue(index), y: (top + bottom) / 2};
        }""",
        index,
    )
    box = page.locator("#equity-canvas").bounding_box()
    page.mouse.move(box["x"] + spot["x"], box["y"] + spot["y"])


class TestEquityChart:
    def test_the_account_beside_kospi_and_kosdaq_at_1m_with_its_gap_and_deposit(self, page, site):
        log_in(page, site, investor())
        asked = answer_api(page, {"equity": lambda q: EQUITY_1M if q["range"] == "1M" else EQUITY_1W})
        page.goto(f"{site.url}/balance/")
        expect(page.locator("#balance-content")).to_be_visible()  # the balance above is in place

        chart = page.locator("#equity-chart")
        expect(chart.locator("#equity-ranges button[aria-pressed=true]")).to_have_text("1M")
        # The period's outcome: the account (net of the deposit) beside each index.
        expect(chart.locator("#equity-totals [data-series=account] strong")).to_have_text("-0.10%")
        expect(chart.locator("#equity-totals [data-series=kospi] strong")).to_have_text("+2.50%")
        expect(chart.locator("#equity-totals [data-series=kosdaq] strong")).to_have_text("-2.00%")
        assert [parse_qs(urlsplit(url).query)["range"] for url in asked] == [["1M"]]

        lines = datasets(page)
        assert [line["label"] for line in lines[1:]] == ["KOSPI", "KOSDAQ"]
        # The day without a record is a hole in the account's line, not a value made up; the indices traded.
        assert lines[0]["data"] == [0, 1, 2, None, -0.1]
        assert lines[1]["data"] == [0, 1, 2, 1.5, 2.5]
        assert lines[2]["data"] == [0, -0.5, -1, -1.5, -2]
        expect(chart.locator("#equity-gaps")).to_be_visible()
        expect(chart.locator("#equity-gaps")).to_contain_text("11. 05.")
        expect(chart.locator("#equity-flow-note")).to_be_visible()

        # Hover: the day under the pointer, its assets, money moved in, and the indices' closes.
        hover_day(page, 1)
        readout = chart.locator("#equity-readout")
        expect(readout).to_contain_text("11,100,000원")
        expect(readout).to_contain_text("+1,000,000원")
        expect(readout).to_contain_text("+1.00% (2,525.00)")
        expect(readout).to_contain_text("-0.50% (796.00)")
        hover_day(page, 3)
        expect(chart.locator("#equity-readout-title")).to_contain_text("11. 05.")
        expect(readout).not_to_contain_text("원")  # nothing recorded that day: no figure is shown

        # The table of figures says the same, the gap included.
        chart.locator("details.equity__table summary").click()
        rows = chart.locator("#equity-table tbody tr")
        expect(rows).to_have_count(5)
        expect(rows.nth(3)).to_have_attribute("data-gap", "true")
        shoot(page, "history-equity-1m")

        # Another period: its own answer, the indices over the same days.
        chart.locator("#equity-ranges button[data-range='1W']").click()
        expect(chart.locator("#equity-totals [data-series=kospi] strong")).to_have_text("+2.50%")
        expect(rows).to_have_count(4)
        assert len(datasets(page)[0]["data"]) == 4

        # The assets view: won, with a hole for the day without a record, the deposit's day marked.
        chart.locator("#equity-view-assets").click()
        expect(chart.locator("#equity-view-assets")).to_have_attribute("aria-pressed", "true")
        # The button's state changes a frame before the chart is drawn again with the one series.
        page.wait_for_function(
            """() => window.Chart.getChart(document.querySelector("#equity-canvas"))
                  .data.datasets.length === 1"""
        )
        (assets,) = page.evaluate(
            """() => window.Chart.getChart(document.querySelector("#equity-canvas"))
                  .data.datasets.map(d => ({data: d.data, marks: d.pointStyle}))"""
        )
        assert assets["data"] == [11_100_000, 11_211_000, None, 10_989_000]
        assert assets["marks"] == ["triangle", "circle", "circle", "circle"]

    def test_1d_draws_the_day_every_ten_minutes_and_says_why_the_indices_are_not_there(self, page, site):
        log_in(page, site, investor())
        intraday = {
            "points": [
                {
                    "time": f"2026-12-07T{hour}:00+09:00",
                    "estimated_assets": assets,
                    "deposit": 4_000_000,
                    "holdings_value": assets - 4_000_000,
                    "net_flow": 0,
                    "cumulative_return": change,
                }
                for hour, assets, change in (
                    ("09:00", 10_000_000, "0.00"),
                    ("09:10", 10_050_000, "0.50"),
                    ("09:20", 9_990_000, "-0.10"),
                )
            ],
            "gaps": [],
            "benchmarks": EQUITY_1W["benchmarks"],
        }
        answer_api(page, {"equity": lambda q: intraday if q["range"] == "1D" else EQUITY_1M})
        page.goto(f"{site.url}/balance/")
        page.locator("#equity-ranges button[data-range='1D']").click()
        expect(page.locator("#equity-totals [data-series=account] strong")).to_have_text("-0.10%")
        expect(page.locator("#equity-totals [data-series=kospi] strong")).to_have_text("–")
        (account,) = datasets(page)  # the account alone: no daily index close has a time of day
        assert account["data"] == [0, 0.5, -0.1]
        labels = page.evaluate(
            "() => window.Chart.getChart(document.querySelector('#equity-canvas')).data.labels"
        )
        assert labels == ["09:00", "09:10", "09:20"]
        expect(page.locator("#equity-index-note")).to_contain_text("1W")

    def test_an_account_without_history_is_told_when_it_starts(self, page, site):
        log_in(page, site, investor())
        answer_api(page, {"equity": {"points": [], "gaps": [], "benchmarks": {"KOSPI": [], "KOSDAQ": []}}})
        page.goto(f"{site.url}/balance/")
        expect(page.locator("#equity-empty")).to_be_visible()
        expect(page.locator("#equity-canvas")).to_be_hidden()


class TestJournal:
    def test_days_trades_costs_and_source(self, page, site):
        log_in(page, site, UserFactory())
        asked = answer_api(
            page,
            {"journal": JOURNAL, "costs": COSTS, "realized": lambda q: realized(q.get("costs", "after"))},
        )
        page.goto(f"{site.url}/journal/?start=2026-11-01&end=2026-11-30")

        rows = page.locator("#journal-body tr")
        expect(rows).to_have_count(2)
        sale_day = page.locator("#journal-body tr[data-date='2026-11-04']")
        expect(sale_day.locator("[data-column=realized]")).to_have_text("+6,867원")
        expect(sale_day).to_contain_text("360,000원")
        expect(sale_day).to_contain_text("648원")
        expect(page.locator("#journal-totals")).to_contain_text("3,710원")  # both days' commission
        expect(page.locator("#journal-summary [data-key=realized] .summary-card__value")).to_have_text(
            "+6,867원"
        )
        expect(page.locator("#realized-body tr")).to_have_count(1)
        expect(page.locator("#realized-body")).to_contain_text("삼성전자")
        expect(page.locator("#realized-body")).to_contain_text("+1.96%")

        # The rates the figures use, and where they come from.
        expect(page.locator("#journal-rates [data-mode=mock]")).to_contain_text("0.35%")
        expect(page.locator("#journal-rates [data-mode=mock]")).to_contain_text("0.18%")
        expect(page.locator("#journal-rates [data-mode=real]")).to_contain_text("0.015%")
        expect(page.locator("#journal-source .badge")).to_be_visible()
        expect(page.locator("#realized-source .badge")).to_have_attribute("data-source", "ledger")

        # Before costs: the trade's own outcome, without commission and tax.
        page.locator("#journal-after-costs").uncheck()
        expect(sale_day.locator("[data-column=realized]")).to_have_text("+10,000원")
        expect(page.locator("#realized-body")).to_contain_text("+2.86%")
        expect(page.locator("#journal-summary [data-key=realized] .summary-card__value")).to_have_text(
            "+10,000원"
        )
        assert "costs=before" in asked[-1]
        assert "costs=before" in page.url

        # The CSV of the journal: the period on screen.
        href = page.locator("#journal-csv").get_attribute("href")
        assert parse_qs(urlsplit(href).query) == {
            "start": ["2026-11-01"],
            "end": ["2026-11-30"],
            "format": ["csv"],
        }
        shoot(page, "history-journal")

    def test_a_period_is_chosen_by_name_or_by_dates(self, page, site):
        log_in(page, site, UserFactory())
        empty = {"days": [], "source": "ledger"}
        asked = answer_api(
            page, {"journal": empty, "costs": COSTS, "realized": {**realized("after"), "trades": []}}
        )
        page.goto(f"{site.url}/journal/")
        expect(page.locator("#journal-empty")).to_be_visible()
        page.locator("#journal-period button[data-preset=last-month]").click()
        expect(page.locator("#journal-period button[data-preset=last-month]")).to_have_attribute(
            "aria-pressed", "true"
        )
        start = page.locator("#journal-start").input_value()
        end = page.locator("#journal-end").input_value()
        assert start.endswith("-01") and start < end
        assert any(f"start={start}" in url and f"end={end}" in url for url in asked if "/journal" in url)

        page.locator("#journal-start").fill("2026-11-30")
        page.locator("#journal-end").fill("2026-11-01")
        page.get_by_role("button", name=re.compile("Apply|조회")).click()
        expect(page.locator("#journal-period .field__errors")).not_to_be_empty()


ORDER = {
    "id": 1,
    "order_number": "0000123",
    "side": "buy",
    "stock_code": "005930",
    "stock_name": "삼성전자",
    "quantity": 10,
    "trade_type": "0",
    "price": 70_000,
    "status": "filled",
    "filled_quantity": 10,
    "ordered_at": "2026-11-03T00:30:00Z",
    "updated_at": "2026-11-03T00:30:05Z",
    "mode": "mock",
    "kind": "new",
    "parent": None,
    "exchange": "KRX",
    "key_fingerprint_suffix": "abcd",
    "remaining_quantity": 0,
    "average_fill_price": 70_000,
    "cancelled_quantity": 0,
    "modified_quantity": 0,
    "kiwoom_code": "",
    "kiwoom_message": "",
}
FILL = {
    "order_id": 1,
    "order_number": "0000123",
    "stock_code": "005930",
    "stock_name": "삼성전자",
    "side": "buy",
    "quantity": 10,
    "price": 70_000,
    "amount": 700_000,
    "commission": 2450,
    "tax": 0,
    "last_filled_at": "2026-11-03T00:30:05Z",
}


def paginated(name, rows, query, *, per_page=20):
    """A page of `rows` as the API's pagination answers it, its links keeping the query."""
    number = int(query.get("page", 1))
    base = f"/api/v1/kiwoom/history/{name}?" + urlencode({k: v for k, v in query.items() if k != "page"})
    return {
        "count": len(rows),
        "next": f"{base}&page={number + 1}" if number * per_page < len(rows) else None,
        "previous": f"{base}&page={number - 1}" if number > 1 else None,
        "results": rows[(number - 1) * per_page : number * per_page],
    }


class TestHistory:
    def test_orders_and_fills_of_a_period_filtered_paged_and_exported(self, page, site):
        log_in(page, site, UserFactory())
        orders = [{**ORDER, "id": i, "order_number": f"{i:07d}"} for i in range(1, 26)]
        asked = answer_api(
            page,
            {
                "orders": lambda q: paginated("orders", orders, q),
                "fills": lambda q: paginated("fills", [FILL], q),
                "costs": COSTS,
            },
        )
        page.goto(f"{site.url}/history/?start=2026-11-01&end=2026-11-30")
        expect(page.locator("#history-orders-body tr")).to_have_count(20)
        expect(page.locator("#history-fills-body tr")).to_have_count(1)
        expect(page.locator("#history-fills-body")).to_contain_text("700,000원")
        expect(page.locator("#history-fills-body")).to_contain_text("2,450원")
        # Commission and tax are StockLab's estimates, and the page says at which rates.
        expect(page.locator("#history-commission-head")).to_contain_text("(")
        expect(page.locator("#history-tax-head")).to_contain_text("(")
        expect(page.locator("#history-rates [data-mode=mock]")).to_contain_text("0.35%")
        expect(page.locator("#history-rates [data-mode=mock]")).to_contain_text("0.18%")
        expect(page.locator("#history-rates [data-mode=real]")).to_contain_text("0.015%")

        page.locator("#history-orders-next").click()
        expect(page.locator("#history-orders-body tr")).to_have_count(5)
        expect(page.locator("#history-orders-previous")).to_be_enabled()

        page.locator("#history-code").fill("005930")
        page.locator("#history-side").select_option("sell")
        page.locator("#history-filters button[type=submit]").click()
        expect(page.locator("#history-orders-body tr")).to_have_count(20)
        wanted = {"start": ["2026-11-01"], "end": ["2026-11-30"], "stock_code": ["005930"], "side": ["sell"]}
        assert parse_qs(urlsplit(asked[-1]).query) == wanted
        assert parse_qs(urlsplit(page.url).query) == wanted  # a link that can be shared or reloaded
        for link in ("#history-orders-csv", "#history-fills-csv"):
            href = page.locator(link).get_attribute("href")
            assert parse_qs(urlsplit(href).query) == {**wanted, "format": ["csv"]}

        page.locator("#history-code").fill("5930")
        page.locator("#history-filters button[type=submit]").click()
        expect(page.locator("#history-filters .field__errors")).not_to_be_empty()
        expect(page.locator("#history-orders-body tr")).to_have_count(0)  # not the last filters' orders
        page.locator("#history-code").fill("0000J0")  # a code with a letter is a code (Kiwoom's rule)
        page.locator("#history-filters button[type=submit]").click()
        expect(page.locator("#history-filters .field__errors")).to_be_empty()
        assert parse_qs(urlsplit(asked[-1]).query)["stock_code"] == ["0000J0"]
        page.locator("#history-code").fill("005930")
        page.locator("#history-filters button[type=submit]").click()
        expect(page.locator("#history-orders-body tr")).to_have_count(20)
        shoot(page, "history-orders-fills")

    @pytest.mark.parametrize("path", ["/history/", "/journal/"])
    def test_a_user_without_keys_is_asked_to_connect_them(self, page, site, path):
        log_in(page, site, UserFactory())
        page.goto(f"{site.url}{path}")

        prompt = page.locator(".connect-prompt")
        expect(prompt).to_be_visible()
        expect(prompt.locator("a.btn")).to_have_attribute("href", "/")

    @pytest.mark.parametrize("path", ["/history/", "/journal/"])
    def test_the_api_saying_kiwoom_is_not_connected_brings_the_prompt(self, page, site, path):
        user = UserFactory()
        OrderFactory(user=user, credential=None, key_fingerprint="")  # a history: no prompt from the page
        log_in(page, site, user)
        detail = "Connect your Kiwoom account first."
        body = json.dumps({"code": "kiwoom_not_connected", "detail": detail})
        refused = {"status": 409, "content_type": "application/json", "body": body}
        page.route(HISTORY_API, lambda route: route.fulfill(**refused))
        page.goto(f"{site.url}{path}")

        expect(page.locator(".connect-prompt")).to_be_visible()
        expect(page.locator(".connect-prompt")).to_contain_text(detail)


# --- Against the real API -----------------------------------------------------------------------------------


def kst(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KST)


@pytest.fixture
def simulated_days(site, kiwoom, settings):
    """A connected investor whose account went through the last eight trading days: a snapshot after each
    close (the beat's sweep at 15:45, Samsung's price moving), but none on the fifth day, which the next
    sweep marks as a gap; and KOSPI's and KOSDAQ's closes fetched from the simulator (ka20006)."""
    settings.HISTORY_SWEEP_THREADS = 1
    today = calendar.kst_date(timezone.now())
    days = calendar.trading_days(today - timedelta(days=21), calendar.previous_trading_day(today))[-8:]
    user = investor()
    KiwoomCredential.objects.filter(user=user).update(created_at=kst(days[0], 8))
    for i, day in enumerate(days):
        if i == 4:
            continue  # the site was down that evening and the next morning
        kiwoom.control.set_price("005930", 70_000 + 500 * i)
        with time_machine.travel(kst(day, 15, 45), tick=False):
            plan = snapshots_sweep()
            for chunk in plan.chunks:
                snapshots_take_many(credential_ids=chunk, day=plan.day, slot=plan.slot)
    index_closes_refresh(until=days[-1])
    return SimpleNamespace(user=user, days=days, gap=days[4])


class TestAgainstTheApi:
    def test_the_equity_chart_at_1m_after_simulated_days(self, page, site, simulated_days):
        days = [day.isoformat() for day in simulated_days.days]
        log_in(page, site, simulated_days.user)
        page.goto(f"{site.url}/balance/")
        expect(page.locator("#balance-content")).to_be_visible()

        chart = page.locator("#equity-chart")
        expect(chart.locator("#equity-ranges button[aria-pressed=true]")).to_have_text("1M")
        rows = chart.locator("#equity-table tbody tr")
        expect(rows).to_have_count(len(days))
        assert [rows.nth(i).get_attribute("data-time") for i in range(len(days))] == days
        expect(
            chart.locator(f"#equity-table tr[data-time='{simulated_days.gap.isoformat()}']")
        ).to_have_attribute("data-gap", "true")

        account, kospi, kosdaq = datasets(page)
        assert [label["label"] for label in (kospi, kosdaq)] == ["KOSPI", "KOSDAQ"]
        assert account["data"][0] == 0 and account["data"][4] is None
        assert all(value is not None for i, value in enumerate(account["data"]) if i != 4)
        # The indices' lines run over the same days, from 0 % on the first.
        for line in (kospi, kosdaq):
            assert line["data"][0] == 0
            assert all(value is not None for value in line["data"])
        for series in ("kospi", "kosdaq"):
            expect(chart.locator(f"#equity-totals [data-series={series}] strong")).to_have_text(
                re.compile(r"^[+-]?\d+\.\d\d%$")
            )
        expect(chart.locator("#equity-gaps")).to_be_visible()
        shoot(page, "history-equity-simulated")


MON, TUE = date(2026, 11, 2), date(2026, 11, 3)
NOVEMBER = "start=2026-11-01&end=2026-11-30"


def filled(credential, day, side, quantity, price, *, code="005930", name="삼성전자", hour=10):
    """An order of the ledger filled whole on `day` (written as the services would have left it)."""
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
def trader(settings):
    """Bought 10 at 10,000 and 10 at 12,000 on Monday, sold 5 at 13,000 on Tuesday, bought SK하이닉스 too;
    at mock's 0.35 % commission (floored to 10 won an order) and a 0.20 % sell tax."""
    settings.HISTORY_COSTS = {
        "mock": {"commission_rate": "0.0035", "sell_tax_rate": "0.0020"},
        "real": {"commission_rate": "0.00015", "sell_tax_rate": "0.0020"},
    }
    credential = KiwoomCredentialFactory()
    filled(credential, MON, "buy", 10, 10_000)
    filled(credential, MON, "buy", 10, 12_000, hour=11)
    filled(credential, TUE, "sell", 5, 13_000)
    filled(credential, TUE, "buy", 3, 180_000, code="000660", name="SK하이닉스", hour=13)
    # Disconnected since: Kiwoom cannot say (and never saw these made-up fills), the ledger answers alone.
    credential.delete()
    return credential.user


def read_csv(download) -> tuple[bytes, list[list[str]]]:
    raw = download.path().read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8"))))


class TestJournalAndExportsAgainstTheApi:
    def test_the_journal_of_a_month_before_and_after_costs_and_its_csv(self, page, site, trader):
        log_in(page, site, trader)
        page.goto(f"{site.url}/journal/?{NOVEMBER}")

        rows = page.locator("#journal-body tr")
        expect(rows).to_have_count(2)
        tuesday = page.locator("#journal-body tr[data-date='2026-11-03']")
        # Average 11,000: (13,000 − 11,000) × 5 = 10,000 before costs; less the sale's commission 220, its
        # share of the buys' 350 + 420 (a quarter: 193) and the tax 130: 9,457 after.
        expect(tuesday.locator("[data-column=realized]")).to_have_text("+9,457원")
        # Bought 3 × 180,000 and sold 5 × 13,000; commission 1,890 on the buy and 220 on the sale.
        for figure in ("540,000원", "65,000원", "2,110원", "130원"):
            expect(tuesday).to_contain_text(figure)
        expect(page.locator("#realized-body tr")).to_have_count(1)
        expect(page.locator("#realized-body")).to_contain_text("삼성전자")
        expect(page.locator("#journal-rates [data-mode=mock]")).to_contain_text("0.35%")
        expect(page.locator("#journal-rates [data-mode=mock]")).to_contain_text("0.2%")
        expect(page.locator("#journal-source .badge")).to_be_visible()
        expect(page.locator("#realized-source .badge")).to_have_attribute("data-source", "ledger")

        page.locator("#journal-after-costs").uncheck()
        expect(tuesday.locator("[data-column=realized]")).to_have_text("+10,000원")
        expect(page.locator("#realized-body")).to_contain_text("+10,000원")

        with page.expect_download() as info:
            page.locator("#journal-csv").click()
        raw, table = read_csv(info.value)
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel in Korea reads the file as UTF-8
        header, *days = table
        header[0] = header[0].removeprefix("\ufeff")
        # Korean column names, figures as plain numbers.
        by_day = {row[header.index("일자")]: dict(zip(header, row, strict=True)) for row in days}
        assert set(by_day) == {"2026-11-02", "2026-11-03"}
        assert by_day["2026-11-03"]["실현손익"] == "9457"
        assert by_day["2026-11-03"]["매도금액"] == "65000" and by_day["2026-11-03"]["세금"] == "130"
        assert "10000" in by_day["2026-11-03"].values()  # before costs

    def test_orders_and_fills_of_a_period_by_stock_and_side_and_their_csv(self, page, site, trader):
        log_in(page, site, trader)
        page.goto(f"{site.url}/history/?{NOVEMBER}")
        expect(page.locator("#history-orders-body tr")).to_have_count(4)
        expect(page.locator("#history-fills-body tr")).to_have_count(4)

        page.locator("#history-code").fill("005930")
        page.locator("#history-side").select_option("buy")
        page.locator("#history-filters button[type=submit]").click()
        expect(page.locator("#history-orders-body tr")).to_have_count(2)
        expect(page.locator("#history-fills-body tr")).to_have_count(2)
        expect(page.locator("#history-fills-body")).to_contain_text("120,000원")
        expect(page.locator("#history-fills-body")).to_contain_text("420원")  # that buy's commission

        with page.expect_download() as info:
            page.locator("#history-orders-csv").click()
        raw, (header, *orders) = read_csv(info.value)
        assert raw.startswith(b"\xef\xbb\xbf")
        assert info.value.suggested_filename.endswith(".csv")
        header[0] = header[0].removeprefix("\ufeff")
        names = [dict(zip(header, row, strict=True)) for row in orders]
        shown = [(row["종목명"], row["구분"], row["상태"]) for row in names]
        assert shown == [("삼성전자", "매수", "체결")] * 2
        # Korea time as on the pages, no UTC offset.
        assert all(re.fullmatch(r"2026-11-\d\d \d\d:\d\d:\d\d", row["주문 시각"]) for row in names)

        with page.expect_download() as info:
            page.locator("#history-fills-csv").click()
        raw, (header, *fills) = read_csv(info.value)
        assert raw.startswith(b"\xef\xbb\xbf")
        assert sorted(int(dict(zip(header, row, strict=True))["금액"]) for row in fills) == [
            100_000,
            120_000,
        ]
        assert "삼성전자" in raw.decode("utf-8")
        shoot(page, "history-filtered")
