"""brokerage.live.publish: the live protocol's messages, to the user's or the code's group, never failing the
caller."""

import asyncio
import logging
import threading

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer

from brokerage.live import publish
from brokerage.orders.models import OrderStatus
from tests.factories import OrderFactory

ORDER_FIELDS = {
    "type",
    "id",
    "ord_no",
    "status",
    "filled_quantity",
    "average_price",
    "stock_code",
    "side",
    "quantity",
    "price",
    "updated_at",
}


async def listen(user_id: int) -> str:
    """A channel in the user's group, as a /ws/v1/live connection has."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(publish.user_group(user_id), channel)
    return channel


async def listen_code(stock_code: str) -> str:
    """A channel in the code's group, as a connection that subscribed to the code has."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(publish.code_group(stock_code), channel)
    return channel


async def heard(channel: str) -> dict:
    event = await get_channel_layer().receive(channel)
    assert event["type"] == "live.message"
    return event["message"]


@pytest_asyncio.fixture
async def layer():
    # A layer of this test's own: one kept from another test holds Redis connections of a closed event loop.
    channel_layers.backends.clear()
    layer = get_channel_layer()
    await layer.flush()
    yield layer
    await layer.flush()


@pytest.mark.django_db
def test_an_order_message_has_the_protocols_fields_and_the_ledgers():
    order = OrderFactory(
        status=OrderStatus.FILLED,
        quantity=3,
        filled_quantity=3,
        price=70000,
        average_fill_price=69950,
        kiwoom_order_number="0000042",
        stock_name="삼성전자",
    )
    message = publish.order_message(order)
    assert message.keys() >= ORDER_FIELDS
    assert message["type"] == "order"
    assert (message["id"], message["ord_no"], message["order_number"]) == (order.id, "0000042", "0000042")
    assert (message["status"], message["filled_quantity"], message["average_price"]) == ("filled", 3, 69950)
    assert message["stock_name"] == "삼성전자"  # and the rest of the orders API's row, for the pages
    assert message["remaining_quantity"] == 0


def test_the_user_group_is_per_user():
    assert publish.user_group(7) == "live.user.7"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_publish_order_reaches_the_users_group(layer):
    order = await database_sync_to_async(OrderFactory)(status=OrderStatus.ACCEPTED)
    channel = await listen(order.user_id)
    await database_sync_to_async(publish.publish_order)(order)
    message = await heard(channel)
    assert (message["type"], message["id"], message["status"]) == ("order", order.id, "accepted")


@pytest.mark.asyncio
async def test_the_async_twins_send_each_type(layer):
    channel, samsung, hynix = await listen(5), await listen_code("005930"), await listen_code("000660")
    await publish.apublish_balance(5, {"holdings": [{"stock_code": "005930", "quantity": 3}]})
    await publish.apublish_price(
        {
            "stock_code": "005930",
            "price": 70100,
            "change": -100,
            "change_rate": "-0.14",
            "volume": 9,
            "time": "090105",
            "extra": 1,
        },
    )
    await publish.apublish_book({"stock_code": "000660", "asks": [(120500, 7)], "bids": [], "time": "090105"})
    await publish.apublish_stream_status(5, "live")
    assert await heard(channel) == {"type": "balance", "holdings": [{"stock_code": "005930", "quantity": 3}]}
    assert await heard(channel) == {"type": "status", "state": "live", "reason": ""}
    # Market data goes to the code's group, once, for every connection following the code.
    assert await heard(samsung) == {
        "type": "price",
        "stock_code": "005930",
        "price": 70100,
        "change": -100,
        "change_rate": "-0.14",
        "volume": 9,
        "time": "090105",
    }
    assert await heard(hynix) == {
        "type": "book",
        "stock_code": "000660",
        "asks": [[120500, 7]],
        "bids": [],
        "time": "090105",
    }


@pytest.mark.asyncio
async def test_a_sync_publish_on_an_event_loop_is_sent_from_a_task(layer):
    """async_to_sync cannot run on a loop's thread: the sync function still delivers instead of failing."""
    channel = await listen(6)
    publish.publish_stream_status(6, "down", "Kiwoom refused the LOGIN")
    assert await heard(channel) == {"type": "status", "state": "down", "reason": "Kiwoom refused the LOGIN"}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_sync_publish_from_a_thread_leaves_from_the_loop_it_was_handed_to(layer):
    """The stream process's database threads publish orders after commit: through its loop, not a new one."""
    order = await database_sync_to_async(OrderFactory)(status=OrderStatus.FILLED)
    channel = await listen(order.user_id)
    loops = []
    real_asend_to = publish._asend_to

    async def asend_to(group, build):
        loops.append(asyncio.get_running_loop())
        await real_asend_to(group, build)

    publish.publish_from_threads_on(asyncio.get_running_loop())
    publish._asend_to = asend_to
    try:
        thread = threading.Thread(target=publish.publish_order, args=(order,))
        thread.start()
        message = await heard(channel)
        thread.join()
    finally:
        publish._asend_to = real_asend_to
        publish.publish_from_threads_on(None)
    assert (message["type"], message["id"], message["status"]) == ("order", order.id, "filled")
    assert loops == [asyncio.get_running_loop()]


def test_an_unknown_state_is_logged_not_raised(caplog):
    with caplog.at_level(logging.WARNING, logger="brokerage.live.publish"):
        publish.publish_stream_status(1, "sleepy")
    assert "could not publish" in caplog.text


@pytest.mark.django_db
def test_a_channel_layer_that_is_down_costs_the_caller_nothing(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens there
        }
    }
    order = OrderFactory()
    with caplog.at_level(logging.WARNING, logger="brokerage.live.publish"):
        publish.publish_order(order)
        publish.publish_balance(order.user_id, {})
        publish.publish_price({"stock_code": "005930"})
        publish.publish_book({"stock_code": "005930"})
        publish.publish_stream_status(order.user_id, "live")
    assert caplog.text.count("could not publish") == 5
