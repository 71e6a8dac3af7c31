"""Pre-trade guardrails: the rules an order must pass before anything is sent to Kiwoom.

Each refusal is its own error (in `brokerage.orders.errors`), named after its rule (`order_price_off_tick`,
`market_closed` ...), with the numbers a person needs to fix the order. The checks are pure: the caller
supplies the user's limits and, for the checks against the market, the stock's quote (ka10001).
`check_order` needs no quote, so an order that breaks a plain rule is refused without a single call to Kiwoom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from brokerage import kiwoom
from brokerage.connections.errors import RealTradingDisabled
from brokerage.connections.models import Mode
from brokerage.kiwoom.parsing import KST
from brokerage.orders.errors import (
    MarketClosed,
    OrderConfirmationRequired,
    OrderExchangeNotSupported,
    OrderPriceOffTick,
    OrderPriceOutOfBand,
    OrderQuantityOverLimit,
    OrderTypeNotSupported,
    OrderValueOverLimit,
    RealTradingNotEnabled,
)
from brokerage.orders.models import Exchange, TradingProfile

# KRX daily price limit: ± this share of the base price (PROTOCOL.md 6.3).
PRICE_BAND_PERCENT = 30


@dataclass(frozen=True)
class Session:
    """When Kiwoom takes orders of some trade types: KST, weekdays, windows with the start inclusive, the end
    exclusive."""

    name: str
    windows: tuple[tuple[time, time], ...]

    def is_open(self, moment: time) -> bool:
        return any(opens <= moment < closes for opens, closes in self.windows)

    def hours(self) -> list[list[str]]:
        return [[opens.strftime("%H:%M"), closes.strftime("%H:%M")] for opens, closes in self.windows]


# PROTOCOL.md 6.3. KRX takes the regular types from its opening auction (08:30) to its closing auction's end.
# Nextrade pauses while KRX's auctions run; routed orders (SOR) go to whichever market is open.
_REGULAR_SESSIONS = {
    Exchange.KRX.value: Session(_("the regular session with its auctions"), ((time(8, 30), time(15, 30)),)),
    Exchange.NXT.value: Session(
        _("Nextrade's pre-market, main and after-market sessions"),
        ((time(8, 0), time(8, 50)), (time(9, 0), time(15, 20)), (time(15, 30), time(20, 0))),
    ),
    Exchange.SOR.value: Session(_("the sessions of KRX and Nextrade"), ((time(8, 0), time(20, 0)),)),
}
# The after-hours types trade in KRX's own windows.
_AFTER_HOURS_SESSIONS = {
    kiwoom.TradeType.PRE_MARKET.value: Session(_("the pre-market session"), ((time(8, 30), time(8, 40)),)),
    kiwoom.TradeType.AFTER_HOURS_CLOSE.value: Session(
        _("the after-hours session"), ((time(15, 40), time(16, 0)),)
    ),
    kiwoom.TradeType.AFTER_HOURS_SINGLE_PRICE.value: Session(
        _("the after-hours single-price session"), ((time(16, 0), time(18, 0)),)
    ),
}


# --- What is checked ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderProposal:
    """An order (or the new terms of a modification) as the guardrails see it."""

    mode: str
    exchange: str
    side: str
    stock_code: str
    quantity: int
    trade_type: str
    price: int | None


@dataclass(frozen=True)
class OrderLimits:
    """Per-order limits of one user: their trading profile where an operator set one, else the site's."""

    max_quantity: int
    max_value: int

    @classmethod
    def for_profile(cls, profile: TradingProfile | None) -> OrderLimits:
        quantity = profile.max_order_quantity if profile else None
        value = profile.max_order_value if profile else None
        return cls(
            max_quantity=settings.ORDER_MAX_QUANTITY if quantity is None else quantity,
            max_value=settings.ORDER_MAX_VALUE if value is None else value,
        )


# --- Checks -------------------------------------------------------------------------------------------------


def check_real_trading_allowed(*, mode: str) -> None:
    """Real money needs the site's switch first of all (checked before anything else is looked up)."""
    if mode == Mode.REAL and not settings.KIWOOM_ALLOW_REAL:
        raise RealTradingDisabled()


def check_real_trading(*, mode: str, profile: TradingProfile | None, confirm: bool) -> None:
    """Real money needs the site's switch, operator approval for the user, and the user's confirmation."""
    if mode != Mode.REAL:
        return
    check_real_trading_allowed(mode=mode)
    if profile is None or not profile.real_trading_enabled:
        raise RealTradingNotEnabled()
    if not confirm:
        raise OrderConfirmationRequired()


def check_order(proposal: OrderProposal, *, limits: OrderLimits, now: datetime | None = None) -> None:
    """The rules that need no market data: exchange, quantity, trading hours, the price grid (and the value of
    a priced order)."""
    check_exchange(proposal)
    check_trade_type(proposal)
    check_quantity(proposal, limits=limits)
    check_trading_hours(trade_type=proposal.trade_type, exchange=proposal.exchange, now=now)
    if proposal.price is not None:
        check_tick(proposal.price)
        check_value(proposal, limits=limits, unit_price=proposal.price)


def check_order_against_quote(
    proposal: OrderProposal, *, limits: OrderLimits, quote: kiwoom.StockInfo
) -> None:
    """The rules that need the stock's quote: today's price limits, and the value of a price-less order at
    the current price."""
    if proposal.price is not None:
        check_price_band(proposal.price, quote=quote)
    else:
        check_value(proposal, limits=limits, unit_price=quote.current_price)


def check_exchange(proposal: OrderProposal) -> None:
    if proposal.mode == Mode.MOCK and proposal.exchange != Exchange.KRX:
        raise OrderExchangeNotSupported(
            _("Mock trading takes orders for KRX only, not %(exchange)s.") % {"exchange": proposal.exchange},
            extra={"exchange": proposal.exchange, "supported_exchanges": [Exchange.KRX.value]},
        )


# Stop-limit (28) needs a stop price (cond_uv), which the API does not take: sent without one it would
# be a different order. Mock refuses it and the mid-price types (PROTOCOL.md 4.3) only after the call.
_UNSUPPORTED_TYPES = {kiwoom.TradeType.STOP_LIMIT}
_UNSUPPORTED_ON_MOCK = {
    kiwoom.TradeType.MID_PRICE,
    kiwoom.TradeType.MID_PRICE_IOC,
    kiwoom.TradeType.MID_PRICE_FOK,
}


def check_trade_type(proposal: OrderProposal) -> None:
    trade_type = kiwoom.TradeType(proposal.trade_type)
    if trade_type in _UNSUPPORTED_TYPES:
        raise OrderTypeNotSupported(
            _("%(type)s orders need a stop price, which StockLab does not take yet.")
            % {"type": trade_type.label},
            extra={"trade_type": trade_type.value},
        )
    if proposal.mode == Mode.MOCK and trade_type in _UNSUPPORTED_ON_MOCK:
        raise OrderTypeNotSupported(
            _("Mock trading does not take %(type)s orders.") % {"type": trade_type.label},
            extra={"trade_type": trade_type.value},
        )


def check_quantity(proposal: OrderProposal, *, limits: OrderLimits) -> None:
    if proposal.quantity > limits.max_quantity:
        raise OrderQuantityOverLimit(
            _("%(quantity)s shares is over your limit of %(limit)s shares per order.")
            % {"quantity": f"{proposal.quantity:,}", "limit": f"{limits.max_quantity:,}"},
            extra={"limit": limits.max_quantity},
        )


def check_value(proposal: OrderProposal, *, limits: OrderLimits, unit_price: int) -> None:
    value = proposal.quantity * unit_price
    if value > limits.max_value:
        raise OrderValueOverLimit(
            _(
                "The order is worth %(value)s KRW (%(quantity)s x %(price)s), over your limit of "
                "%(limit)s KRW per order."
            )
            % {
                "value": f"{value:,}",
                "quantity": f"{proposal.quantity:,}",
                "price": f"{unit_price:,}",
                "limit": f"{limits.max_value:,}",
            },
            extra={"limit": limits.max_value, "value": value},
        )


def check_tick(price: int) -> None:
    """Limit prices must sit on the KRX grid of stocks (PROTOCOL.md 6.2); Kiwoom refuses others with RC4003.

    ETFs, ETNs and ELWs move in 5-won steps instead, and ka10001 does not say what a code is: a price on
    their finer grid but off the stock grid is refused here too (a known limit).
    """
    tick = kiwoom.tick_size(price)
    if price % tick:
        below = price - price % tick
        raise OrderPriceOffTick(
            _(
                "%(price)s KRW is not on the KRX price grid: at this price, prices move in steps of %(tick)s "
                "KRW (for example %(below)s or %(above)s)."
            )
            % {
                "price": f"{price:,}",
                "tick": f"{tick:,}",
                "below": f"{below:,}",
                "above": f"{below + tick:,}",
            },
            extra={"tick_size": tick, "nearest_prices": [below, below + tick]},
        )


def price_band(quote: kiwoom.StockInfo) -> tuple[int, int]:
    """Today's lowest and highest allowed price: Kiwoom's own limits, or ±30% of the base price."""
    if quote.lower_limit and quote.upper_limit:
        return quote.lower_limit, quote.upper_limit
    lower = -(-quote.base_price * (100 - PRICE_BAND_PERCENT) // 100)
    return max(lower, 1), quote.base_price * (100 + PRICE_BAND_PERCENT) // 100


def check_price_band(price: int, *, quote: kiwoom.StockInfo) -> None:
    lower, upper = price_band(quote)
    if not lower <= price <= upper:
        raise OrderPriceOutOfBand(
            _(
                "%(price)s KRW is outside today's limits for %(code)s: %(lower)s to %(upper)s KRW "
                "(±%(percent)s%% of the base price %(base)s KRW)."
            )
            % {
                "price": f"{price:,}",
                "code": quote.stock_code,
                "lower": f"{lower:,}",
                "upper": f"{upper:,}",
                "percent": PRICE_BAND_PERCENT,
                "base": f"{quote.base_price:,}",
            },
            extra={"lower_limit": lower, "upper_limit": upper, "base_price": quote.base_price},
        )


def check_trading_hours(*, trade_type: str, exchange: str, now: datetime | None = None) -> None:
    """When ORDER_ENFORCE_TRADING_HOURS is on: weekdays, in the session of the trade type and exchange (Korea
    time).

    Exchange holidays are not known here; Kiwoom refuses those orders itself (RC4058).
    """
    if not settings.ORDER_ENFORCE_TRADING_HOURS:
        return
    moment = timezone.localtime(now or timezone.now(), KST)
    session = _AFTER_HOURS_SESSIONS.get(trade_type) or _REGULAR_SESSIONS[exchange]
    if moment.weekday() < 5 and session.is_open(moment.time()):
        return
    hours = session.hours()
    raise MarketClosed(
        _(
            "The market is closed: orders of this type are taken in %(session)s, %(hours)s Korea time on "
            "weekdays (it is now %(now)s, %(day)s)."
        )
        % {
            "session": session.name,
            "hours": ", ".join(_("%(opens)s-%(closes)s") % {"opens": o, "closes": c} for o, c in hours),
            "now": moment.strftime("%H:%M"),
            "day": dateformat.format(moment, "l"),
        },
        extra={"hours": hours},
    )
