"""Market tasks: the daily stock master sync (ka10099). Reading only: idempotent and safe to retry."""

from celery import shared_task

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.market.services import stock_master_sync

__all__ = ["market_stock_master_sync"]


@shared_task(
    ignore_result=True,
    autoretry_for=(KiwoomRateLimited, KiwoomUnavailable),
    retry_backoff=60,
    max_retries=5,
)
def market_stock_master_sync() -> int:
    """Beat (daily, MARKET_BEAT_SCHEDULE): every listed code into the stock master; how many are listed."""
    return stock_master_sync().listed
