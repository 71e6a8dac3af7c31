"""The KRX tick grid for stocks (PROTOCOL.md §6.2)."""

from __future__ import annotations

import pytest

from brokerage import kiwoom
from brokerage.kiwoom import is_on_tick, tick_size


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        (1, 1),
        (1_999, 1),
        (2_000, 5),  # each band includes its lower bound
        (4_995, 5),
        (5_000, 10),
        (19_990, 10),
        (20_000, 50),
        (49_950, 50),
        (50_000, 100),
        (199_900, 100),
        (200_000, 500),
        (499_500, 500),
        (500_000, 1_000),
        (3_000_000, 1_000),
    ],
)
def test_tick_size_follows_the_2023_krx_grid(price, tick):
    assert tick_size(price) == tick


@pytest.mark.parametrize("price", [70_000, 72_100, 250_500, 1_999, 4_995, 19_990, 500_000])
def test_prices_on_the_grid_are_on_tick(price):
    assert is_on_tick(price)


@pytest.mark.parametrize("price", [70_050, 250_100, 2_001, 5_005, 20_010, 500_500])
def test_prices_off_the_grid_are_not_on_tick(price):
    # Kiwoom's mock answers such limit orders with RC4003 (호가단위 오류).
    assert not is_on_tick(price)


@pytest.mark.parametrize("price", [0, -100])
def test_tick_size_refuses_prices_that_are_not_positive(price):
    with pytest.raises(ValueError):
        tick_size(price)


@pytest.mark.parametrize("price", [70_000.0, "70000", True])
def test_tick_size_takes_whole_won_only(price):
    with pytest.raises(TypeError):
        tick_size(price)


def test_a_stock_code_is_six_digits_or_capital_letters():
    assert kiwoom.STOCK_CODE_RE.pattern == kiwoom.STOCK_CODE_PATTERN
    assert [
        code
        for code in ("005930", "0000J0", "5930", "00593a", "0059301")
        if kiwoom.STOCK_CODE_RE.fullmatch(code)
    ] == [
        "005930",
        "0000J0",
    ]
