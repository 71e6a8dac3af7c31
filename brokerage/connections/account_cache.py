"""The generation of what is cached about a user's Kiwoom account (the balance, today's fills).

Whatever changes the account or which account it is (new keys, a disconnect, refused keys, an order, a fill)
starts a new generation; caches of account data are stored under the generation they were read in, and a
fetch that was under way meanwhile stores its figures under the old one, where no request looks any more.
"""

import secrets

from django.core.cache import cache

# Far longer than any fetch can take, so that a fetch that began before an invalidation never finds its old
# generation current again.
GENERATION_MEMORY_SECONDS = 3600


def account_generation_key(*, user_id: int) -> str:
    # The key of earlier releases (then the balance's own), so that a deploy invalidates nothing.
    return f"balance-generation:{user_id}"


def account_cache_invalidate(*, user_id: int) -> None:
    """Forget everything cached about the user's account: the next request reads it from Kiwoom anew.

    While Redis cannot be reached this is skipped (stocklab.cache): nothing cached there is read meanwhile,
    and what is cached there lives no longer than the balance's few seconds."""
    cache.set(
        account_generation_key(user_id=user_id), secrets.token_hex(8), timeout=GENERATION_MEMORY_SECONDS
    )
