"""/ws/v1/live over the real Redis channel layer: each user's events to them alone; price subscriptions."""

import asyncio
from datetime import timedelta

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework_simplejwt.tokens import AccessToken

from brokerage.live import consumers, interest
from brokerage.live.models import StreamState
from brokerage.live.publish import apublish_book, apublish_price, apublish_stream_status, publish_order
from brokerage.market.services import WATCHLIST_ITEMS_MAX
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.signals import order_changed
from tests.brokerage.live.clients import open_live, session_cookie
from tests.factories import KiwoomCredentialFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture(autouse=True)
async def _empty_layer():
    # A layer of this test's own: one kept from another test holds Redis connections of a closed event loop.
    channel_layers.backends.clear()
    await get_channel_layer().flush()
    yield
    await get_channel_layer().flush()


@pytest.fixture
def user(transactional_db):
    return UserFactory()


async def live_for(user):
    return await open_live(token=str(AccessToken.for_user(user)), origin=None)


def tick(code, price=70100):
    return {
        "stock_code": code,
        "price": price,
        "change": 100,
        "change_rate": "0.14",
        "volume": 12,
        "time": "0901",
    }


async def test_the_first_message_is_the_streams_state(user):
    client = await open_live(token=str(AccessToken.for_user(user)), origin=None, skip_status=False)
    status = await client.receive_json_from()
    # In the site's language (the socket's scope carries no other).
    # No keys is not an outage: "idle", which the page shows neutrally (not a red "Disconnected").
    with translation.override(settings.LANGUAGE_CODE):
        reason = gettext("No Kiwoom keys are connected.")
    assert status == {"type": "status", "state": "idle", "reason": reason}
    await client.disconnect()


async def test_an_order_reaches_its_owner_and_nobody_else(user):
    other = await database_sync_to_async(UserFactory)()
    order = await database_sync_to_async(OrderFactory)(
        credential__user=user,
        status=OrderStatus.PARTIALLY_FILLED,
        quantity=10,
        filled_quantity=4,
        price=70000,
        average_fill_price=69900,
        kiwoom_order_number="0000123",
    )
    mine, theirs = await live_for(user), await live_for(other)

    await database_sync_to_async(publish_order)(order)

    message = await mine.receive_json_from(timeout=3)
    assert message["type"] == "order"
    assert (message["id"], message["ord_no"], message["status"]) == (order.id, "0000123", "partially_filled")
    assert (message["filled_quantity"], message["average_price"], message["quantity"]) == (4, 69900, 10)
    assert (message["stock_code"], message["side"], message["price"]) == ("005930", "buy", 70000)
    assert message["updated_at"]
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_every_open_page_of_the_user_gets_the_order(user):
    order = await database_sync_to_async(OrderFactory)(credential__user=user)
    cookie = await database_sync_to_async(session_cookie)(user)
    pages = [await open_live(cookie=cookie), await open_live(cookie=cookie)]
    await database_sync_to_async(publish_order)(order)
    for page in pages:
        assert (await page.receive_json_from(timeout=3))["id"] == order.id
        await page.disconnect()


async def test_a_committed_order_change_is_published_by_the_receiver(user):
    order = await database_sync_to_async(OrderFactory)(credential__user=user, status=OrderStatus.ACCEPTED)
    client = await live_for(user)

    def fill():
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.FILLED, filled_quantity=1)
        order.refresh_from_db()
        order_changed.send(sender=Order, order=order)

    await database_sync_to_async(fill)()
    message = await client.receive_json_from(timeout=3)
    assert (message["type"], message["id"], message["status"]) == ("order", order.id, "filled")
    await client.disconnect()


async def test_stream_status_reaches_the_user(user):
    client = await live_for(user)
    await apublish_stream_status(user.pk, "reconnecting", "Kiwoom closed the socket")
    assert await client.receive_json_from(timeout=3) == {
        "type": "status",
        "state": "reconnecting",
        "reason": "Kiwoom closed the socket",
    }
    await client.disconnect()


# --- subscriptions ----------------------------------------------------------------------------------------


async def test_subscribe_records_interest_and_answers_with_the_codes(user):
    client = await live_for(user)
    await client.send_json_to({"type": "subscribe", "codes": ["005930", "000660", "005930"]})
    assert await client.receive_json_from(timeout=3) == {"type": "subscribed", "codes": ["000660", "005930"]}
    assert await database_sync_to_async(interest.interest_codes)(user_id=user.pk) == {"005930", "000660"}

    await client.send_json_to({"type": "unsubscribe", "codes": ["000660", "035720"]})
    assert await client.receive_json_from(timeout=3) == {"type": "subscribed", "codes": ["005930"]}
    assert await database_sync_to_async(interest.interest_codes)(user_id=user.pk) == {"005930"}
    await client.disconnect()


async def test_closing_the_page_drops_its_interest_but_not_another_pages(user):
    first, second = await live_for(user), await live_for(user)
    await first.send_json_to({"type": "subscribe", "codes": ["005930"]})
    await first.receive_json_from(timeout=3)
    await second.send_json_to({"type": "subscribe", "codes": ["000660"]})
    await second.receive_json_from(timeout=3)

    await first.disconnect()
    assert await database_sync_to_async(interest.interest_codes)(user_id=user.pk) == {"000660"}
    await second.disconnect()
    assert await database_sync_to_async(interest.interest_codes)(user_id=user.pk) == frozenset()


async def test_prices_reach_only_the_connections_that_follow_the_code(user):
    follows, elsewhere = await live_for(user), await live_for(user)
    await follows.send_json_to({"type": "subscribe", "codes": ["005930"]})
    await follows.receive_json_from(timeout=3)

    await apublish_price(tick("005930"))
    await apublish_price(tick("000660"))
    await apublish_book({"stock_code": "005930", "asks": [(70200, 5)], "bids": [(70100, 3)], "time": "0901"})

    assert await follows.receive_json_from(timeout=3) == {"type": "price", **tick("005930")}
    book = await follows.receive_json_from(timeout=3)
    assert book == {
        "type": "book",
        "stock_code": "005930",
        "asks": [[70200, 5]],
        "bids": [[70100, 3]],
        "time": "0901",
    }
    assert await follows.receive_nothing(timeout=0.3)  # not 000660's tick
    assert await elsewhere.receive_nothing(timeout=0.3)
    await follows.disconnect()
    await elsewhere.disconnect()


async def test_a_code_followed_by_many_users_is_sent_once_and_reaches_each_of_them(user):
    """Prices are market data: one send to the code's group, whoever's stream heard the tick; a user's own
    events still go to that user alone."""
    other = await database_sync_to_async(UserFactory)()
    mine, theirs = await live_for(user), await live_for(other)
    for client in (mine, theirs):
        await client.send_json_to({"type": "subscribe", "codes": ["005930"]})
        await client.receive_json_from(timeout=3)
    await apublish_price(tick("005930"))
    assert await mine.receive_json_from(timeout=3) == {"type": "price", **tick("005930")}
    assert await theirs.receive_json_from(timeout=3) == {"type": "price", **tick("005930")}
    await apublish_stream_status(other.pk, "live")
    assert (await theirs.receive_json_from(timeout=3))["type"] == "status"
    assert await mine.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_an_unsubscribed_code_stops_its_prices(user):
    client = await live_for(user)
    await client.send_json_to({"type": "subscribe", "codes": ["005930", "000660"]})
    await client.receive_json_from(timeout=3)
    await client.send_json_to({"type": "unsubscribe", "codes": ["005930"]})
    assert await client.receive_json_from(timeout=3) == {"type": "subscribed", "codes": ["000660"]}
    await apublish_price(tick("005930"))
    await apublish_price(tick("000660"))
    assert (await client.receive_json_from(timeout=3))["stock_code"] == "000660"
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe"},
        {"type": "subscribe", "codes": []},
        {"type": "subscribe", "codes": "005930"},
        {"type": "subscribe", "codes": [5930]},
        {"type": "subscribe", "codes": ["5930"]},
        {"type": "subscribe", "codes": ["005930", "삼성전자"]},
        {"type": "unsubscribe", "codes": ["00593O0"]},
    ],
)
async def test_malformed_codes_are_refused_with_a_clear_error(user, message):
    client = await live_for(user)
    await client.send_json_to(message)
    error = await client.receive_json_from(timeout=3)
    assert error["type"] == "error"
    assert error["code"] == "invalid_codes"
    assert error["detail"]
    assert await database_sync_to_async(interest.interest_codes)(user_id=user.pk) == frozenset()
    await client.disconnect()


async def test_a_connection_follows_the_first_codes_up_to_the_limit_and_names_the_rest(user, monkeypatch):
    monkeypatch.setattr(consumers, "subscribe_limit", lambda: 3)
    client = await live_for(user)
    await client.send_json_to({"type": "subscribe", "codes": ["000001", "000002"]})
    await client.receive_json_from(timeout=3)
    await client.send_json_to({"type": "subscribe", "codes": ["000002", "000003", "000004", "000005"]})
    error = await client.receive_json_from(timeout=3)
    assert error["code"] == "too_many_codes"
    assert error["codes"] == ["000004", "000005"]
    assert "3" in error["detail"] and "000004, 000005" in error["detail"]
    # The part that fits is taken, not the whole list refused.
    assert (await client.receive_json_from(timeout=3))["codes"] == ["000001", "000002", "000003"]
    await client.send_json_to({"type": "subscribe", "codes": ["000006"]})
    error = await client.receive_json_from(timeout=3)
    assert (error["code"], error["codes"]) == ("too_many_codes", ["000006"])
    await client.disconnect()


async def test_a_whole_watchlist_fits_in_one_socket(user, settings):
    settings.LIVE_SUBSCRIBE_LIMIT = 3
    assert consumers.subscribe_limit() >= WATCHLIST_ITEMS_MAX
    client = await live_for(user)
    codes = [f"{n:06d}" for n in range(WATCHLIST_ITEMS_MAX)]
    await client.send_json_to({"type": "subscribe", "codes": codes})
    assert (await client.receive_json_from(timeout=3)) == {"type": "subscribed", "codes": codes}
    await client.disconnect()


async def test_codes_with_letters_are_followed(user):
    client = await live_for(user)
    await client.send_json_to({"type": "subscribe", "codes": ["0000J0"]})
    assert (await client.receive_json_from(timeout=3))["codes"] == ["0000J0"]
    await client.disconnect()


async def _closed_with(client) -> tuple[dict, int]:
    error = await client.receive_json_from(timeout=5)
    closed = await client.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    return error, closed["code"]


async def test_a_token_socket_closes_when_its_token_expires(user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=1))
    client = await open_live(token=str(token), origin=None)
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from(timeout=3) == {"type": "pong"}
    error, code = await _closed_with(client)
    assert (error["type"], error["code"], code) == ("error", "token_expired", 4401)


async def test_a_logout_closes_that_sessions_sockets_only(user):
    """Logging out on one device leaves the user's other sessions and scripts live."""
    phone_cookie = await database_sync_to_async(session_cookie)(user)
    phone = await open_live(cookie=phone_cookie)
    desktop = await open_live(cookie=await database_sync_to_async(session_cookie)(user))
    script = await live_for(user)

    def log_out_on_the_phone():
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = phone_cookie.split("=", 1)[1].split(";")[0]
        assert client.post(reverse("logout")).status_code in (200, 302)

    await database_sync_to_async(log_out_on_the_phone)()

    error, code = await _closed_with(phone)
    assert (error["code"], code) == ("session_ended", 4401)
    for still_live in (desktop, script):
        assert await still_live.receive_nothing(timeout=0.3)
        await still_live.disconnect()


async def test_a_new_password_closes_the_users_sockets(user):
    client = await live_for(user)

    def change_password():
        user.set_password("a-new-Passw0rd!")
        user.save()

    await database_sync_to_async(change_password)()
    error, code = await _closed_with(client)
    assert (error["code"], code) == ("session_ended", 4401)


async def test_a_save_without_a_new_password_leaves_the_sockets_open(user):
    client = await live_for(user)
    user.first_name = "Kim"
    await database_sync_to_async(user.save)()
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


async def test_the_same_password_hashed_anew_at_login_leaves_the_sockets_open(user):
    """Django rehashes a password at login when its hasher changes: that is not a new password."""

    def set_password():
        user.set_password("the-same-Passw0rd!")
        user.save()

    await database_sync_to_async(set_password)()
    client = await live_for(user)

    def rehash():
        stored = type(user).objects.get(pk=user.pk)
        stored.set_password("the-same-Passw0rd!")  # a new salt: another hash of the same password
        stored.save(update_fields=["password"])

    await database_sync_to_async(rehash)()
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


@pytest.mark.parametrize(
    ("text", "code"),
    [("not json", "invalid_json"), ('["subscribe"]', "unknown_type"), ('{"type": "hello"}', "unknown_type")],
)
async def test_other_messages_get_an_error_and_the_connection_stays(user, text, code):
    client = await live_for(user)
    await client.send_to(text_data=text)
    assert (await client.receive_json_from(timeout=3))["code"] == code
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from(timeout=3) == {"type": "pong"}
    await client.disconnect()


async def test_the_state_of_the_users_stream_comes_first(user):
    credential = await database_sync_to_async(KiwoomCredentialFactory)(user=user)
    await database_sync_to_async(StreamState.objects.create)(credential=credential, state="live")
    client = await open_live(token=str(AccessToken.for_user(user)), origin=None, skip_status=False)
    assert await client.receive_json_from(timeout=3) == {"type": "status", "state": "live", "reason": ""}
    await client.disconnect()


async def test_a_reconnecting_stream_says_why(user):
    credential = await database_sync_to_async(KiwoomCredentialFactory)(user=user)
    await database_sync_to_async(StreamState.objects.create)(
        credential=credential, state="reconnecting", reason="Kiwoom's token expired; renewing it"
    )
    client = await open_live(token=str(AccessToken.for_user(user)), origin=None, skip_status=False)
    assert await client.receive_json_from(timeout=3) == {
        "type": "status",
        "state": "reconnecting",
        "reason": "Kiwoom's token expired; renewing it",
    }
    await client.disconnect()


async def test_an_open_page_keeps_its_interest_alive(user, settings):
    settings.LIVE_INTEREST_TTL = 0.5
    settings.LIVE_INTEREST_REFRESH_SECONDS = 0.1
    client = await live_for(user)
    await client.send_json_to({"type": "subscribe", "codes": ["005930"]})
    await client.receive_json_from(timeout=3)
    await asyncio.sleep(1.2)  # more than two lifetimes of an entry nobody refreshes
    assert await database_sync_to_async(interest.interest_codes)(user_id=user.pk) == {"005930"}
    await client.disconnect()
