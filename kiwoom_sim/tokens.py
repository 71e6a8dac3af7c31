"""Access tokens (au10001/au10002): issue, look up on the simulator clock, revoke, expire."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(eq=False)
class Token:
    value: str
    app_key: str
    expires_at: datetime


class TokenStore:
    """Live tokens by value, and the latest token of each app key."""

    def __init__(self) -> None:
        self._by_value: dict[str, Token] = {}
        self._latest: dict[str, Token] = {}
        # Tokens that Kiwoom now refuses with an auth code other than 8005 (`refuse_all`): value -> code.
        self._refused: dict[str, int] = {}

    def issue(self, app_key: str, now: datetime, ttl: int, reissue_mode: str) -> Token:
        """A token for `app_key`.

        reissue_mode "same": a still-valid token is handed back unchanged (as observed once on Kiwoom);
        "new": a fresh token replaces it and the old one stops working.
        """
        current = self._latest.get(app_key)
        if current is not None:
            live = current.expires_at > now and current.value in self._by_value
            if live and reissue_mode == "same":
                return current
            # Live, expired or revoked, the key's previous token is done: an expired one that nobody looks
            # up again would otherwise stay here for ever, one more per key and re-issue.
            self._by_value.pop(current.value, None)
        # 64 random bytes in URL-safe base64 are 86 characters, like Kiwoom's tokens.
        token = Token(secrets.token_urlsafe(64), app_key, now + timedelta(seconds=ttl))
        self._by_value[token.value] = token
        self._latest[app_key] = token
        return token

    def lookup(self, value: str, now: datetime) -> Token | None:
        """The live token with this value, or None when unknown, revoked or expired."""
        token = self._by_value.get(value)
        if token is None:
            return None
        if token.expires_at <= now:
            del self._by_value[value]
            return None
        return token

    def revoke(self, value: str, app_key: str) -> bool:
        """Kill a live token of `app_key`; False when there is no such token."""
        token = self._by_value.get(value)
        if token is None or token.app_key != app_key:
            return False
        del self._by_value[value]
        return True

    def refusal(self, value: str) -> int | None:
        """The auth code with which a token refused by `refuse_all` is answered; None for any other."""
        return self._refused.get(value)

    def refuse_all(self, code: int) -> int:
        """Kill every token, to be answered with `code` from now on (8010: the site's IP changed since they
        were issued); tokens issued afterwards work. The number refused."""
        self._refused.update(dict.fromkeys(self._by_value, code))
        return self.expire_all()

    def expire_all(self) -> int:
        """Kill every token; the number killed."""
        count = len(self._by_value)
        self._by_value.clear()
        self._latest.clear()
        return count

    def __len__(self) -> int:
        """Tokens held (live, or expired and not looked up since)."""
        return len(self._by_value)
