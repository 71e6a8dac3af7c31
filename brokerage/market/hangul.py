"""Korean initial consonants (초성) for search: a name's 초성 key, and a pattern that matches typed text.

A typed character matches a name's character when they are equal, when it is a bare initial consonant
and the name's syllable begins with it (`ㅅ` matches `삼`), or, for the last character only, when it is
a syllable still being composed and the name's syllable extends it (`사` matches `삼`: the IME shows `사`
before the `ㅁ`).
"""

from __future__ import annotations

import re

_SYLLABLE_FIRST = 0xAC00  # 가
_SYLLABLE_LAST = 0xD7A3  # 힣
_PER_INITIAL = 21 * 28  # vowels x finals
_FINALS = 28

# The 19 initial consonants in Unicode's order, as compatibility jamo (what a keyboard types).
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_INITIAL_INDEX = {jamo: index for index, jamo in enumerate(INITIALS)}


def _is_syllable(char: str) -> bool:
    return _SYLLABLE_FIRST <= ord(char) <= _SYLLABLE_LAST


def initial_of(char: str) -> str:
    """The syllable's initial consonant (`삼` -> `ㅅ`); any other character lower-cased."""
    if _is_syllable(char):
        return INITIALS[(ord(char) - _SYLLABLE_FIRST) // _PER_INITIAL]
    return char.lower()


def initials_key(name: str) -> str:
    """A name's search key: each syllable by its 초성, the rest lower-cased (`삼성전자` -> `ㅅㅅㅈㅈ`)."""
    return "".join(initial_of(char) for char in name)


def is_initials_only(text: str) -> bool:
    """Whether `text` is made of bare initial consonants only (`ㅅㅅㅈㅈ`)."""
    return bool(text) and all(char in _INITIAL_INDEX for char in text)


def _char_pattern(char: str, *, last: bool) -> str:
    index = _INITIAL_INDEX.get(char)
    if index is not None:
        first = _SYLLABLE_FIRST + index * _PER_INITIAL
        return f"[{re.escape(char)}{chr(first)}-{chr(first + _PER_INITIAL - 1)}]"
    if last and _is_syllable(char) and (ord(char) - _SYLLABLE_FIRST) % _FINALS == 0:
        return f"[{char}-{chr(ord(char) + _FINALS - 1)}]"
    return re.escape(char.lower())


def name_pattern(text: str) -> re.Pattern[str]:
    """A pattern finding `text` in lower-cased names, 초성 and a syllable being composed included."""
    chars = text.lower()
    return re.compile("".join(_char_pattern(char, last=i == len(chars) - 1) for i, char in enumerate(chars)))
