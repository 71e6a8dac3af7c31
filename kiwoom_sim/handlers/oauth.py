"""au10001 token issue and au10002 revoke (PROTOCOL.md 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..clock import format_stamp
from ..protocol import MSG_OK, KiwoomError, auth_error, bad_format
from ..state import SimState
from .common import Call, TrResult, TrSpec


def _string(call: Call, name: str) -> str:
    value = call.body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_format(name, f"문자열이 아닙니다({type(value).__name__})")
    return (value or "").strip()


def _key_pair(call: Call) -> tuple[str, str]:
    app_key, secret = _string(call, "appkey"), _string(call, "secretkey")
    if not app_key or not secret:
        raise KiwoomError(3, "인증 실패[8020:입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.]")
    return app_key, secret


@contextmanager
def _counted(state: SimState, app_key: str, api_id: str) -> Iterator[None]:
    """Count the call for `app_key` in the stats, refused or not, once the key has an account.

    Keys without one are not counted: any string a client sends would otherwise stay in the stats for ever.
    """
    try:
        yield
    finally:
        if app_key in state.engine.accounts:
            state.stats.count_app_key(app_key, api_id)


def issue_token(state: SimState, call: Call) -> TrResult:
    grant_type = _string(call, "grant_type")
    if not grant_type:
        raise auth_error(
            8011, "Access Token을 발급하는데 실패했습니다. 입력값에 grant_type이 들어오지 않았습니다"
        )
    if grant_type != "client_credentials":
        raise auth_error(8012, "Access Token을 발급하는데 실패했습니다. grant_type의 값이 맞지 않습니다")
    app_key, secret = _key_pair(call)
    with _counted(state, app_key, call.api_id):
        state.authenticate(app_key, secret)
    settings = state.settings
    token = state.tokens.issue(app_key, state.clock.now(), settings.token_ttl, settings.reissue_mode)
    return TrResult(
        {
            "expires_dt": format_stamp(token.expires_at),
            "token_type": "Bearer",
            "token": token.value,
            "return_code": 0,
            "return_msg": MSG_OK,
        }
    )


def revoke_token(state: SimState, call: Call) -> TrResult:
    app_key, secret = _key_pair(call)
    token = _string(call, "token")
    with _counted(state, app_key, call.api_id):
        state.authenticate(app_key, secret, provision=False)
    if not token:
        raise auth_error(8016, "Access Token을 폐기하는데 실패했습니다. 입력값에 Token이 들어오지 않았습니다")
    if not state.tokens.revoke(token, app_key):
        raise auth_error(8015, "Access Token을 폐기하는데 실패했습니다")
    return TrResult({"return_code": 0, "return_msg": MSG_OK})


TRS = (
    TrSpec("au10001", "/oauth2/token", issue_token, needs_token=False),
    TrSpec("au10002", "/oauth2/revoke", revoke_token, needs_token=False),
)
