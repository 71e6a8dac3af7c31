"""What a call to Kiwoom needs of a user's credential (its id, status and token), kept in each process.

Reading the credential's row costs a query and a decryption per request. Each process keeps the rows it read
(the token decrypted, the key pair left deferred) under the credential's version: a random value in Redis that
every write of the row replaces (`credential_changed`, called by the model and its queryset on every save,
update and delete: new keys, a disconnect, a token issued or refused, a status change). A request reads the
version in the same round trip as its rate-limit slots (`ratelimit.reserve(version_of=...)`) and uses what
its process keeps only under that very version; otherwise it reads the row again. A version that Redis lost
is made anew with a new value, so nothing kept before is used.

Without Redis no version can be read, so nothing kept is used: the call is refused (`service_degraded`) before
it would be. A process that meets an outage forgets everything it keeps (`credentials_forget`), and a write
whose bump failed is bumped again before the process reads a version (`coordination.versions_catch_up`).

The token's lifecycle does not change: a kept token that is not usable any more is renewed under the lock
from the row as stored (`tokens.token_get_valid`), and the renewal's write gives the row a new version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model

from brokerage.connections.coordination import version_bump

# Rows kept per process; the least recently used goes first (a row is about 1 kB).
MAX_KEPT = 10_000


def version_name(*, user_id: int, mode: str) -> str:
    """The name of the version of the user's credential for `mode` (`coordination.version_read`)."""
    return f"credential:{user_id}:{mode}"


def credential_changed(*, user_id: int, mode: str) -> None:
    """Every process reads the user's credential for `mode` anew; call after each write of the row.

    Inside a transaction the version changes again when it commits: a request that read the row in between
    read it as it was before the write, and may have kept it under the first new version.
    """
    name = version_name(user_id=user_id, mode=mode)
    _bump(name)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(name))


def _bump(name: str) -> None:
    if not version_bump(name):
        # Other processes learn of this write only once Redis answers again: this one forgets at once.
        credentials_forget()


@dataclass(frozen=True)
class KeptCredential:
    """A credential's row as read under `version`; `credential()` makes a copy of its own for each request."""

    version: str
    credential_id: int
    # KiwoomCredential, taken from the row: the model imports this module to announce its writes.
    _model: type[Model]
    _db: str
    _names: tuple[str, ...]
    _values: tuple[Any, ...]

    def credential(self) -> Model:
        return self._model.from_db(self._db, self._names, self._values)


_kept: OrderedDict[tuple[int, str], KeptCredential] = OrderedDict()
_guard = threading.Lock()


def credential_kept(*, user_id: int, mode: str) -> KeptCredential | None:
    """What this process keeps of the user's credential for `mode`, current or not (compare its version)."""
    with _guard:
        kept = _kept.get((user_id, mode))
        if kept is not None:
            _kept.move_to_end((user_id, mode))
        return kept


def credential_keep(credential: Model, *, version: str) -> None:
    """Keep `credential` as read from the database under `version` (read before the row was)."""
    loaded = credential.__dict__
    names = tuple(f.attname for f in credential._meta.concrete_fields if f.attname in loaded)
    kept = KeptCredential(
        version=version,
        credential_id=credential.pk,
        _model=type(credential),
        _db=credential._state.db,
        _names=names,
        _values=tuple(loaded[name] for name in names),
    )
    with _guard:
        _kept[(credential.user_id, credential.mode)] = kept
        _kept.move_to_end((credential.user_id, credential.mode))
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)


def credentials_forget() -> None:
    """Forget every credential this process keeps (Redis unreachable: a write may have gone unannounced)."""
    with _guard:
        _kept.clear()
