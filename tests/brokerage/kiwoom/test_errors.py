"""Which exception a failure becomes (PROTOCOL.md §1.4–§1.6, §4.5)."""

from __future__ import annotations

import pickle

import pytest

from brokerage import kiwoom
from brokerage.kiwoom.errors import error_class_for

ALL_ERRORS = [
    kiwoom.KiwoomInvalidCredentials,
    kiwoom.KiwoomInvalidToken,
    kiwoom.KiwoomRateLimited,
    kiwoom.KiwoomUnknownSymbol,
    kiwoom.KiwoomOrderRejected,
    kiwoom.KiwoomModeMismatch,
    kiwoom.KiwoomDeviceNotAllowed,
    kiwoom.KiwoomBadRequest,
    kiwoom.KiwoomUnavailable,
]


@pytest.mark.parametrize("cls", ALL_ERRORS)
def test_every_error_belongs_to_one_family(cls):
    assert issubclass(cls, kiwoom.KiwoomError)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("8001", kiwoom.KiwoomInvalidCredentials),
        ("8002", kiwoom.KiwoomInvalidCredentials),
        ("8011", kiwoom.KiwoomInvalidCredentials),
        ("8012", kiwoom.KiwoomInvalidCredentials),
        ("8020", kiwoom.KiwoomInvalidCredentials),
        ("8003", kiwoom.KiwoomInvalidToken),
        ("8005", kiwoom.KiwoomInvalidToken),
        ("8006", kiwoom.KiwoomInvalidToken),
        ("8009", kiwoom.KiwoomInvalidToken),
        ("8015", kiwoom.KiwoomInvalidToken),
        ("8016", kiwoom.KiwoomInvalidToken),
        ("1700", kiwoom.KiwoomRateLimited),
        ("1687", kiwoom.KiwoomRateLimited),
        ("1901", kiwoom.KiwoomUnknownSymbol),
        ("1902", kiwoom.KiwoomUnknownSymbol),
        ("1903", kiwoom.KiwoomUnknownSymbol),
        ("8030", kiwoom.KiwoomModeMismatch),
        ("8031", kiwoom.KiwoomModeMismatch),
        ("8010", kiwoom.KiwoomDeviceNotAllowed),
        ("8040", kiwoom.KiwoomDeviceNotAllowed),
        ("8050", kiwoom.KiwoomDeviceNotAllowed),
        ("8103", kiwoom.KiwoomDeviceNotAllowed),
        ("1501", kiwoom.KiwoomBadRequest),
        ("1511", kiwoom.KiwoomBadRequest),
        ("1517", kiwoom.KiwoomBadRequest),
        ("1634", kiwoom.KiwoomBadRequest),
        ("1999", kiwoom.KiwoomUnavailable),
        ("RC4003", kiwoom.KiwoomOrderRejected),
        ("RC4058", kiwoom.KiwoomOrderRejected),
        ("RC9000", kiwoom.KiwoomOrderRejected),
        ("800033", kiwoom.KiwoomOrderRejected),
        ("308003", kiwoom.KiwoomOrderRejected),
        ("2000", kiwoom.KiwoomOrderRejected),
    ],
)
def test_the_bracketed_code_chooses_the_class(code, expected):
    # A category that would point elsewhere (7: service error) must not matter when the code is known.
    assert error_class_for(code=code, return_code=7, http_status=200, api_id="kt10000") is expected


@pytest.mark.parametrize(
    ("return_code", "api_id", "expected"),
    [
        (2, "kt00018", kiwoom.KiwoomBadRequest),
        (3, "au10001", kiwoom.KiwoomInvalidCredentials),  # auth failure while issuing: the keys
        (3, "au10002", kiwoom.KiwoomInvalidCredentials),
        (3, "kt00018", kiwoom.KiwoomInvalidToken),  # auth failure on a TR: the token
        (5, "ka10080", kiwoom.KiwoomRateLimited),
        (20, "kt10000", kiwoom.KiwoomOrderRejected),
        (2000, "kt10000", kiwoom.KiwoomOrderRejected),
    ],
)
def test_without_a_code_the_return_code_category_chooses_the_class(return_code, api_id, expected):
    assert error_class_for(code=None, return_code=return_code, http_status=200, api_id=api_id) is expected


def test_an_unknown_category_without_a_code_is_a_plain_kiwoom_error():
    assert error_class_for(code=None, return_code=7, http_status=200, api_id="kt10001") is kiwoom.KiwoomError


def test_http_429_without_a_code_is_rate_limited():
    assert error_class_for(code=None, return_code=None, http_status=429) is kiwoom.KiwoomRateLimited


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_5xx_without_a_code_is_unavailable(status):
    assert error_class_for(code=None, return_code=1, http_status=status) is kiwoom.KiwoomUnavailable


def test_the_code_wins_over_the_category():
    # return_code 2 (input) but the bracket says 8005: the token is what failed.
    assert error_class_for(code="8005", return_code=2, http_status=200) is kiwoom.KiwoomInvalidToken


def test_error_keeps_kiwoom_code_message_and_context():
    error = kiwoom.KiwoomOrderRejected(
        "모의투자 호가단위 오류입니다.", code="RC4003", return_code=20, http_status=200, api_id="kt10000"
    )
    assert error.code == "RC4003"
    assert error.message == "모의투자 호가단위 오류입니다."
    assert error.return_code == 20
    assert error.http_status == 200
    assert error.api_id == "kt10000"
    assert str(error) == "[RC4003] 모의투자 호가단위 오류입니다. (api-id kt10000, return_code 20, HTTP 200)"
    assert "RC4003" in repr(error)
    assert repr(error).startswith("KiwoomOrderRejected(")


def test_unavailable_assumes_the_request_may_have_been_sent():
    assert kiwoom.KiwoomUnavailable("timeout").request_sent is True
    assert kiwoom.KiwoomUnavailable("refused", request_sent=False).request_sent is False


@pytest.mark.parametrize("cls", ALL_ERRORS)
def test_errors_survive_pickling_with_their_attributes(cls):
    error = cls("text", code="8005", return_code=3, http_status=200, api_id="kt00018")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert (copy.code, copy.message, copy.return_code, copy.http_status, copy.api_id) == (
        "8005",
        "text",
        3,
        200,
        "kt00018",
    )
    assert str(copy) == str(error)


def test_unavailable_keeps_request_sent_through_pickling():
    error = kiwoom.KiwoomUnavailable("refused", request_sent=False)
    assert pickle.loads(pickle.dumps(error)).request_sent is False
