"""The /ws/v1/live protocol in the OpenAPI description (OpenAPI has no words for a WebSocket)."""

LIVE_PROTOCOL = """

## Live updates: WebSocket `/ws/v1/live`

One socket per page or script brings the user's own orders, balance, prices and the state of their Kiwoom
stream as they happen (`ws://` over http, `wss://` over https).

**Authentication.** Pages: the session cookie (same-origin pages only). Scripts: a JWT **access** token in
the query string, `/ws/v1/live?token=<access>` (browsers cannot set headers on a WebSocket). A bad or
expired token, a refresh token, or no credentials at all: the server sends
`{"type": "error", "code": "token_expired" | "token_invalid" | "not_authenticated", "detail": ...}` and
closes with code **4401**; refresh the token and reconnect. A page of another site is refused at the
handshake.

**Server to client** (JSON objects, by `type`):

- `status` `{state: "live" | "reconnecting" | "down" | "idle", reason}`: the Kiwoom stream behind the user's
  keys (`idle`: no keys connected, not an outage); always the first message.
- `order` `{id, ord_no, status, filled_quantity, average_price, stock_code, side, quantity, price,
  updated_at, ...}`: a ledger entry changed (accepted, filled, partly filled, modified, cancelled,
  rejected); the other fields are those of `GET /api/v1/kiwoom/orders/{id}`.
- `balance` `{...}`: holdings or totals changed (Kiwoom's `04`); read `GET /api/v1/kiwoom/account/balance`
  for the full picture.
- `price` `{stock_code, price, change, change_rate, volume, time}` and `book` `{stock_code, asks:
  [[price, quantity], ...], bids, time}`: ticks of the codes this socket subscribed to.
- `subscribed` `{codes}`: the socket's codes after a subscribe or unsubscribe.
- `pong`; `error` `{code, detail}`: `invalid_json`, `unknown_type`, `invalid_codes`, `too_many_codes`
  (with `codes`, those not followed; the socket stays open); `token_expired` (the token's `exp` passed) and
  `session_ended` (logout, new password) are followed by close 4401.

**Client to server:** `{"type": "subscribe", "codes": ["005930", ...]}`, `{"type": "unsubscribe",
"codes": [...]}` (six letters or digits each; at most `LIVE_SUBSCRIBE_LIMIT` per socket, never fewer than
a watchlist's 100; the first codes that fit are followed), `{"type": "ping"}`.
"""


def live_protocol_description(result, generator, request, public):
    """drf-spectacular post-processing: the live protocol after the API's own description."""
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + LIVE_PROTOCOL
    return result
