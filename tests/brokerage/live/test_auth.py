"""Who may open /ws/v1/live: a page with its session, a script with a JWT access token, nobody else."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from brokerage.live.auth import CLOSE_UNAUTHENTICATED
from tests.brokerage.live.clients import communicator, open_live, refused, session_cookie
from tests.factories import UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def user(transactional_db):
    return UserFactory()


async def test_a_page_connects_with_its_session(user):
    cookie = await database_sync_to_async(session_cookie)(user)
    client = await open_live(cookie=cookie)
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from() == {"type": "pong"}
    await client.disconnect()


async def test_a_script_connects_with_an_access_token_and_no_origin(user):
    token = str(AccessToken.for_user(user))
    client = await open_live(token=token, origin=None)
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from() == {"type": "pong"}
    await client.disconnect()


async def test_an_expired_access_token_is_refused_with_the_close_code():
    user = await database_sync_to_async(UserFactory)()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=-1))
    error, code = await refused(token=str(token), origin=None)
    assert code == CLOSE_UNAUTHENTICATED == 4401
    assert error["type"] == "error"
    assert error["code"] == "token_expired"
    assert "refresh" in error["detail"]


async def test_a_refresh_token_is_refused(user):
    refresh = await database_sync_to_async(RefreshToken.for_user)(user)  # recorded as outstanding: a query
    error, code = await refused(token=str(refresh), origin=None)
    assert (error["code"], code) == ("token_invalid", CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
async def test_a_malformed_token_is_refused(transactional_db, token):
    error, code = await refused(token=token, origin=None)
    assert (error["code"], code) == ("token_invalid", CLOSE_UNAUTHENTICATED)


async def test_a_token_signed_with_another_key_is_refused(user, settings):
    token = AccessToken.for_user(user)
    forged = token.token_backend.__class__(
        token.token_backend.algorithm, signing_key="another-key-entirely-0123456789abcdef"
    ).encode(token.payload)
    error, code = await refused(token=forged, origin=None)
    assert (error["code"], code) == ("token_invalid", CLOSE_UNAUTHENTICATED)


async def test_a_token_from_before_a_password_change_is_refused(user):
    token = str(AccessToken.for_user(user))

    def change_password():
        user.set_password("a-new-passphrase-for-a-new-day-7")
        user.save()

    await database_sync_to_async(change_password)()
    error, code = await refused(token=token, origin=None)
    assert (error["code"], code) == ("token_invalid", CLOSE_UNAUTHENTICATED)


async def test_an_inactive_users_token_is_refused(user):
    token = str(AccessToken.for_user(user))
    user.is_active = False
    await database_sync_to_async(user.save)()
    error, _code = await refused(token=token, origin=None)
    assert error["code"] == "token_invalid"


async def test_a_bad_token_is_refused_even_beside_a_valid_session(user):
    cookie = await database_sync_to_async(session_cookie)(user)
    error, code = await refused(token="not-a-jwt", cookie=cookie)
    assert (error["code"], code) == ("token_invalid", CLOSE_UNAUTHENTICATED)


async def test_no_session_and_no_token_is_refused(transactional_db):
    error, code = await refused()
    assert (error["code"], code) == ("not_authenticated", CLOSE_UNAUTHENTICATED)


async def test_a_session_cookie_without_an_origin_is_not_enough(user):
    """Only browsers send cookies on behalf of a user, and browsers always send an Origin."""
    cookie = await database_sync_to_async(session_cookie)(user)
    error, code = await refused(cookie=cookie, origin=None)
    assert (error["code"], code) == ("not_authenticated", CLOSE_UNAUTHENTICATED)


async def test_another_sites_page_cannot_borrow_the_session(user):
    cookie = await database_sync_to_async(session_cookie)(user)
    client = communicator(cookie=cookie, origin="https://evil.example")
    connected, _ = await client.connect()
    assert not connected  # the handshake itself is denied
