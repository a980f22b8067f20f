"""Unit kinds as data (issue 17 item 1): names from content/units/kinds.yaml, levels from the tree as it is."""

from pathlib import Path

import pytest

from bot.cli.common import import_files
from bot.cli.serving import DEMO_TREES
from bot.services import org, unit_kinds
from bot.services.content import check_content
from bot.services.unit_kinds import Level, check_kinds, kind_name, kinds_name, levels, pick_levels


def test_names_come_from_the_data_in_both_languages():
    assert [kind_name(k, "vi") for k in ("commune", "ward", "special_zone", "village")] == [
        "xã", "phường", "đặc khu", "thôn"]
    assert kind_name("special_zone", "en", plural=True) == "special zones" and kind_name("ward", "en") == "ward"
    assert kind_name("hamlet_x", "vi") == "hamlet_x"  # a kind the file lacks shows as its slug, never an error
    assert kinds_name(["ward", "commune", "ward"], "vi", plural=False) == "xã/phường"
    assert Level(1, ("commune", "ward", "special_zone"), 96).label("en") == "Communes, wards, special zones"
    assert Level(0, ("province",), 1).label("en") == "Province"


@pytest.mark.parametrize(("yaml", "words"), [
    ("kinds:\n  commune: {vi: [xã, xã]}\n", "kind commune: 'en' must be [singular, plural] names"),
    ("kinds:\n  commune: {vi: [xã, xã], en: [commune, communes], branch: club}\n", "branch 'club' must be one of"),
    ("kinds:\n  Commune: {vi: [xã, xã], en: [commune, communes]}\n", "the slug must be a lower-case word"),
    ("kinds:\n  commune: {vi: [xã, xã], en: [commune, communes], level: 2}\n", "unknown key(s) level"),
    ("communes: []\n", "expected a mapping 'kinds:'"),
    ("kinds: [\n", "cannot read the unit kinds"),
])
def test_content_check_refuses_a_broken_kinds_file(tmp_path, yaml, words):
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "kinds.yaml").write_text(yaml, encoding="utf-8")
    problems = [str(p) for p in check_content(tmp_path)]
    assert any(words in p for p in problems), problems


def test_the_shipped_kinds_are_valid_and_cover_every_roster():
    assert check_kinds() == []
    rosters = [*DEMO_TREES["2023"], *DEMO_TREES["2025"]]
    used = {line.split(",")[2] for path in rosters for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line and not line.startswith(("#", "code,"))}
    assert used <= set(unit_kinds.load_kinds())


async def test_the_2025_tree_has_two_levels_one_of_them_xa_phuong_dac_khu(db):
    await import_files(db, DEMO_TREES["2025"], show_progress=False)
    async with db.session() as session:
        found = await levels(session, None)
        below = await levels(session, await org.unit_by_code(session, "21409"))
    assert [(level.depth, level.kinds, level.units) for level in found] == [
        (0, ("province",), 1), (1, ("commune", "ward", "special_zone"), 96)]
    assert [level.label("vi") for level in found] == ["Tỉnh", "Xã, phường, đặc khu"]
    assert [level.label("vi") for level in below] == ["Xã"]  # an officer's subtree: its own levels only
    assert pick_levels(["2", "village", "9"], found) == ["commune", "ward", "special_zone", "village", "9"]


async def test_villages_hung_under_a_district_stay_on_the_villages_level(demo_roster):
    async with demo_roster.session() as session:
        found = await levels(session, None)  # Huyện Lý Sơn's villages sit one level up, below the district
    assert [level.kinds for level in found] == [("province",), ("district",), ("commune",), ("village",)]
    assert unit_kinds.describe_levels(found, "en").startswith("1 Province (province); 2 Districts (district)")
