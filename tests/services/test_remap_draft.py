"""`units remap-draft`: the 2025 roster's "formed from" text matched against the 2023 demo tree."""

import csv
import io

import pytest

from bot.services import remap_draft
from tests.services.test_remap import ROSTER_2025


@pytest.fixture
async def draft(db, demo_roster):
    async with db.session() as session:
        found, problems = await remap_draft.draft_map(session, ROSTER_2025)
    assert problems == []
    return found


def links(found: remap_draft.Draft) -> dict[str, set[str]]:
    """{new code: the old codes the draft maps to it}."""
    result: dict[str, set[str]] = {}
    for old, new, *_rest in found.rows:
        result.setdefault(new, set()).add(old)
    return result


async def test_names_match_with_short_names_diacritics_and_parentheses(draft):
    mapped = links(draft)
    # Phường Nguyễn Nghiêm (thị xã Đức Phổ), not the city's, and the short names Phổ Hòa, Phổ Minh, Phổ Vinh, Phổ Ninh
    assert mapped["21439"] == {"21439", "21469", "21463", "21466", "21460"}
    assert "21022" in mapped["21025"]  # Phường Trần Hưng Đạo (thành phố Quảng Ngãi), not Kon Tum's
    assert mapped["23302"] == {""}  # Phường Đăk Bla (Kon Tum): Trần Hưng Đạo (thành phố Kon Tum) is no unit here
    assert mapped["21538"] == {"21538"}  # Xã Ba Xa, "giữ nguyên"
    assert mapped["21548"] == {"536"}  # Đặc khu Lý Sơn from Huyện Lý Sơn
    assert mapped["21220"] >= {"21220"}  # Thị trấn Tịnh Hà is Xã Tịnh Hà in the 2023 list: found by its short name


async def test_what_cannot_be_matched_is_listed_and_kon_tum_units_are_new(draft):
    assert draft.unmatched == ["line 7: 21034 Xã An Phú: 'Xã An Phú': no current unit",
                               "line 44: 21409 Xã Long Phụng: 'Xã Thắng Lợi': no current unit"]
    assert sorted(draft.untouched) == ["21253 Xã Nghĩa Phú", "21262 Xã Nghĩa An", "21286 Xã Nghĩa Mỹ",
                                       "21403 Xã Đức Lợi", "21406 Xã Đức Thắng"]
    assert len(draft.new_units) == 40 and all(": 23" in line for line in draft.new_units)
    assert sorted(old for old, new, *_ in draft.rows if not new) == [
        "522", "524", "525", "527", "528", "529", "530", "531", "532", "533", "534", "535"]
    assert draft.matched == 169


async def test_the_written_map_lists_what_to_settle_and_reads_back(draft, tmp_path):
    text = remap_draft.write_map(draft, ROSTER_2025)
    assert "# not matched: line 7: 21034 Xã An Phú: 'Xã An Phú': no current unit" in text
    body = [line for line in text.splitlines() if not line.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    assert rows[0] == ["old_code", "new_code", "new_name", "new_kind", "new_parent_code"]
    assert len(rows) - 1 == len(draft.rows)
