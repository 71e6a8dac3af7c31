"""Chart TRs on /api/dostk/chart: ka10080 (minutes), ka10081/82/83 (days, weeks, months) and ka20006 (index
days), newest first, paged with Kiwoom's `A{code}{next row's time}00010000` keys (PROTOCOL.md M0.2, M4,
M7.1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from .. import candles
from ..bars import DayBar, MinuteBar
from ..market import Stock
from ..protocol import MSG_OK, Field, bad_format, direction_sign, service_error, unknown_stock, validate_body
from ..state import SimState
from ..ticks import price_limits
from ..universe import UNIVERSE
from .common import Call, TrResult, TrSpec

PATH = "/api/dostk/chart"
# Rows per page: measured on real for ka10080 (900) and ka10081 (600); the others are not documented.
MINUTE_PAGE_SIZE = 900
DAY_PAGE_SIZE = 600
MINUTE_SCOPES = ("1", "3", "5", "10", "15", "30", "45", "60")
_REAL_CODES = frozenset(listing.code for listing in UNIVERSE)
_KEY_TAIL = "00010000"


# --- Stocks -----------------------------------------------------------------------------------------------


def _stock_of(state: SimState, code: str) -> Stock:
    stock = state.market.get(code.split("_", 1)[0])
    if stock is None:
        raise unknown_stock(code)
    state.engine.sync()
    return stock


def _date(values: dict[str, str], name: str) -> date | None:
    text = values[name]
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise bad_format(name, "날짜 형식(YYYYMMDD)이 아닙니다") from None


def _split(state: SimState, stock: Stock) -> tuple[date, int] | None:
    if stock.code in _REAL_CODES:
        return None
    return candles.split_of(state.market.seed, stock.code, stock.anchor_date)


def _period_tr(period: str, list_field: str) -> Callable[[SimState, Call], TrResult]:
    def handler(state: SimState, call: Call) -> TrResult:
        values = validate_body(
            call.body,
            (
                Field("stk_cd", True, 20, "code"),
                Field("base_dt", True, 8, "digits"),
                Field("upd_stkpc_tp", True, 1, "choice", ("0", "1")),
            ),
        )
        base_dt = _date(values, "base_dt")
        assert base_dt is not None  # required
        stock = _stock_of(state, values["stk_cd"])
        split = _split(state, stock)
        basis = base_dt if values["upd_stkpc_tp"] == "1" else None
        bars = [
            _in_basis(bar, split, basis)
            for bar in candles.history(state.market, stock)
            if bar.date <= base_dt
        ]
        if period != "day":
            bars = candles.gather(bars, period)
        shares = state.market.universe.get(stock.code)
        listed = shares.listed_shares if shares else 0
        rows = []
        for index, bar in enumerate(bars):
            previous = bars[index - 1].close if index else bar.open
            rows.append(_period_row(bar, previous, listed, daily=period == "day"))
        rows.reverse()
        chunk, cont_yn, next_key = _page_by_time(rows, "dt", call, stock.code, DAY_PAGE_SIZE)
        body = {"stk_cd": values["stk_cd"], list_field: chunk, "return_code": 0, "return_msg": MSG_OK}
        return TrResult(body, cont_yn, next_key)

    return handler


def _in_basis(bar: DayBar, split: tuple[date, int] | None, basis: date | None) -> DayBar:
    factor = candles.raw_factor(split, bar.date, basis)
    if factor == 1:
        return bar
    return DayBar(
        bar.date,
        bar.open * factor,
        bar.high * factor,
        bar.low * factor,
        bar.close * factor,
        bar.volume // factor,
    )


def _period_row(bar: DayBar, previous: int, listed: int, *, daily: bool) -> dict[str, str]:
    value = bar.close * bar.volume
    return {
        # Daily and longer bars carry unsigned prices in captures (PROTOCOL.md M4.2).
        "cur_prc": str(bar.close),
        "trde_qty": str(bar.volume),
        # 백만원 for days, 원 for weeks and months (PROTOCOL.md M4.2).
        "trde_prica": str(value // 1_000_000 if daily else value),
        "dt": bar.date.strftime("%Y%m%d"),
        "open_pric": str(bar.open),
        "high_pric": str(bar.high),
        "low_pric": str(bar.low),
        "pred_pre": _change(bar.close, previous),
        "pred_pre_sig": _sign_code(bar.close, previous),
        "trde_tern_rt": _turnover(bar.volume, listed),
    }


def _change(price: int, previous: int) -> str:
    return direction_sign(price, previous) + str(abs(price - previous))


def _sign_code(price: int, previous: int) -> str:
    """`pred_pre_sig`: 1 상한, 2 상승, 3 보합, 4 하한, 5 하락."""
    upper, lower = price_limits(previous)
    if price >= upper:
        return "1"
    if price <= lower:
        return "4"
    return "2" if price > previous else "5" if price < previous else "3"


def _turnover(volume: int, listed: int) -> str:
    if not listed:
        return "0.00"
    rate = volume * 100 / listed
    return f"+{rate:.2f}" if rate >= 0.005 else "0.00"


def ka10080(state: SimState, call: Call) -> TrResult:
    values = validate_body(
        call.body,
        (
            Field("stk_cd", True, 20, "code"),
            Field("tic_scope", True, 2, "choice", MINUTE_SCOPES),
            Field("upd_stkpc_tp", True, 1, "choice", ("0", "1")),
            Field("base_dt", False, 8, "digits"),
        ),
    )
    base_dt = _date(values, "base_dt")
    stock = _stock_of(state, values["stk_cd"])
    scope = int(values["tic_scope"])
    split = _split(state, stock)
    basis = (base_dt or stock.session_date) if values["upd_stkpc_tp"] == "1" else None
    cursor = _decode_key(call, stock.code, 14) if call.cont_yn == "Y" else None
    closes = {bar.date: bar.close for bar in candles.history(state.market, stock)}
    rows: list[dict[str, str]] = []
    for day in candles.minute_sessions(stock, base_dt or stock.session_date):
        if cursor is not None and day.strftime("%Y%m%d") > cursor[:8]:
            continue  # sent on an earlier page
        factor = candles.raw_factor(split, day, basis)
        previous = _previous_close(closes, day, stock) * factor
        bars = candles.gather_minutes(candles.minute_bars(state.market, stock, day), scope)
        day_rows = []
        accumulated = 0
        for bar in bars:
            accumulated += bar.volume
            day_rows.append(_minute_row(bar, factor, previous, accumulated))
        day_rows.reverse()
        rows.extend(row for row in day_rows if cursor is None or row["cntr_tm"] <= cursor)
        if len(rows) > MINUTE_PAGE_SIZE:
            break
    chunk, more = rows[:MINUTE_PAGE_SIZE], len(rows) > MINUTE_PAGE_SIZE
    next_key = f"A{stock.code}{rows[MINUTE_PAGE_SIZE]['cntr_tm']}{_KEY_TAIL}" if more else ""
    body = {
        "stk_cd": values["stk_cd"],
        "stk_min_pole_chart_qry": chunk,
        "return_code": 0,
        "return_msg": MSG_OK,
    }
    return TrResult(body, "Y" if more else "N", next_key)


def _previous_close(closes: dict[date, int], day: date, stock: Stock) -> int:
    if day == stock.session_date:
        return stock.base_price
    earlier = [d for d in closes if d < day]
    return closes[max(earlier)] if earlier else stock.base_price


def _minute_row(bar: MinuteBar, factor: int, previous: int, accumulated: int) -> dict[str, str]:
    close = bar.close * factor
    return {
        # Minute bars carry the direction sign on every price (PROTOCOL.md M4.2).
        "cur_prc": direction_sign(close, previous) + str(close),
        "trde_qty": str(bar.volume // factor),
        "cntr_tm": bar.start.strftime("%Y%m%d%H%M%S"),
        "open_pric": direction_sign(bar.open * factor, previous) + str(bar.open * factor),
        "high_pric": direction_sign(bar.high * factor, previous) + str(bar.high * factor),
        "low_pric": direction_sign(bar.low * factor, previous) + str(bar.low * factor),
        "acc_trde_qty": str(accumulated // factor),
        "pred_pre": _change(close, previous),
        "pred_pre_sig": _sign_code(close, previous),
    }


# --- Paging -----------------------------------------------------------------------------------------------


def _page_by_time(
    rows: list[dict[str, str]], time_field: str, call: Call, code: str, size: int
) -> tuple[list[dict[str, str]], str, str]:
    """Rows newest first from the key's time on; the key names the first row of the next page."""
    if call.cont_yn == "Y":
        cursor = _decode_key(call, code, 8)
        rows = [row for row in rows if row[time_field] <= cursor]
    if len(rows) > size:
        return rows[:size], "Y", f"A{code}{rows[size][time_field]}{_KEY_TAIL}"
    return rows, "N", ""


def _decode_key(call: Call, code: str, digits: int) -> str:
    key, head = call.next_key, f"A{code}"
    stamp = key[len(head) : len(key) - len(_KEY_TAIL)]
    if not key.startswith(head) or not key.endswith(_KEY_TAIL) or len(stamp) != digits or not stamp.isdigit():
        raise bad_format("next-key", "연속조회키가 올바르지 않습니다")
    return stamp


# --- Indices ----------------------------------------------------------------------------------------------


def ka20006(state: SimState, call: Call) -> TrResult:
    values = validate_body(
        call.body, (Field("inds_cd", True, 3, "digits"), Field("base_dt", True, 8, "digits"))
    )
    base_dt = _date(values, "base_dt")
    assert base_dt is not None  # required
    code = values["inds_cd"]
    index = candles.index_state(state.market, code)
    if index is None:
        raise service_error(1901, f"시장 코드값이 존재하지 않습니다. 종목코드={code}")
    rows = [
        {
            # Levels in hundredths of a point, without the decimal point (PROTOCOL.md M7.1).
            "cur_prc": str(bar.close),
            "trde_qty": str(bar.volume),
            "dt": bar.date.strftime("%Y%m%d"),
            "open_pric": str(bar.open),
            "high_pric": str(bar.high),
            "low_pric": str(bar.low),
            "trde_prica": str(value),
        }
        for bar, value in reversed(candles.index_history(state.market, index))
        if bar.date <= base_dt
    ]
    chunk, cont_yn, next_key = _page_by_time(rows, "dt", call, code, DAY_PAGE_SIZE)
    body = {"inds_cd": code, "inds_dt_pole_qry": chunk, "return_code": 0, "return_msg": MSG_OK}
    return TrResult(body, cont_yn, next_key)


TRS = (
    TrSpec("ka10080", PATH, ka10080),
    TrSpec("ka10081", PATH, _period_tr("day", "stk_dt_pole_chart_qry")),
    TrSpec("ka10082", PATH, _period_tr("week", "stk_stk_pole_chart_qry")),
    TrSpec("ka10083", PATH, _period_tr("month", "stk_mth_pole_chart_qry")),
    TrSpec("ka20006", PATH, ka20006),
)
