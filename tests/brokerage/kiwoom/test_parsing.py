"""Reading Kiwoom's wire values (PROTOCOL.md §1.4, §1.8, §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from brokerage.kiwoom import OrderSide
from brokerage.kiwoom.parsing import (
    normalize_order_number,
    parse_error,
    parse_int,
    parse_kst_timestamp,
    parse_price,
    parse_rate,
    parse_return_code,
    parse_side,
    strip_code_prefix,
)

# --- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("-00000000196888", -196888),  # minus inside the fixed width
        ("000000017598258", 17598258),
        ("-00000003201", -3201),
        ("+74100", 74100),
        ("0", 0),
        ("000000000000000", 0),
        (" 42 ", 42),
        (7, 7),
    ],
)
def test_parse_int_reads_zero_padded_signed_numbers(wire, expected):
    assert parse_int(wire) == expected


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_parse_int_reads_an_empty_value_as_zero(empty):
    assert parse_int(empty) == 0


@pytest.mark.parametrize("garbage", ["12a", "1.5", "-", "+", "1,234", "--5", "0x10"])
def test_parse_int_refuses_what_is_not_an_integer(garbage):
    with pytest.raises(ValueError):
        parse_int(garbage)


@pytest.mark.parametrize("wrong_type", [True, 1.5, [], {}])
def test_parse_int_refuses_non_numeric_types(wrong_type):
    with pytest.raises(TypeError):
        parse_int(wrong_type)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("+74100", 74100),  # ka10075 cur_prc: + means up on the day
        ("-000000021530", 21530),  # kt00018 cur_prc observed live: - means down, not a negative price
        ("000000072000", 72000),
        ("", 0),
    ],
)
def test_parse_price_is_the_absolute_value_of_a_direction_signed_price(wire, expected):
    assert parse_price(wire) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("-2.70", "-2.70"), ("46.25", "46.25"), ("0.32", "0.32"), ("-43.8977", "-43.8977"), ("+1.50", "1.50")],
)
def test_parse_rate_keeps_kiwoom_decimal_places(wire, expected):
    rate = parse_rate(wire)
    assert isinstance(rate, Decimal)
    assert rate == Decimal(expected)
    assert str(rate).lstrip("+") == expected


def test_parse_rate_reads_an_empty_value_as_zero():
    assert parse_rate("") == Decimal("0")


@pytest.mark.parametrize("garbage", ["abc", "NaN", "Infinity", "1e5", "1.2.3", "%"])
def test_parse_rate_refuses_what_is_not_a_plain_decimal(garbage):
    with pytest.raises(ValueError):
        parse_rate(garbage)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [(0, 0), ("0", 0), (" 3 ", 3), (20, 20), (2000, 2000), (805004, 805004), (5.0, 5)],
)
def test_return_code_is_read_leniently_as_int_or_numeric_string(wire, expected):
    assert parse_return_code(wire) == expected


@pytest.mark.parametrize("garbage", [None, "", "abc", True, 1.5, [], {}])
def test_return_code_that_is_not_a_number_reads_as_none(garbage):
    assert parse_return_code(garbage) is None


# --- codes and order numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("A005930", "005930"),  # stock
        ("J550001", "550001"),  # ELW
        ("Q500001", "500001"),  # ETN
        ("005930", "005930"),  # ka10075/ka10076 send plain codes
        (" A000660 ", "000660"),
        ("M04020000", "M04020000"),  # gold spot: not a prefixed stock code
        ("A00593", "A00593"),  # too short to be prefix + six characters
    ],
)
def test_strip_code_prefix_removes_the_one_letter_prefix_of_account_trs(wire, expected):
    assert strip_code_prefix(wire) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("0000139", "0000139"), ("139", "0000139"), (" 0362917 ", "0362917"), (24, "0000024")],
)
def test_order_numbers_are_seven_digits(wire, expected):
    assert normalize_order_number(wire) == expected


@pytest.mark.parametrize("none", ["0000000", "", None, "  "])
def test_an_all_zero_original_order_number_means_none(none):
    assert normalize_order_number(none) is None


@pytest.mark.parametrize("garbage", ["12345678", "12a", "-1"])
def test_order_number_refuses_what_is_not_up_to_seven_digits(garbage):
    with pytest.raises(ValueError):
        normalize_order_number(garbage)


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("+매수", OrderSide.BUY),
        ("-매도", OrderSide.SELL),
        ("+매수정정", OrderSide.BUY),
        ("-매도정정", OrderSide.SELL),
        ("매수취소", OrderSide.BUY),
        ("매도취소", OrderSide.SELL),
        ("현금매수", OrderSide.BUY),  # kt00007
        ("현금매도", OrderSide.SELL),
        ("+매수신용", OrderSide.BUY),
    ],
)
def test_side_is_read_from_kiwoom_order_kind_text(text, side):
    assert parse_side(text) is side


@pytest.mark.parametrize("text", ["", "정정", "매수매도"])
def test_side_refuses_text_that_is_neither_or_both(text):
    with pytest.raises(ValueError):
        parse_side(text)


# --- time ------------------------------------------------------------------------------------------------


def test_expires_dt_is_read_as_korea_time():
    # 2024-11-07 08:37:13 in Seoul is 2024-11-06 23:37:13 UTC.
    assert parse_kst_timestamp("20241107083713") == datetime(2024, 11, 6, 23, 37, 13, tzinfo=UTC)


def test_kst_timestamp_is_an_aware_utc_datetime():
    parsed = parse_kst_timestamp("20250716093000")
    assert parsed.tzinfo is not None
    assert parsed.utcoffset().total_seconds() == 0
    assert parsed == datetime(2025, 7, 16, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", "Asia/Seoul", "Australia/Lord_Howe"])
def test_expires_dt_does_not_depend_on_the_host_time_zone(host_time_zone, zone):
    host_time_zone(zone)
    assert parse_kst_timestamp("20241107083713") == datetime(2024, 11, 6, 23, 37, 13, tzinfo=UTC)


@pytest.mark.parametrize("garbage", ["2024110708371", "2024-11-07 08:37", "20241307083713", "", "x" * 14])
def test_kst_timestamp_refuses_what_is_not_fourteen_digits_of_a_real_time(garbage):
    with pytest.raises(ValueError):
        parse_kst_timestamp(garbage)


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("return_code", "return_msg", "code", "message"),
    [
        (3, "인증에 실패했습니다[8005:Token이 유효하지 않습니다]", "8005", "Token이 유효하지 않습니다"),
        (
            3,
            "인증 실패[8020:입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.]",
            "8020",
            "입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.",
        ),
        (
            2,
            "입력 값 오류입니다[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터=qry_tp]",
            "1511",
            "필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터=qry_tp",
        ),
        (
            5,
            "허용된 요청 개수를 초과하였습니다"
            "[1700:허용된 API 요청 개수를 초과하였습니다. 유량=5, API ID=ka10080]",
            "1700",
            "허용된 API 요청 개수를 초과하였습니다. 유량=5, API ID=ka10080",
        ),
        (20, "[2000](RC4003:모의투자 호가단위 오류입니다.)", "RC4003", "모의투자 호가단위 오류입니다."),
        (
            20,
            "[2000](800033:모의투자 매도가능수량이 부족합니다.)",
            "800033",
            "모의투자 매도가능수량이 부족합니다.",
        ),
        ("2000", "[2000](308003:주문단가를 입력하십시요)", "308003", "주문단가를 입력하십시요"),
        (20, "[2000](모의투자 주문거부)", "2000", "모의투자 주문거부"),
        (
            805004,
            "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]",
            "8005",
            "Token이 유효하지 않습니다",
        ),
        (20, "[RC4027] 모의투자 상 / 하한가 오류입니다.", "RC4027", "모의투자 상 / 하한가 오류입니다."),
        (
            8005,
            "Token이 유효하지 않습니다",
            "8005",
            "Token이 유효하지 않습니다",
        ),  # code in return_code itself
        (7, "서비스를 처리하는 중에 오류가 발생했습니다", None, "서비스를 처리하는 중에 오류가 발생했습니다"),
        (3, "", None, ""),
        (3, None, None, ""),
    ],
)
def test_parse_error_extracts_the_bracketed_code_from_every_shape(return_code, return_msg, code, message):
    assert parse_error(return_code, return_msg) == (code, message)
