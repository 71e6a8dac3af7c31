"""The order ledger's endpoints: history with filters, one order, cancel, modify, reconcile, today's fills."""

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from brokerage.orders.models import Order, OrderStatus
from tests.brokerage.orders.helpers import (
    FILLS,
    ORDERS,
    SAMSUNG,
    SELL,
    calls,
    connected_client,
    limit_buy,
    market_buy,
    order_url,
    post,
)
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET, bearer_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(kiwoom):
    """Another user, connected to an account of their own."""
    return connected_client(UserFactory(), app_key="strangerAppKey000000000000000001")


class TestHistory:
    def test_lists_the_users_orders_newest_first_paginated(self, connected_api, kiwoom):
        ids = [limit_buy(connected_api, 1, price).json()["id"] for price in (60_000, 60_100, 60_200)]

        first = connected_api.get(f"{ORDERS}?page_size=2").json()
        second = connected_api.get(f"{ORDERS}?page_size=2&page=2").json()

        assert first["count"] == 3
        assert "page=2" in first["next"]
        assert [o["id"] for o in first["results"] + second["results"]] == ids[::-1]
        assert second["next"] is None

    def test_shows_nothing_of_another_users_orders(self, connected_api, kiwoom, stranger):
        limit_buy(connected_api, 1, 60_000)

        assert stranger.get(ORDERS).json()["count"] == 0

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("status=rejected", ["rejected sell"]),
            ("side=sell", ["rejected sell"]),
            ("stock_code=000660", ["hynix"]),
            ("kind=new&status=accepted&side=buy", ["hynix", "samsung"]),
        ],
    )
    def test_filters(self, connected_api, kiwoom, query, expected):
        labels = {
            limit_buy(connected_api, 1, 60_000).json()["id"]: "samsung",
            limit_buy(connected_api, 1, 150_000, code="000660").json()["id"]: "hynix",
            post(connected_api, SELL, {"stock_code": SAMSUNG, "quantity": 99, "trade_type": "3"}).json()[
                "order_id"
            ]: "rejected sell",
        }

        results = connected_api.get(f"{ORDERS}?{query}").json()["results"]

        assert sorted(labels[o["id"]] for o in results) == sorted(expected)

    def test_filters_by_korea_time_calendar_days(self, connected_api, user, kiwoom):
        old = limit_buy(connected_api, 1, 60_000).json()["id"]
        new = limit_buy(connected_api, 1, 60_100).json()["id"]
        Order.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(days=3))
        today = timezone.localdate()
        three_days_ago = today - timedelta(days=3)

        recent = connected_api.get(f"{ORDERS}?date_from={today}").json()["results"]
        earlier = connected_api.get(f"{ORDERS}?date_from={three_days_ago}&date_to={three_days_ago}").json()

        assert [o["id"] for o in recent] == [new]
        assert [o["id"] for o in earlier["results"]] == [old]

    def test_the_last_possible_day_is_an_open_end(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 1, 60_000).json()

        response = connected_api.get(f"{ORDERS}?date_to=9999-12-31")

        assert response.status_code == 200
        assert [o["id"] for o in response.json()["results"]] == [order["id"]]

    @pytest.mark.parametrize(
        "query, field",
        [
            ("status=lost", "status"),
            ("side=short", "side"),
            ("stock_code=5930", "stock_code"),
            ("stock_code=%EF%BC%90%EF%BC%90%EF%BC%95%EF%BC%99%EF%BC%93%EF%BC%90", "stock_code"),  # full-width
            ("date_from=yesterday", "date_from"),
            ("date_from=2025-07-02&date_to=2025-07-01", "date_to"),
        ],
    )
    def test_a_bad_filter_is_a_400_naming_it(self, connected_api, kiwoom, query, field):
        response = connected_api.get(f"{ORDERS}?{query}")

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        assert field in response.json()["errors"]

    def test_needs_authentication(self, api):
        response = api.get(ORDERS)

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_the_browsable_api_renders_the_ledger(self, connected_api, user, kiwoom):
        from django.test import Client

        order_id = limit_buy(connected_api, 1, 60_000).json()["id"]
        browser = Client()
        browser.force_login(user)

        listing = browser.get(ORDERS, HTTP_ACCEPT="text/html")
        modify_form = browser.get(order_url(order_id, "modify"), HTTP_ACCEPT="text/html")

        assert listing.status_code == 200
        assert b"Order" in listing.content
        assert modify_form.status_code == 405  # POST only; the page still renders with its form
        assert b"price" in modify_form.content

    def test_the_history_stays_readable_without_kiwoom_keys(self, connected_api, user, kiwoom):
        limit_buy(connected_api, 1, 60_000)
        connected_api.delete("/api/v1/kiwoom/credentials")

        response = connected_api.get(ORDERS)

        assert response.status_code == 200
        assert response.json()["count"] == 1


class TestOneOrder:
    def test_shows_the_ledger_entry(self, connected_api, kiwoom):
        placed = limit_buy(connected_api, 2, 60_000).json()

        response = connected_api.get(order_url(placed["id"]))

        assert response.status_code == 200
        body = response.json()
        assert {k: body[k] for k in ("id", "order_number", "side", "quantity", "price")} == {
            k: placed[k] for k in ("id", "order_number", "side", "quantity", "price")
        }
        assert (body["kind"], body["parent"], body["mode"], body["remaining_quantity"]) == (
            "new",
            None,
            "mock",
            2,
        )

    @pytest.mark.parametrize("path", ["", "/cancel", "/modify", "/reconcile"])
    def test_another_users_order_is_not_found_and_kiwoom_hears_nothing(
        self, connected_api, kiwoom, stranger, path
    ):
        order_id = limit_buy(connected_api, 2, 60_000).json()["id"]
        kiwoom.control.reset_stats()

        if path:
            response = stranger.post(f"{order_url(order_id)}{path}", {"price": 61_000}, format="json")
        else:
            response = stranger.get(order_url(order_id))

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert kiwoom.control.stats()["calls"] == {}
        assert Order.objects.get(pk=order_id).status == OrderStatus.ACCEPTED

    @pytest.mark.parametrize("order_id", ["999999", "abc", "-1"])
    @pytest.mark.parametrize("action", [None, "cancel", "modify", "reconcile"])
    def test_an_unknown_order_is_not_found(self, connected_api, kiwoom, order_id, action):
        if action:
            response = connected_api.post(f"{ORDERS}/{order_id}/{action}", {"price": 61_000}, format="json")
        else:
            response = connected_api.get(f"{ORDERS}/{order_id}")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert kiwoom.control.stats()["calls"] == {"au10001": 1}  # connecting the keys, nothing since


class TestCancel:
    def test_cancels_the_whole_remainder(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "cancel"), {})

        assert response.status_code == 201
        assert (response.json()["kind"], response.json()["parent"], response.json()["quantity"]) == (
            "cancel",
            order["id"],
            3,
        )
        assert len(response.json()["order_number"]) == 7
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.CANCELLED
        assert calls(kiwoom, "kt10003") == 1

    @pytest.mark.parametrize(
        "body, field",
        [({"quantity": 0}, "quantity"), ({"quantity": "x"}, "quantity"), ({"quantity": -1}, "quantity")],
    )
    def test_bad_input_is_refused_before_kiwoom(self, connected_api, kiwoom, body, field):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "cancel"), body)

        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert calls(kiwoom, "kt10003") == 0

    def test_more_than_is_open_is_refused_before_kiwoom(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "cancel"), {"quantity": 4})

        assert response.status_code == 422
        assert response.json()["code"] == "order_quantity_over_remainder"
        assert response.json()["remaining_quantity"] == 3
        assert calls(kiwoom, "kt10003") == 0

    def test_exactly_what_is_open_can_be_named(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "cancel"), {"quantity": 3})

        assert (response.status_code, response.json()["quantity"]) == (201, 3)
        assert connected_api.get(order_url(order["id"])).json()["status"] == "cancelled"
        assert calls(kiwoom, "kt10003") == 1

    @pytest.mark.parametrize("status", ["filled", "cancelled", "rejected", "unresolved", "not_placed"])
    def test_only_an_open_order_can_be_cancelled(self, connected_api, kiwoom, status):
        order = limit_buy(connected_api, 3, 60_000).json()
        Order.objects.filter(pk=order["id"]).update(status=status)

        response = post(connected_api, order_url(order["id"], "cancel"), {})

        assert response.status_code == 409
        assert response.json()["code"] == "order_not_open"
        assert calls(kiwoom, "kt10003") == 0

    def test_a_cancellation_cannot_itself_be_cancelled(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 3, 60_000).json()
        cancellation = post(connected_api, order_url(order["id"], "cancel"), {"quantity": 1}).json()

        response = post(connected_api, order_url(cancellation["id"], "cancel"), {})

        assert response.json()["code"] == "order_not_open"
        assert cancellation["remaining_quantity"] == 0  # nothing of a cancellation is ever open
        assert calls(kiwoom, "kt10003") == 1

    def test_kiwooms_refusal_is_recorded_on_the_cancellation(self, connected_api, user, kiwoom):
        order = limit_buy(connected_api, 3, 60_000).json()
        kiwoom.control.set_price(SAMSUNG, 60_000)  # it fills at Kiwoom before the ledger hears of it

        response = post(connected_api, order_url(order["id"], "cancel"), {})

        assert response.status_code == 422
        assert response.json()["kiwoom_code"] == "RC4032"
        assert Order.objects.get(pk=response.json()["order_id"]).status == OrderStatus.REJECTED


class TestModify:
    def test_moves_the_remainder_to_a_new_price(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "modify"), {"price": "61000", "quantity": "2"})

        assert response.status_code == 201
        child = response.json()
        assert (child["kind"], child["parent"], child["price"], child["quantity"]) == (
            "modify",
            order["id"],
            61_000,
            2,
        )
        assert child["order_number"] != order["order_number"]
        parent = Order.objects.get(pk=order["id"])
        assert (parent.status, parent.modified_quantity, parent.remaining_quantity) == (
            OrderStatus.ACCEPTED,
            2,
            1,
        )
        assert calls(kiwoom, "kt10002") == 1

    @pytest.mark.parametrize(
        "body, field",
        [
            ({}, "price"),
            ({"price": 0}, "price"),
            ({"price": "abc"}, "price"),
            ({"price": 61_000, "quantity": 0}, "quantity"),
            ({"price": 61_000, "quantity": 1.5}, "quantity"),
        ],
    )
    def test_bad_input_is_refused_before_kiwoom(self, connected_api, kiwoom, body, field):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "modify"), body)

        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert calls(kiwoom, "kt10002") == 0

    @pytest.mark.parametrize(
        "body, status, code",
        [
            ({"price": 61_050}, 422, "order_price_off_tick"),
            ({"price": 95_000}, 422, "order_price_out_of_band"),
            ({"price": 61_000, "quantity": 4}, 422, "order_quantity_over_remainder"),
        ],
    )
    def test_the_new_terms_meet_the_guardrails(self, connected_api, kiwoom, body, status, code):
        order = limit_buy(connected_api, 3, 60_000).json()

        response = post(connected_api, order_url(order["id"], "modify"), body)

        assert response.status_code == status
        assert response.json()["code"] == code
        assert calls(kiwoom, "kt10002") == 0

    def test_a_market_order_has_no_price_to_change(self, connected_api, kiwoom):
        order = market_buy(connected_api, 1).json()
        Order.objects.filter(pk=order["id"]).update(status=OrderStatus.ACCEPTED)

        response = post(connected_api, order_url(order["id"], "modify"), {"price": 61_000})

        assert response.status_code == 409
        assert response.json()["code"] == "order_not_modifiable"
        assert calls(kiwoom, "kt10002") == 0

    def test_the_orders_own_price_is_refused_and_nothing_is_sent(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 2, 60_000).json()

        response = post(connected_api, order_url(order["id"], "modify"), {"price": 60_000})

        assert response.status_code == 422
        assert response.json()["code"] == "order_modify_unchanged"
        assert "price" in response.json()["errors"]
        assert calls(kiwoom, "kt10002") == 0


class TestOtherKeys:
    """Orders stay with the Kiwoom account (the keys) that placed them: after the user connects other keys,
    a change or a sync through the new keys would reach another account, where the same order number can
    name someone else's order."""

    @pytest.fixture
    def placed_then_keys_changed(self, connected_api, user, kiwoom):
        order = limit_buy(connected_api, 2, 60_000).json()
        connected_api.delete("/api/v1/kiwoom/credentials")
        connected_client(user, app_key="secondAccountKey000000000000001")
        kiwoom.control.reset_stats()
        return order

    @pytest.mark.parametrize(("action", "body"), [("cancel", {}), ("modify", {"price": 61_000})])
    def test_a_change_is_refused_and_nothing_is_sent(
        self, connected_api, kiwoom, placed_then_keys_changed, action, body
    ):
        order = placed_then_keys_changed

        response = post(connected_api, order_url(order["id"], action), body)

        assert response.status_code == 409
        assert response.json()["code"] == "order_placed_with_other_keys"
        assert calls(kiwoom, "kt10002", "kt10003") == 0

    def test_the_sync_leaves_it_as_it_stands(self, connected_api, kiwoom, placed_then_keys_changed):
        order = placed_then_keys_changed

        ledger = connected_api.get(ORDERS).json()["results"]

        assert [(o["id"], o["status"]) for o in ledger] == [(order["id"], "accepted")]
        assert calls(kiwoom, "ka10075", "ka10076", "kt00007") == 0

    def test_each_entry_names_its_keys_as_the_status_does(self, connected_api, placed_then_keys_changed):
        entry = connected_api.get(order_url(placed_then_keys_changed["id"])).json()
        status = connected_api.get("/api/v1/kiwoom/credentials/status").json()

        assert entry["key_fingerprint_suffix"] == placed_then_keys_changed["key_fingerprint_suffix"]
        assert entry["key_fingerprint_suffix"] != status["key_fingerprint_suffix"]  # other keys now

    def test_todays_fills_are_the_connected_keys_own_even_right_after_a_change(
        self, connected_api, user, kiwoom
    ):
        market_buy(connected_api, 1)
        assert connected_api.get(FILLS).json()["fills"]  # read, and kept for the sync interval
        connected_api.delete("/api/v1/kiwoom/credentials")
        other = connected_client(user, app_key="secondAccountKey000000000000001")

        assert other.get(FILLS).json()["fills"] == []  # the new account has none

    def test_the_same_keys_connected_again_can_change_it(self, connected_api, user, kiwoom):
        order = limit_buy(connected_api, 2, 60_000).json()
        connected_api.delete("/api/v1/kiwoom/credentials")
        again = bearer_client(user)
        again.post(
            "/api/v1/kiwoom/credentials",
            {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET},
            format="json",
        )

        response = post(again, order_url(order["id"], "cancel"), {})

        assert response.status_code == 201, response.content


class TestFills:
    def test_todays_fills_point_at_their_ledger_entries(self, connected_api, kiwoom):
        order = market_buy(connected_api, 2).json()

        response = connected_api.get(FILLS)

        assert response.status_code == 200
        [fill] = response.json()["fills"]
        assert (fill["order_id"], fill["order_number"], fill["filled_quantity"]) == (
            order["id"],
            order["order_number"],
            2,
        )
        assert (fill["stock_code"], fill["side"]) == (SAMSUNG, "buy")
        assert fill["fill_price"] > 0 and fill["fee"] >= 0
        assert calls(kiwoom, "ka10076") == 1

    def test_fills_placed_elsewhere_have_no_ledger_entry(self, connected_api, user, kiwoom):
        from tests.brokerage.orders.helpers import kiwoom_view

        kiwoom_view(
            user,
            lambda c, t: c.place_order(
                t, side="buy", stock_code=SAMSUNG, quantity=1, trade_type="3", price=None
            ),
        )

        [fill] = connected_api.get(FILLS).json()["fills"]

        assert fill["order_id"] is None

    def test_not_connected_is_409(self, user):
        response = bearer_client(user).get(FILLS)

        assert response.status_code == 409
        assert response.json()["code"] == "kiwoom_not_connected"


class TestDocumentation:
    @pytest.fixture
    def schema(self, api):
        return yaml.safe_load(api.get("/api/schema/").content)

    @pytest.mark.parametrize(
        "path, method, errors",
        [
            ("/api/v1/kiwoom/orders", "get", {"400", "401"}),
            ("/api/v1/kiwoom/orders/{id}", "get", {"401", "404"}),
            ("/api/v1/kiwoom/orders/{id}/cancel", "post", {"400", "404", "409", "422", "503"}),
            ("/api/v1/kiwoom/orders/{id}/modify", "post", {"400", "404", "409", "422", "503"}),
            ("/api/v1/kiwoom/orders/{id}/reconcile", "post", {"404", "503"}),
            ("/api/v1/kiwoom/account/fills", "get", {"401", "409", "503"}),
            ("/api/v1/kiwoom/order/buy", "post", {"400", "403", "409", "422", "503"}),
        ],
    )
    def test_every_order_endpoint_documents_its_errors(self, schema, path, method, errors):
        [operation] = [ops[method] for p, ops in schema["paths"].items() if p.rstrip("/") == path]

        assert errors <= set(operation["responses"])

    @pytest.mark.parametrize("action", ["cancel", "modify"])
    def test_a_change_refused_while_an_earlier_one_is_in_doubt_is_documented(self, schema, action):
        path = f"/api/v1/kiwoom/orders/{{id}}/{action}"
        [operation] = [ops["post"] for p, ops in schema["paths"].items() if p.rstrip("/") == path]

        assert "`order_change_unresolved`" in operation["responses"]["409"]["description"]

    @pytest.mark.parametrize("path", ["/api/v1/kiwoom/order/buy", "/api/v1/kiwoom/orders/{id}/cancel"])
    def test_the_idempotency_key_header_is_documented(self, schema, path):
        [operation] = [ops["post"] for p, ops in schema["paths"].items() if p.rstrip("/") == path]

        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])

    def test_the_list_documents_its_filters(self, schema):
        [operation] = [
            ops["get"] for p, ops in schema["paths"].items() if p.rstrip("/") == "/api/v1/kiwoom/orders"
        ]

        names = {p["name"] for p in operation["parameters"]}
        assert {"status", "side", "stock_code", "date_from", "date_to", "page"} <= names
