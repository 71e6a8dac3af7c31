"""Accounts, holdings and the order book: order checks, matching, fills, fees and the cash they move; the
trading days the book rolls over, and each account's trades kept by day (realized P&L by moving average)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from .clock import KST, SimClock, is_trading_day, next_trading_day, previous_trading_day, trading_date
from .config import Settings
from .market import Market, Stock, Watch
from .protocol import order_rejection, rate, signed_price, unknown_stock
from .ticks import on_tick_grid

BUY = "buy"
SELL = "sell"
NO_ORDER = "0000000"  # Kiwoom's "no original order" (PROTOCOL.md 3.4)

# Regular KRX session as the mock server enforces it (PROTOCOL.md 6.3, 4.5).
SESSION_OPEN = time(9, 0)
SESSION_CLOSE = time(15, 30)


@dataclass(frozen=True)
class TradeType:
    """A `trde_tp` code (PROTOCOL.md 4.2): its label, how it is priced and how long it lives."""

    code: str
    label: str
    pricing: str  # "limit" (ord_uv), "market", "best" (at the current price), "open_close", "unsupported"
    tif: str = "day"  # "day", "ioc" or "fok"

    @property
    def needs_price(self) -> bool:
        return self.pricing == "limit"


TRADE_TYPES: dict[str, TradeType] = {
    t.code: t
    for t in (
        TradeType("0", "보통", "limit"),
        TradeType("3", "시장가", "market"),
        TradeType("5", "조건부지정가", "limit"),
        TradeType("6", "최유리지정가", "best"),
        TradeType("7", "최우선지정가", "best"),
        TradeType("10", "보통(IOC)", "limit", "ioc"),
        TradeType("13", "시장가(IOC)", "market", "ioc"),
        TradeType("16", "최유리(IOC)", "best", "ioc"),
        TradeType("20", "보통(FOK)", "limit", "fok"),
        TradeType("23", "시장가(FOK)", "market", "fok"),
        TradeType("26", "최유리(FOK)", "best", "fok"),
        # Stop-limit and the mid-price types are not accepted on mock (PROTOCOL.md 4.3, single report).
        TradeType("28", "스톱지정가", "unsupported"),
        TradeType("29", "중간가", "unsupported"),
        TradeType("30", "중간가(IOC)", "unsupported", "ioc"),
        TradeType("31", "중간가(FOK)", "unsupported", "fok"),
        TradeType("61", "장전시간외", "open_close"),
        TradeType("62", "시간외단일가", "limit"),
        TradeType("81", "장후시간외", "open_close"),
    )
}


class Fees:
    """Brokerage commission (floored to 10 won) and sell-side transaction tax (floored to 1 won)."""

    def __init__(self, fee_rate: Decimal, tax_rate: Decimal) -> None:
        self.fee_rate = fee_rate
        self.tax_rate = tax_rate

    def commission(self, amount: int) -> int:
        won = int((Decimal(amount) * self.fee_rate).to_integral_value(rounding=ROUND_FLOOR))
        return won // 10 * 10

    def tax(self, amount: int) -> int:
        return int((Decimal(amount) * self.tax_rate).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(eq=False)
class Holding:
    code: str
    qty: int = 0
    pur_amt: int = 0  # purchase amount without fees; pur_pric = floor(pur_amt / qty)
    fee_amt: int = 0  # buy commissions paid for the shares held, part of their cost when they are sold
    day: date | None = None
    tdy_buyq: int = 0
    tdy_sellq: int = 0
    pred_buyq: int = 0
    pred_sellq: int = 0
    realized: int = 0  # today's realised profit of sells, net of fees and tax
    realized_cost: int = 0  # cost (buy commissions included) of the shares sold today

    @property
    def avg_price(self) -> int:
        return self.pur_amt // self.qty if self.qty else 0

    def roll(self, today: date) -> None:
        """Start a new day's counters, moving the last trading day's into "previous day"."""
        if self.day != today:
            active = self.day is not None and self.day == previous_trading_day(today)
            self.pred_buyq, self.pred_sellq = (self.tdy_buyq, self.tdy_sellq) if active else (0, 0)
            self.tdy_buyq = self.tdy_sellq = self.realized = self.realized_cost = 0
            self.day = today


@dataclass(frozen=True)
class Trade:
    """One fill as the account's history keeps it, with what it realized (PROTOCOL.md M6).

    A sale's `cost` is the moving-average cost of the shares sold: their share of the purchase amounts and of
    the buy commissions paid for the shares held. `profit` = amount - cost - commission - tax; buys realize
    nothing (their commission enters the cost of the shares).
    """

    at: datetime
    ord_no: str
    code: str
    name: str
    side: str
    qty: int
    price: int
    fee: int  # commission charged at this fill
    tax: int = 0
    cost: int = 0  # sells: moving-average cost of the shares sold, buy commissions included
    pur_cost: int = 0  # sells: the same without the buy commissions (before costs)

    @property
    def amount(self) -> int:
        return self.price * self.qty

    @property
    def profit(self) -> int:
        return self.amount - self.cost - self.fee - self.tax if self.side == SELL else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.strftime("%Y%m%d%H%M%S"),
            "ord_no": self.ord_no,
            "stk_cd": self.code,
            "side": self.side,
            "qty": self.qty,
            "price": self.price,
            "amount": self.amount,
            "fee": self.fee,
            "tax": self.tax,
            "cost": self.cost,
            "pur_cost": self.pur_cost,
            "profit": self.profit,
        }


@dataclass(eq=False)
class Account:
    app_key: str
    secret: str
    acnt_no: str
    cash: int
    principal: int  # what the account started with (cash + holdings at cost), for kt00004's P/L
    holdings: dict[str, Holding] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)  # every day's, oldest first (numbers restart daily)
    open_orders: dict[str, Order] = field(default_factory=dict)
    trades: dict[date, list[Trade]] = field(default_factory=dict)  # fills by (Korea-time) date

    def trades_between(self, start: date, end: date) -> list[Trade]:
        """The fills from `start` to `end` (both included), oldest first."""
        return [t for day in sorted(self.trades) if start <= day <= end for t in self.trades[day]]

    def holding(self, code: str) -> Holding:
        found = self.holdings.get(code)
        if found is None:
            found = self.holdings[code] = Holding(code)
        return found


@dataclass(eq=False)
class Fill:
    cntr_no: int
    at: datetime
    price: int
    qty: int


@dataclass(eq=False)
class Order:
    ord_no: str
    account: Account
    code: str
    name: str
    side: str
    trade_type: TradeType
    qty: int
    price: int  # order price as entered (0 for price-less types)
    kind: str  # "new", "modify" or "cancel"
    orig_ord_no: str
    root_ord_no: str
    placed_at: datetime
    limit: int = 0  # the price at which it rests (limit price, or the market price for "best" types)
    open_qty: int = 0
    filled_qty: int = 0
    filled_amt: int = 0
    fee: int = 0
    tax: int = 0
    cancelled_qty: int = 0
    moved_qty: int = 0  # quantity handed on to a modify order
    fills: list[Fill] = field(default_factory=list)
    confirmed_at: datetime | None = None

    @property
    def seq(self) -> int:
        return int(self.ord_no)

    @property
    def status(self) -> str:
        """`ord_stt` as Kiwoom shows it: 접수 / 체결 / 확인 / 취소."""
        if self.kind == "cancel":
            return "확인"
        if self.filled_qty:
            return "체결"
        if self.open_qty:
            return "접수"
        if self.cancelled_qty:
            return "취소"
        return "확인"

    @property
    def avg_fill_price(self) -> int:
        return self.filled_amt // self.filled_qty if self.filled_qty else 0


# (account, real-time type "00"/"04", stock code, builder of the FID values) -> None. The builder is called at
# once, and only when someone listens, so frames show the state of the moment without costing idle accounts.
EventSink = Callable[[Account, str, str, Callable[[], dict[str, str]]], None]


def io_label(order: Order) -> str:
    """주문구분 as in ka10075/ka10076 and FID 905: +매수, -매도, +매수정정, 매도취소, ..."""
    if order.kind == "cancel":
        return "매수취소" if order.side == BUY else "매도취소"
    text = "+매수" if order.side == BUY else "-매도"
    return text + "정정" if order.kind == "modify" else text


def io_label_cash(order: Order) -> str:
    """주문구분 as in kt00007: 현금매수, 현금매도정정, 현금매수취소, ..."""
    text = "현금매수" if order.side == BUY else "현금매도"
    return text + {"new": "", "modify": "정정", "cancel": "취소"}[order.kind]


def _crosses(side: str, limit: int, price: int) -> bool:
    return limit >= price if side == BUY else limit <= price


class Engine:
    """All accounts and orders; every mutation happens on the event loop thread, so no locking."""

    def __init__(
        self,
        market: Market,
        clock: SimClock,
        settings: Settings,
        fees: Fees,
        emit: EventSink | None = None,
    ) -> None:
        self.market = market
        self.clock = clock
        self.settings = settings
        self.fees = fees
        self.emit: EventSink = emit or (lambda account, kind, code, build: None)
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}
        self.resting: dict[str, list[Order]] = {}
        self._watches: dict[str, Watch] | None = {}
        self._next_ord_no = 1
        self._next_cntr_no = 1
        self._next_acnt_seq = 0
        # The trading day the book is in: weekends and holidays belong to the last trading day before them.
        self.session_day = trading_date(clock.now().date())
        self._checked_date = clock.now().date()

    # -- accounts ------------------------------------------------------------------------------------

    def add_account(
        self, app_key: str, secret: str, cash: int, holdings: Iterable[tuple[str, int, int]] = ()
    ) -> Account:
        """Create (or replace) the account of an app key; holdings are (code, qty, average price)."""
        if cash < 0:
            raise ValueError("cash must not be negative")
        rows: list[Holding] = []
        for code, qty, avg_price in holdings:
            if self.market.get(code) is None:
                raise ValueError(f"unknown stock code {code!r} (not in the simulated universe)")
            if qty <= 0 or avg_price <= 0:
                raise ValueError("holding quantity and average price must be positive")
            rows.append(Holding(code, qty, qty * avg_price))
        existing = self.accounts.get(app_key)
        acnt_no = existing.acnt_no if existing else self._new_account_number()
        account = Account(
            app_key=app_key,
            secret=secret,
            acnt_no=acnt_no,
            cash=cash,
            principal=cash + sum(h.pur_amt for h in rows),
            holdings={h.code: h for h in rows},
        )
        if existing:
            self._drop_open_orders(existing)
        self.accounts[app_key] = account
        return account

    def _new_account_number(self) -> str:
        # Mock accounts start with 81 (observed); the last two digits classify the account (11 = 위탁).
        number = f"81{self._next_acnt_seq:06d}11"
        self._next_acnt_seq += 1
        return number

    def _drop_open_orders(self, account: Account) -> None:
        for order in list(account.open_orders.values()):
            order.cancelled_qty += order.open_qty
            order.open_qty = 0
            self._unrest(order)

    # -- quantities derived from the book ------------------------------------------------------------

    def reservation(self, order: Order) -> int:
        """Cash an open buy order ties up: its open quantity at its limit, plus commission."""
        if order.side != BUY or not order.open_qty:
            return 0
        amount = order.open_qty * order.limit
        return amount + self.fees.commission(amount)

    def orderable_cash(self, account: Account) -> int:
        return account.cash - sum(self.reservation(o) for o in account.open_orders.values())

    def open_sell_qty(self, account: Account, code: str) -> int:
        return sum(o.open_qty for o in account.open_orders.values() if o.side == SELL and o.code == code)

    def sellable(self, account: Account, code: str) -> int:
        holding = account.holdings.get(code)
        return max(0, (holding.qty if holding else 0) - self.open_sell_qty(account, code))

    # -- time ----------------------------------------------------------------------------------------

    def session_open(self, moment: datetime) -> bool:
        return is_trading_day(moment.date()) and SESSION_OPEN <= moment.time() < SESSION_CLOSE

    def _check_hours(self, now: datetime) -> None:
        if not self.settings.enforce_hours:
            return
        if is_trading_day(now.date()) and now.time() < SESSION_OPEN:
            raise order_rejection("RC4057", "모의투자 장시작전")
        if not self.session_open(now):
            raise order_rejection("RC4058", "모의투자 장종료")

    # -- market sync and matching --------------------------------------------------------------------

    def sync(self) -> None:
        """Advance prices to the clock, fill resting orders the walk crossed, end finished days' orders, and
        roll over to a new trading day when the clock reached one."""
        self.market.advance(self._current_watches(), self._on_step)
        now = self.clock.now()
        self._expire_day_orders(now)
        if now.date() != self._checked_date:
            self._checked_date = now.date()
            day = trading_date(now.date())
            if day > self.session_day:
                self._roll(day)

    # -- trading days --------------------------------------------------------------------------------

    def _roll(self, day: date) -> None:
        """Start trading day `day`: what is still open expires, order and fill numbers start again at 1. The
        fills stay in each account's `trades` by date. (The market closes its own day: at midnight, or at
        `Market.roll_day` from `next_day`.)"""
        now = self.clock.now()
        for account in self.accounts.values():
            for order in sorted(account.open_orders.values(), key=lambda o: o.seq):
                order.cancelled_qty += order.open_qty
                order.open_qty = 0
                self._unrest(order)
                self._emit_order(order, "취소", now)
        self.orders = {}
        self._next_ord_no = 1
        self._next_cntr_no = 1
        self.session_day = day

    def next_day(self, at: time = SESSION_OPEN) -> date:
        """Close the trading day now, move the clock to the next trading day at `at` (Korea time) and roll
        over to it.

        The market is closed in between: prices do not walk over the night, weekend or holiday, so the next
        day's base price is the close of the day before, and its open that close too.
        """
        self.sync()  # resting orders fill up to the close
        close_market = getattr(self.market, "roll_day", None)
        if callable(close_market):
            close_market()
        day = next_trading_day(self.session_day)
        self.clock.set(datetime.combine(day, at, tzinfo=KST))
        stocks = self.market.stocks.values()
        pinned = [(stock, stock.pinned) for stock in stocks]
        for stock in stocks:
            stock.pinned = True  # a pinned stock catches up without walking
        try:
            self.market.advance()
        finally:
            for stock, flag in pinned:
                stock.pinned = flag
        self.sync()
        return self.session_day

    def day_end(self, order: Order) -> datetime:
        """When a resting (day) order ends: the close of its trading day, or the next midnight (KST) when the
        session is not enforced and trading goes on all day."""
        placed = order.placed_at
        if self.settings.enforce_hours and placed.time() < SESSION_CLOSE:
            return datetime.combine(placed.date(), SESSION_CLOSE, tzinfo=placed.tzinfo)
        return datetime.combine(placed.date() + timedelta(days=1), time(0, 0), tzinfo=placed.tzinfo)

    def _expire_day_orders(self, now: datetime) -> None:
        # A day order's remainder is cancelled when its day ends, as at KRX: it never trades on a later day.
        for book in list(self.resting.values()):
            for order in list(book):
                end = self.day_end(order)
                if end <= now:
                    order.cancelled_qty += order.open_qty
                    order.open_qty = 0
                    self._unrest(order)
                    self._emit_order(order, "취소", end)

    def _current_watches(self) -> dict[str, Watch]:
        if self._watches is None:
            watches: dict[str, Watch] = {}
            for code, book in self.resting.items():
                buys = [o.limit for o in book if o.side == BUY]
                sells = [o.limit for o in book if o.side == SELL]
                if buys or sells:
                    watches[code] = (max(buys) if buys else None, min(sells) if sells else None)
            self._watches = watches
        return self._watches

    def _on_step(self, stock: Stock, step: int) -> None:
        self.match(stock, self.market.step_time(step))

    def match(self, stock: Stock, moment: datetime | None = None) -> int:
        """Fill resting orders of `stock` that its current price crosses, in time priority.

        Resting orders fill at their own limit (they were in the book first); the stock's liquidity, when
        limited, caps the shares filled at this price, which is how partial fills come about.
        """
        book = self.resting.get(stock.code)
        if not book:
            return 0
        moment = moment or self.clock.now()
        if self.settings.enforce_hours and not self.session_open(moment):
            return 0  # no continuous trading outside the session
        filled = 0
        for order in list(book):
            if stock.liquidity == 0:
                break
            if not _crosses(order.side, order.limit, stock.price) or self.day_end(order) <= moment:
                continue
            qty = order.open_qty if stock.liquidity is None else min(order.open_qty, stock.liquidity)
            self._fill(order, stock, order.limit, qty, moment, consume=True)
            filled += qty
        return filled

    def invalidate_watches(self) -> None:
        self._watches = None

    def _rest(self, order: Order) -> None:
        self.resting.setdefault(order.code, []).append(order)
        order.account.open_orders[order.ord_no] = order
        self._watches = None

    def _unrest(self, order: Order) -> None:
        book = self.resting.get(order.code)
        if book and order in book:
            book.remove(order)
        order.account.open_orders.pop(order.ord_no, None)
        self._watches = None

    def _fill(
        self, order: Order, stock: Stock, price: int, qty: int, moment: datetime, consume: bool
    ) -> None:
        if qty <= 0:
            return
        account = order.account
        amount = price * qty
        order.open_qty -= qty
        order.filled_qty += qty
        order.filled_amt += amount
        # Fees are computed on the order's cumulative amount, so partial fills add up to the same total.
        fee = self.fees.commission(order.filled_amt)
        fee_delta, order.fee = fee - order.fee, fee
        tax_delta = 0
        if order.side == SELL:
            tax = self.fees.tax(order.filled_amt)
            tax_delta, order.tax = tax - order.tax, tax
        fill = Fill(self._next_cntr_no, moment, price, qty)
        self._next_cntr_no += 1
        order.fills.append(fill)
        holding = account.holding(order.code)
        holding.roll(moment.date())
        if order.side == BUY:
            account.cash -= amount + fee_delta
            holding.qty += qty
            holding.pur_amt += amount
            holding.fee_amt += fee_delta
            holding.tdy_buyq += qty
            trade = Trade(moment, order.ord_no, order.code, order.name, BUY, qty, price, fee_delta)
        else:
            account.cash += amount - fee_delta - tax_delta
            # Moving average: the shares sold take their share of the purchase amount and buy commissions.
            pur_cost = holding.pur_amt * qty // holding.qty if holding.qty else 0
            fee_cost = holding.fee_amt * qty // holding.qty if holding.qty else 0
            holding.pur_amt -= pur_cost
            holding.fee_amt -= fee_cost
            holding.qty -= qty
            holding.tdy_sellq += qty
            trade = Trade(
                moment,
                order.ord_no,
                order.code,
                order.name,
                SELL,
                qty,
                price,
                fee_delta,
                tax_delta,
                cost=pur_cost + fee_cost,
                pur_cost=pur_cost,
            )
            holding.realized += trade.profit
            holding.realized_cost += trade.cost
        account.trades.setdefault(moment.date(), []).append(trade)
        if consume and stock.liquidity is not None:
            stock.liquidity = max(0, stock.liquidity - qty)
        if order.open_qty == 0:
            self._unrest(order)
        self._emit_order(order, "체결", moment, fill)
        self.emit(account, "04", order.code, lambda: self.balance_event(account, holding, order.side))

    # -- orders --------------------------------------------------------------------------------------

    def _stock(self, code: str) -> Stock:
        stock = self.market.get(code)
        if stock is None:
            raise unknown_stock(code)
        return stock

    def _check_price(self, stock: Stock, price: int) -> None:
        if not on_tick_grid(price):
            raise order_rejection("RC4003", "모의투자 호가단위 오류입니다.")
        if not stock.lower <= price <= stock.upper:
            raise order_rejection("RC4027", "모의투자 상 / 하한가 오류입니다.")

    def _new_ord_no(self) -> str:
        number = f"{self._next_ord_no:07d}"
        self._next_ord_no += 1
        return number

    def place(
        self, account: Account, side: str, code: str, trade_type: TradeType, qty: int, price: int
    ) -> Order:
        """Check and enter a buy or sell order; fill what is marketable now and rest the remainder."""
        self.sync()
        stock = self._stock(code)
        if trade_type.pricing == "unsupported":
            raise order_rejection("RC9000", "모의투자에서는 해당업무가 제공되지 않습니다.")
        now = self.clock.now()
        self._check_hours(now)
        if trade_type.needs_price:
            if price <= 0:
                raise order_rejection("308003", "주문단가를 입력하십시요")
            self._check_price(stock, price)
            limit = price
        else:
            price = 0  # price-less types ignore any ord_uv sent ("0" is seen from some clients)
            limit = stock.price
        if side == BUY:
            # Market buys are margined at the upper limit, as Kiwoom does for 시장가 매수.
            basis = stock.upper if trade_type.pricing in ("market", "open_close") else limit
            amount = qty * basis
            if amount + self.fees.commission(amount) > self.orderable_cash(account):
                raise order_rejection("RC4025", "모의투자 매수증거금이 부족합니다.")
        elif qty > self.sellable(account, code):
            raise order_rejection("800033", "모의투자 매도가능수량이 부족합니다.")
        order = Order(
            ord_no=self._new_ord_no(),
            account=account,
            code=code,
            name=stock.name,
            side=side,
            trade_type=trade_type,
            qty=qty,
            price=price,
            kind="new",
            orig_ord_no=NO_ORDER,
            root_ord_no="",
            placed_at=now,
            limit=limit,
            open_qty=qty,
        )
        order.root_ord_no = order.ord_no
        self._register(order)
        self._execute_on_entry(order, stock, now)
        return order

    def _register(self, order: Order) -> None:
        self.orders[order.ord_no] = order
        order.account.orders.append(order)
        self._emit_order(order, "접수", order.placed_at)

    def _emit_order(self, order: Order, state: str, moment: datetime, fill: Fill | None = None) -> None:
        self.emit(order.account, "00", order.code, lambda: self.order_event(order, state, moment, fill))

    def _execute_on_entry(self, order: Order, stock: Stock, now: datetime) -> None:
        tif = order.trade_type.tif
        pricing = order.trade_type.pricing
        if pricing in ("market", "open_close") and tif == "day":
            # Plain market orders fill completely at once; 장전시간외 trades at the previous close.
            fill_price = stock.base_price if order.trade_type.code == "61" else stock.price
            self._fill(order, stock, fill_price, order.qty, now, consume=False)
            return
        marketable = pricing == "market" or _crosses(order.side, order.limit, stock.price)
        available = order.open_qty if stock.liquidity is None else min(order.open_qty, stock.liquidity)
        if not marketable:
            available = 0
        if tif == "fok" and available < order.open_qty:
            available = 0
        if available:
            # An order that crosses on entry trades at the market price (price improvement for limits).
            self._fill(order, stock, stock.price, available, now, consume=True)
        if not order.open_qty:
            return
        if tif == "day":
            self._rest(order)
        else:
            order.cancelled_qty += order.open_qty
            order.open_qty = 0
            self._emit_order(order, "취소", now)

    def _live_original(self, account: Account, orig_ord_no: str, code: str) -> Order:
        orig = self.orders.get(orig_ord_no)
        if orig is None or orig.account is not account or orig.code != code or orig.kind == "cancel":
            raise order_rejection("RC4031", "모의투자 원주문번호가 존재하지 않습니다.")
        if not orig.open_qty:
            raise order_rejection("RC4032", "모의투자 정정/취소가능수량이 부족합니다.")
        return orig

    def _resolve_qty(self, orig: Order, qty: int) -> int:
        """Quantity "0" means the whole open remainder (PROTOCOL.md 4.4)."""
        if qty == 0:
            return orig.open_qty
        if qty > orig.open_qty:
            raise order_rejection("RC4032", "모의투자 정정/취소가능수량이 부족합니다.")
        return qty

    def modify(self, account: Account, orig_ord_no: str, code: str, qty: int, price: int) -> Order:
        """Move (part of) an open order to a new price under a new order number."""
        stock, now, orig, qty = self._follow_up_checks(account, orig_ord_no, code, qty)
        if price <= 0:
            raise order_rejection("308003", "주문단가를 입력하십시요")
        self._check_price(stock, price)
        if orig.side == BUY:
            new_amount = qty * price
            old_amount = qty * orig.limit
            extra = (new_amount + self.fees.commission(new_amount)) - (
                old_amount + self.fees.commission(old_amount)
            )
            if extra > 0 and extra > self.orderable_cash(account):
                raise order_rejection("RC4025", "모의투자 매수증거금이 부족합니다.")
        order = self._follow_up(orig, "modify", qty, price, now)
        self._execute_on_entry(order, stock, now)
        return order

    def cancel(self, account: Account, orig_ord_no: str, code: str, qty: int) -> Order:
        """Cancel (part of) an open order; the cancel itself gets a new order number."""
        _, now, orig, qty = self._follow_up_checks(account, orig_ord_no, code, qty)
        return self._follow_up(orig, "cancel", qty, 0, now)

    def _follow_up_checks(
        self, account: Account, orig_ord_no: str, code: str, qty: int
    ) -> tuple[Stock, datetime, Order, int]:
        """What a modify and a cancel check alike: the stock, the session, a live original, the quantity."""
        self.sync()
        stock = self._stock(code)
        now = self.clock.now()
        self._check_hours(now)
        orig = self._live_original(account, orig_ord_no, code)
        return stock, now, orig, self._resolve_qty(orig, qty)

    def _follow_up(self, orig: Order, kind: str, qty: int, price: int, now: datetime) -> Order:
        """Take `qty` off the open original and enter the modify or cancel order that carries it."""
        orig.open_qty -= qty
        if kind == "modify":
            orig.moved_qty += qty
        else:
            orig.cancelled_qty += qty
        if not orig.open_qty:
            self._unrest(orig)
        order = Order(
            ord_no=self._new_ord_no(),
            account=orig.account,
            code=orig.code,
            name=orig.name,
            side=orig.side,
            trade_type=orig.trade_type,
            qty=qty,
            price=price,
            kind=kind,
            orig_ord_no=orig.ord_no,
            root_ord_no=orig.root_ord_no,
            placed_at=now,
            limit=price,
            open_qty=qty if kind == "modify" else 0,
            confirmed_at=now,
        )
        self._register(order)
        self._emit_order(order, "확인", now)
        return order

    # -- real-time payloads (PROTOCOL.md 5.4, 5.5) ---------------------------------------------------

    def order_event(
        self, order: Order, state: str, moment: datetime, fill: Fill | None = None
    ) -> dict[str, str]:
        """FID values of a `00` 주문체결 frame."""
        stock = self._stock(order.code)
        base = stock.base_price
        return {
            "9201": order.account.acnt_no,
            "9203": order.ord_no,
            "9205": "",
            "9001": order.code,
            "912": "JJ",
            "913": state,
            "302": order.name,
            "900": str(order.qty),
            "901": str(order.price),
            "902": str(order.open_qty),
            "903": str(order.filled_amt),
            "904": order.orig_ord_no,
            "905": io_label(order),
            "906": order.trade_type.label,
            "907": "2" if order.side == BUY else "1",
            "908": moment.strftime("%H%M%S"),
            "909": str(fill.cntr_no) if fill else "",
            "910": str(fill.price) if fill else "",
            "911": str(order.filled_qty) if fill else "",  # 체결량: cumulative; 915 is this fill's
            "10": signed_price(stock.price, base),
            "27": signed_price(stock.ask, base),
            "28": signed_price(stock.bid, base),
            "914": str(fill.price) if fill else "",
            "915": str(fill.qty) if fill else "",
            "938": str(order.fee),
            "939": str(order.tax),
            "919": "0",
            "920": "",
            "921": "",
            "922": "00",
            "923": "00000000",
            "10010": "",
            "2134": "1",
            "2135": "KRX",
            "2136": "N",
        }

    def balance_event(self, account: Account, holding: Holding, side: str) -> dict[str, str]:
        """FID values of a `04` 잔고 frame after a fill."""
        stock = self._stock(holding.code)
        base = stock.base_price
        realized_rate = rate(holding.realized, holding.realized_cost)
        return {
            "9201": account.acnt_no,
            "9001": holding.code,
            "917": "00",
            "916": "00000000",
            "302": stock.name,
            "10": signed_price(stock.price, base),
            "930": str(holding.qty),
            "931": str(holding.avg_price),
            "932": str(holding.pur_amt),
            "933": str(self.sellable(account, holding.code)),
            "945": str(holding.tdy_buyq - holding.tdy_sellq),
            "946": "2" if side == BUY else "1",
            "950": str(holding.realized),
            "951": "0",
            "27": signed_price(stock.ask, base),
            "28": signed_price(stock.bid, base),
            "307": str(base),
            "8019": realized_rate,
            "957": "0",
            "958": "0",
            "918": "00000000",
            "990": str(holding.realized),
            "991": realized_rate,
            "992": "0",
            "993": "0.00",
            "959": "0",
            "924": "0",
        }

    # -- control views -------------------------------------------------------------------------------

    def order_summary(self, order: Order) -> dict[str, Any]:
        """Plain JSON (integers) of an order for `/_sim/orders`."""
        return {
            "ord_no": order.ord_no,
            "kind": order.kind,
            "side": order.side,
            "stk_cd": order.code,
            "trde_tp": order.trade_type.code,
            "qty": order.qty,
            "price": order.price,
            "limit": order.limit,
            "open_qty": order.open_qty,
            "filled_qty": order.filled_qty,
            "filled_amt": order.filled_amt,
            "cancelled_qty": order.cancelled_qty,
            "moved_qty": order.moved_qty,
            "fee": order.fee,
            "tax": order.tax,
            "status": order.status,
            "orig_ord_no": order.orig_ord_no,
            "root_ord_no": order.root_ord_no,
            "placed_at": order.placed_at.strftime("%Y%m%d%H%M%S"),
            "fills": [{"cntr_no": f.cntr_no, "price": f.price, "qty": f.qty} for f in order.fills],
        }
