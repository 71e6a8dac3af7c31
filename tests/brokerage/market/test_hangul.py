"""초성 keys and the pattern typed text is searched with."""

import pytest

from brokerage.market.hangul import initials_key, is_initials_only, name_pattern


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("삼성전자", "ㅅㅅㅈㅈ"),
        ("SK하이닉스", "skㅎㅇㄴㅅ"),
        ("KODEX 200", "kodex 200"),
        ("까뮤이앤씨", "ㄲㅁㅇㅇㅆ"),
    ],
)
def test_a_name_s_key_is_its_initials_with_the_rest_lower_cased(name, key):
    assert initials_key(name) == key


def test_only_bare_initial_consonants_are_initials_only():
    assert is_initials_only("ㅅㅅㅈㅈ")
    assert not is_initials_only("삼ㅅ")
    assert not is_initials_only("")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("ㅅㅅㅈㅈ", "삼성전자"),
        ("삼ㅅ", "삼성전자"),
        ("ㅅ성", "삼성전자"),
        ("삼서", "삼성전자"),  # 서 is 성 being composed
        ("하이닉", "sk하이닉스"),
        ("SK하", "sk하이닉스"),
    ],
)
def test_the_pattern_finds_the_name(typed, name):
    assert name_pattern(typed).search(name)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("ㅅㅈ", "삼성물산"),
        ("서삼", "삼성전자"),
        ("삼서전", "삼성전자"),
    ],  # only the last syllable may be unfinished
)
def test_the_pattern_does_not_find_what_was_not_typed(typed, name):
    assert not name_pattern(typed).search(name)
