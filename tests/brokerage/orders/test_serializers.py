"""Order input and the order list's filter take a stock code by the Kiwoom client's one rule."""

import pytest

from brokerage.orders.filters import OrderFilterSerializer
from brokerage.orders.serializers import OrderInputSerializer


def stock_code_errors(serializer_class, code: str) -> list:
    serializer = serializer_class(data={"stock_code": code, "quantity": 1})
    serializer.is_valid()
    return serializer.errors.get("stock_code", [])


@pytest.mark.parametrize("serializer_class", [OrderInputSerializer, OrderFilterSerializer])
class TestStockCode:
    @pytest.mark.parametrize("code", ["005930", "0000J0"])
    def test_six_digits_or_capital_letters_are_a_code(self, serializer_class, code):
        assert stock_code_errors(serializer_class, code) == []

    @pytest.mark.parametrize("code", ["5930", "00593a", "0059301"])
    def test_anything_else_is_refused(self, serializer_class, code):
        assert stock_code_errors(serializer_class, code)
