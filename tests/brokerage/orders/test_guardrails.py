"""Pre-trade guardrails: each rule refuses with its own code before Kiwoom hears of the order."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from brokerage.kiwoom import StockInfo
from brokerage.orders import guardrails
from brokerage.orders.guardrails import OrderLimits, OrderProposal
from brokerage.orders.models import Order, TradingProfile
from stocklab.errors import ApplicationError, ErrorKind
from tests.brokerage.orders.helpers import (
    BUY,
    SAMSUNG,
    calls,
    limit_buy,
    market_buy,
    order_calls,
    post,
)
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET, bearer_client

KST = ZoneInfo("Asia/Seoul")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=KST)
SATURDAY_10AM = datetime(2026, 11, 21, 10, 0, tzinfo=KST)
SAMSUNG_QUOTE = StockInfo(
    stock_code=SAMSUNG,
    name="삼성전자",
    current_price=71_500,
    base_price=71_500,
    upper_limit=92_900,
    lower_limit=50_100,
)
LIMITS = OrderLimits(max_quantity=100, max_value=1_000_000)


def proposal(**changes) -> OrderProposal:
    fields = {
        "mode": "mock",
        "exchange": "KRX",
        "side": "buy",
        "stock_code": SAMSUNG,
        "quantity": 1,
        "trade_type": "0",
        "price": 70_000,
    }
    return OrderProposal(**{**fields, **changes})


def refusal(check, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        check(*args, **kwargs)
    return caught.value


class TestTheRules:
    @pytest.mark.parametrize("price", [1_999, 2_005, 19_990, 49_950, 70_000, 199_900, 200_500, 501_000])
    def test_prices_on_the_krx_grid_pass(self, price):
        guardrails.check_tick(price)

    @pytest.mark.parametrize(
        "price, tick, nearest",
        [(2_001, 5, [2_000, 2_005]), (70_050, 100, [70_000, 70_100]), (200_100, 500, [200_000, 200_500])],
    )
    def test_a_price_off_the_grid_names_the_tick_and_the_nearest_prices(self, price, tick, nearest):
        error = refusal(guardrails.check_tick, price)

        assert error.code == "order_price_off_tick"
        assert error.extra == {"tick_size": tick, "nearest_prices": nearest}
        assert f"{tick:,}" in error.detail

    @pytest.mark.parametrize("price", [50_100, 71_500, 92_900])
    def test_prices_within_todays_limits_pass(self, price):
        guardrails.check_price_band(price, quote=SAMSUNG_QUOTE)

    @pytest.mark.parametrize("price", [50_000, 93_000])
    def test_a_price_beyond_todays_limits_is_out_of_band(self, price):
        error = refusal(guardrails.check_price_band, price, quote=SAMSUNG_QUOTE)

        assert error.code == "order_price_out_of_band"
        assert error.extra == {"lower_limit": 50_100, "upper_limit": 92_900, "base_price": 71_500}

    def test_without_kiwoom_limits_the_band_is_thirty_percent_of_the_base_price(self):
        quote = StockInfo(SAMSUNG, "삼성전자", 10_000, 10_000, upper_limit=0, lower_limit=0)

        assert guardrails.price_band(quote) == (7_000, 13_000)

    def test_mock_takes_krx_only(self):
        guardrails.check_exchange(proposal(exchange="KRX"))
        guardrails.check_exchange(proposal(mode="real", exchange="NXT"))

        assert (
            refusal(guardrails.check_exchange, proposal(exchange="SOR")).code
            == "order_exchange_not_supported"
        )

    def test_quantity_and_value_limits(self):
        guardrails.check_order(proposal(quantity=14, price=70_000), limits=LIMITS)

        too_many = refusal(guardrails.check_order, proposal(quantity=101, price=1_000), limits=LIMITS)
        too_much = refusal(guardrails.check_order, proposal(quantity=15, price=70_000), limits=LIMITS)

        assert (too_many.code, too_many.extra) == ("order_quantity_over_limit", {"limit": 100})
        assert (too_much.code, too_much.extra) == (
            "order_value_over_limit",
            {"limit": 1_000_000, "value": 1_050_000},
        )

    def test_an_order_worth_exactly_the_limit_passes_and_one_won_more_is_refused(self):
        limits = OrderLimits(max_quantity=100, max_value=1_000)  # below 2,000 KRW prices move by 1 KRW

        guardrails.check_order(proposal(quantity=1, price=1_000), limits=limits)
        over = refusal(guardrails.check_order, proposal(quantity=1, price=1_001), limits=limits)

        assert (over.code, over.extra) == ("order_value_over_limit", {"limit": 1_000, "value": 1_001})

    def test_exactly_the_quantity_limit_passes_and_one_share_more_is_refused(self):
        guardrails.check_quantity(proposal(quantity=100), limits=LIMITS)

        over = refusal(guardrails.check_quantity, proposal(quantity=101), limits=LIMITS)

        assert (over.code, over.extra) == ("order_quantity_over_limit", {"limit": 100})

    def test_a_market_order_is_valued_at_the_current_price(self):
        guardrails.check_order_against_quote(
            proposal(trade_type="3", price=None, quantity=13), limits=LIMITS, quote=SAMSUNG_QUOTE
        )

        error = refusal(
            guardrails.check_order_against_quote,
            proposal(trade_type="3", price=None, quantity=14),
            limits=LIMITS,
            quote=SAMSUNG_QUOTE,
        )

        assert error.code == "order_value_over_limit"
        assert error.extra["value"] == 14 * 71_500

    def test_the_site_limits_apply_until_an_operator_sets_the_users_own(self, settings):
        settings.ORDER_MAX_QUANTITY = 10
        settings.ORDER_MAX_VALUE = 500_000

        assert OrderLimits.for_profile(None) == OrderLimits(max_quantity=10, max_value=500_000)
        assert OrderLimits.for_profile(TradingProfile(max_order_quantity=3)) == OrderLimits(
            max_quantity=3, max_value=500_000
        )

    @pytest.mark.parametrize(
        "moment, trade_type, exchange",
        [
            (MONDAY_10AM, "0", "KRX"),
            (MONDAY_10AM.replace(hour=9, minute=0), "3", "KRX"),
            (MONDAY_10AM.replace(hour=8, minute=30), "0", "KRX"),  # the opening auction
            (MONDAY_10AM.replace(hour=15, minute=29), "0", "KRX"),  # the closing auction
            (MONDAY_10AM.replace(hour=16, minute=30), "62", "KRX"),
            (MONDAY_10AM.replace(hour=8, minute=35), "61", "KRX"),
            (MONDAY_10AM.replace(hour=8, minute=0), "0", "NXT"),  # Nextrade's pre-market
            (MONDAY_10AM.replace(hour=19, minute=59), "0", "NXT"),  # and its after-market
            (MONDAY_10AM.replace(hour=8, minute=10), "0", "SOR"),  # routed to whichever is open
            (MONDAY_10AM.replace(hour=17, minute=0), "3", "SOR"),
        ],
    )
    def test_orders_in_their_session_pass(self, settings, moment, trade_type, exchange):
        settings.ORDER_ENFORCE_TRADING_HOURS = True

        guardrails.check_trading_hours(trade_type=trade_type, exchange=exchange, now=moment)

    @pytest.mark.parametrize(
        "moment, trade_type, exchange",
        [
            (SATURDAY_10AM, "0", "KRX"),
            (MONDAY_10AM.replace(hour=8, minute=29), "0", "KRX"),
            (MONDAY_10AM.replace(hour=15, minute=30), "3", "KRX"),
            (MONDAY_10AM.replace(hour=17, minute=0), "0", "KRX"),
            (MONDAY_10AM, "62", "KRX"),
            (MONDAY_10AM.replace(hour=7, minute=59), "0", "NXT"),
            (MONDAY_10AM.replace(hour=8, minute=55), "0", "NXT"),  # Nextrade pauses for KRX's auctions
            (MONDAY_10AM.replace(hour=15, minute=25), "0", "NXT"),
            (MONDAY_10AM.replace(hour=20, minute=0), "0", "NXT"),
            (MONDAY_10AM.replace(hour=20, minute=0), "0", "SOR"),
        ],
    )
    def test_orders_outside_their_session_meet_a_closed_market(self, settings, moment, trade_type, exchange):
        settings.ORDER_ENFORCE_TRADING_HOURS = True

        error = refusal(guardrails.check_trading_hours, trade_type=trade_type, exchange=exchange, now=moment)

        assert error.code == "market_closed"
        assert error.kind == ErrorKind.CONFLICT

    def test_a_closed_market_says_when_it_opens(self, settings):
        settings.ORDER_ENFORCE_TRADING_HOURS = True

        with translation.override("en"):
            error = refusal(
                guardrails.check_trading_hours,
                trade_type="0",
                exchange="NXT",
                now=MONDAY_10AM.replace(hour=8, minute=55),
            )

        assert "08:00-08:50, 09:00-15:20, 15:30-20:00 Korea time on weekdays" in error.detail
        assert "it is now 08:55, Monday" in error.detail
        assert error.extra["hours"] == [["08:00", "08:50"], ["09:00", "15:20"], ["15:30", "20:00"]]

    def test_trading_hours_are_not_enforced_unless_switched_on(self, settings):
        settings.ORDER_ENFORCE_TRADING_HOURS = False

        guardrails.check_trading_hours(trade_type="0", exchange="KRX", now=SATURDAY_10AM)


def assert_refused(response, status: int, code: str, kiwoom, *, quote_asked: bool):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert order_calls(kiwoom) == 0
    assert calls(kiwoom, "ka10001") == (1 if quote_asked else 0)
    assert not Order.objects.exists()


@pytest.mark.django_db
class TestThroughTheApi:
    """Every refusal: its code, no order call at Kiwoom, nothing in the ledger."""

    def test_price_off_the_tick_grid(self, connected_api, kiwoom):
        response = limit_buy(connected_api, 1, 70_050)

        assert_refused(response, 422, "order_price_off_tick", kiwoom, quote_asked=False)
        assert response.json()["tick_size"] == 100
        assert response.json()["nearest_prices"] == [70_000, 70_100]

    @pytest.mark.parametrize("price", [50_000, 93_000])
    def test_price_outside_the_band_of_the_base_price(self, connected_api, kiwoom, price):
        response = limit_buy(connected_api, 1, price)

        assert_refused(response, 422, "order_price_out_of_band", kiwoom, quote_asked=True)
        assert response.json()["upper_limit"] == 92_900

    def test_a_band_that_follows_the_base_price(self, connected_api, kiwoom):
        kiwoom.control.set_price(SAMSUNG, 60_000, base_price=60_000)

        response = limit_buy(connected_api, 1, 80_000)  # inside 71,500's band, outside 60,000's (78,000)

        assert_refused(response, 422, "order_price_out_of_band", kiwoom, quote_asked=True)

    def test_exchange_other_than_krx_on_mock(self, connected_api, kiwoom):
        response = post(
            connected_api, BUY, {"stock_code": SAMSUNG, "quantity": 1, "trade_type": "3", "exchange": "NXT"}
        )

        assert_refused(response, 422, "order_exchange_not_supported", kiwoom, quote_asked=False)

    def test_a_stop_limit_order_without_its_stop_price(self, connected_api, kiwoom):
        response = post(
            connected_api, BUY, {"stock_code": SAMSUNG, "quantity": 1, "trade_type": "28", "price": 70_000}
        )

        assert_refused(response, 422, "order_type_not_supported", kiwoom, quote_asked=False)

    @pytest.mark.parametrize("trade_type", ["29", "30", "31"])
    def test_mid_price_types_on_mock(self, connected_api, kiwoom, trade_type):
        response = post(connected_api, BUY, {"stock_code": SAMSUNG, "quantity": 1, "trade_type": trade_type})

        assert_refused(response, 422, "order_type_not_supported", kiwoom, quote_asked=False)

    def test_quantity_over_the_site_limit(self, connected_api, kiwoom, settings):
        settings.ORDER_MAX_QUANTITY = 5

        response = market_buy(connected_api, 6)

        assert_refused(response, 422, "order_quantity_over_limit", kiwoom, quote_asked=False)
        assert response.json()["limit"] == 5

    def test_an_operator_can_raise_a_users_quantity_limit(self, connected_api, user, kiwoom, settings):
        settings.ORDER_MAX_QUANTITY = 5
        TradingProfile.objects.create(user=user, max_order_quantity=6)

        assert market_buy(connected_api, 6).status_code == 201

    def test_value_over_the_users_limit(self, connected_api, user, kiwoom):
        TradingProfile.objects.create(user=user, max_order_value=1_000_000)

        response = limit_buy(connected_api, 15, 70_000)

        assert_refused(response, 422, "order_value_over_limit", kiwoom, quote_asked=False)
        assert response.json()["value"] == 1_050_000

    def test_a_market_orders_value_is_its_quantity_at_the_current_price(self, connected_api, user, kiwoom):
        TradingProfile.objects.create(user=user, max_order_value=1_000_000)
        kiwoom.control.set_price(SAMSUNG, 71_500)

        refused = market_buy(connected_api, 14)  # 1,001,000 KRW

        assert_refused(refused, 422, "order_value_over_limit", kiwoom, quote_asked=True)
        assert market_buy(connected_api, 13).status_code == 201  # 929,500 KRW

    def test_a_market_order_worth_exactly_the_users_limit_goes_through(self, connected_api, user, kiwoom):
        TradingProfile.objects.create(user=user, max_order_value=715_000)
        kiwoom.control.set_price(SAMSUNG, 71_500)

        assert market_buy(connected_api, 10).status_code == 201  # 715,000 KRW

    def test_outside_trading_hours(self, connected_api, user, kiwoom, settings):
        settings.ORDER_ENFORCE_TRADING_HOURS = True

        with time_machine.travel(SATURDAY_10AM, tick=True):
            response = market_buy(bearer_client(user), 1)

        assert_refused(response, 409, "market_closed", kiwoom, quote_asked=False)

    def test_inside_trading_hours(self, connected_api, user, kiwoom, settings):
        settings.ORDER_ENFORCE_TRADING_HOURS = True

        with time_machine.travel(MONDAY_10AM, tick=True):
            response = market_buy(bearer_client(user), 1)

        assert response.status_code == 201, response.content

    def test_an_unknown_stock_code_is_refused_by_the_quote(self, connected_api, kiwoom):
        response = market_buy(connected_api, 1, code="999999")

        assert_refused(response, 400, "kiwoom_unknown_symbol", kiwoom, quote_asked=True)

    def test_the_ledger_entry_carries_the_stocks_name(self, connected_api, kiwoom):
        response = market_buy(connected_api, 1)

        assert response.json()["stock_name"] == "삼성전자"


@pytest.mark.django_db
class TestRealTrading:
    REAL_ORDER = {"stock_code": SAMSUNG, "quantity": 1, "trade_type": "3", "mode": "real"}

    @pytest.fixture
    def real_api(self, user_api, kiwoom, settings):
        settings.KIWOOM_ALLOW_REAL = True
        settings.KIWOOM_REAL_BASE_URL = kiwoom.base_url
        settings.KIWOOM_RATE_LIMIT_REAL = 1000  # the simulator's limit, as for mock
        response = user_api.post(
            "/api/v1/kiwoom/credentials",
            {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET, "mode": "real"},
            format="json",
        )
        assert response.status_code == 201, response.content
        return user_api

    def test_is_off_while_the_site_does_not_allow_it(self, real_api, user, kiwoom, settings):
        TradingProfile.objects.create(user=user, real_trading_enabled=True)
        settings.KIWOOM_ALLOW_REAL = False

        response = post(real_api, BUY, {**self.REAL_ORDER, "confirm": True})

        assert_refused(response, 403, "real_trading_disabled", kiwoom, quote_asked=False)

    def test_is_off_until_an_operator_enables_the_user(self, real_api, kiwoom):
        response = post(real_api, BUY, {**self.REAL_ORDER, "confirm": True})

        assert_refused(response, 403, "real_trading_not_enabled", kiwoom, quote_asked=False)

    def test_needs_the_users_confirmation(self, real_api, user, kiwoom):
        TradingProfile.objects.create(user=user, real_trading_enabled=True)

        response = post(real_api, BUY, self.REAL_ORDER)

        assert_refused(response, 422, "order_confirmation_required", kiwoom, quote_asked=False)

    def test_goes_through_when_allowed_enabled_and_confirmed(self, real_api, user, kiwoom):
        TradingProfile.objects.create(user=user, real_trading_enabled=True)

        response = post(real_api, BUY, {**self.REAL_ORDER, "confirm": True})

        assert response.status_code == 201, response.content
        assert response.json()["mode"] == "real"
        assert calls(kiwoom, "kt10000") == 1

    def test_may_use_other_exchanges(self, real_api, user, kiwoom):
        TradingProfile.objects.create(user=user, real_trading_enabled=True)

        response = post(real_api, BUY, {**self.REAL_ORDER, "confirm": True, "exchange": "NXT"})

        # The simulator is a mock server and refuses NXT itself; the guardrail let it through.
        assert response.json()["code"] == "kiwoom_order_rejected"
        assert response.json()["kiwoom_code"] == "RC9000"
