"""The 2025 roster spells Kon Tum's Jrai place names "Ia …" (Xã Ia Chim, Xã Ia Đal, Xã Ia Tơi), not "la …": the
shared copy had a lower-case L where the capital I belongs."""

import csv
import re
from pathlib import Path

ROSTER = Path(__file__).resolve().parents[2] / "content" / "units" / "2025" / "quang-ngai-2025.csv"


def _names() -> dict[str, str]:
    lines = [line for line in ROSTER.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return {row["code"]: row["name"] for row in csv.DictReader(lines)}


def test_the_three_ia_communes_are_spelt_with_a_capital_i():
    names = _names()
    assert [names["23326"], names["23535"], names["23538"]] == ["Xã Ia Chim", "Xã Ia Đal", "Xã Ia Tơi"]


def test_no_unit_name_has_a_lower_case_la_word():
    assert [name for name in _names().values() if re.search(r"(?<!\w)la(?!\w)", name)] == []
