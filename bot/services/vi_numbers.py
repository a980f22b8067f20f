"""Counts as members type them: "15", "15 người", "1.200", "mười lăm", "hai mươi mốt", "một trăm linh năm".

Words are matched without diacritics, so "muoi lam" works as well as "mười lăm".
Number words cover 0–999; digits any size (the caller checks bounds).
"""

import re

from bot.text import fold

DIGITS = {"khong": 0, "linh": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
          "sau": 6, "bay": 7, "tam": 8, "chin": 9}
# Short spoken tens like "hai mốt" (21), "ba lăm" (35), "bốn tư" (44) only with these unit words.
_SHORT_UNITS = {"mot", "lam", "tu"}
_NUMBER = re.compile(r"(-?)\s*(\d{1,3}(?:[.,]\d{3})+|\d+)")
_WORD = re.compile(r"[a-z]+")
_NUMBER_WORDS = set(DIGITS) | {"muoi", "tram", "le"}


class NegativeNumber(ValueError):
    """The member typed a number below zero."""


def _unit(word: str) -> int | None:
    """1–9 after "mươi"/"mười"."""
    value = DIGITS.get(word)
    return value if value and word != "linh" else None


def _tens(words: list[str]) -> int | None:
    """0–99 from words without "trăm"."""
    if not words:
        return 0
    if len(words) == 1:
        return 10 if words[0] == "muoi" else (DIGITS.get(words[0]) if words[0] != "linh" else None)
    if words[0] == "muoi":
        unit = _unit(words[1]) if len(words) == 2 else None
        return None if unit is None else 10 + unit
    tens = DIGITS.get(words[0], 0) if words[0] != "linh" else 0
    if tens < 2:
        return None
    if words[1] == "muoi" and len(words) <= 3:
        unit = _unit(words[2]) if len(words) == 3 else 0
        return None if unit is None else tens * 10 + unit
    if len(words) == 2 and words[1] in _SHORT_UNITS:
        return tens * 10 + DIGITS[words[1]]
    return None


def _words_value(words: list[str]) -> int | None:
    """0–999 from Vietnamese number words, or None when they do not make a number."""
    if "tram" not in words:
        return _tens(words)
    at = words.index("tram")
    hundreds = words[:at]
    if len(hundreds) != 1 or DIGITS.get(hundreds[0], 0) < 1 or hundreds[0] == "linh":
        return None
    rest = words[at + 1:]
    if rest and rest[0] in ("linh", "le"):
        if len(rest) != 2 or rest[1] not in DIGITS or DIGITS[rest[1]] == 0:
            return None
        return DIGITS[hundreds[0]] * 100 + DIGITS[rest[1]]
    if len(rest) == 1 and rest[0] != "muoi":
        return None  # "một trăm hai" means 120 in speech, 102 in writing: ask again
    tens = _tens(rest)
    return None if tens is None else DIGITS[hundreds[0]] * 100 + tens


def parse_count(text: str) -> int | None:
    """The whole number in `text`, or None; raises NegativeNumber for "-3"."""
    digits = _NUMBER.findall(text)
    if len(digits) > 1:
        return None
    if digits:
        sign, number = digits[0]
        value = int(re.sub(r"[.,]", "", number))
        if sign:
            raise NegativeNumber(text)
        return value
    words = _WORD.findall(fold(text))
    while words and words[-1] not in _NUMBER_WORDS:
        words.pop()  # a unit after the number: "mười lăm người"
    if not words or any(w not in _NUMBER_WORDS for w in words):
        return None
    return _words_value(["linh" if w == "le" else w for w in words])
