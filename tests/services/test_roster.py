"""Roster validation: a bad file imports nothing and every problem names its file and line."""

import csv
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from bot.cli import import_files
from bot.services import org

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "content" / "units"
ROSTERS = Path(__file__).parent / "testdata" / "rosters"

BAD = [
    # file, line, what the message says
    ("unknown_parent.csv", 4, "unknown parent 99"),
    ("duplicate_code.csv", 5, "duplicate code 2 (first at line 4)"),
    ("cycle.csv", 3, "cycle"),
    ("cycle.csv", 4, "cycle"),
    ("unknown_kind.csv", 3, "unknown kind 'county'"),
    ("empty_name.csv", 4, "empty name"),
    ("wrong_columns.csv", 1, "columns must be code,name,kind,parent_code"),
    ("latin1.csv", 2, "not UTF-8"),
    ("wrong_cells.csv", 3, "expected 4 columns, found 3"),
]


async def counts(database) -> tuple[int, dict]:
    async with database.session() as session:
        figures = await org.stats(session)
    return figures["teams"], figures["units"]


@pytest.mark.parametrize(("name", "line", "says"), BAD, ids=[f"{n}:{line}" for n, line, _ in BAD])
async def test_bad_roster_imports_nothing_and_names_file_and_line(db, name, line, says):
    path = ROSTERS / name
    result = await import_files(db, [ROSTERS / "good.csv", path], show_progress=False)
    matching = [p for p in result.problems if p.startswith(f"{path}:{line}: ")]
    assert matching, result.problems
    assert says in matching[0]
    assert all(p.startswith(f"{path}:") for p in result.problems), "only the bad file is blamed"
    assert await counts(db) == (0, {})


async def test_good_roster_imports(db):
    result = await import_files(db, [ROSTERS / "good.csv"], show_progress=False)
    assert result.problems == []
    assert (result.created, result.teams_created) == (3, 3)
    async with db.session() as session:
        commune = await org.unit_by_code(session, "12")
        assert await org.unit_label(session, commune) == "Xã Tốt · Huyện Tốt, Mới"
        assert await org.stats(session) == {
            "teams": 3,
            "units": {"commune": 1, "district": 1, "province": 1},
            "members": 0,
        }


async def test_parents_may_come_from_the_database(db, tmp_path):
    assert (await import_files(db, [ROSTERS / "good.csv"], show_progress=False)).problems == []
    extra = tmp_path / "extra.csv"
    extra.write_text("code,name,kind,parent_code\n13,Thôn Tốt,village,12\n", encoding="utf-8")
    result = await import_files(db, [extra], show_progress=False)
    assert (result.problems, result.created) == ([], 1)


async def test_a_cycle_through_the_database_is_refused(db, tmp_path):
    assert (await import_files(db, [ROSTERS / "good.csv"], show_progress=False)).problems == []
    before = await counts(db)
    loop = tmp_path / "loop.csv"
    loop.write_text("code,name,kind,parent_code\n11,Huyện Tốt,district,12\n", encoding="utf-8")
    result = await import_files(db, [loop], show_progress=False)
    assert [p for p in result.problems if p.startswith(f"{loop}:2: ") and "cycle" in p], result.problems
    assert await counts(db) == before
    async with db.session() as session:
        district = await org.unit_by_code(session, "11")
        province = await org.unit_by_code(session, "10")
    assert district.parent_id == province.id


def _load_placeholder_script():
    spec = importlib.util.spec_from_file_location("placeholder_villages", ROOT / "scripts" / "placeholder_villages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_placeholder_villages_are_generated_deterministically():
    script = _load_placeholder_script()
    committed = (UNITS / "quang-ngai-villages-placeholder.csv").read_bytes()
    assert script.render().encode("utf-8") == committed
    assert script.render() == script.render()


def test_placeholder_villages_follow_the_rule():
    units = {r["code"]: r for r in _rows(UNITS / "quang-ngai-2023.csv")}
    villages = _rows(UNITS / "quang-ngai-villages-placeholder.csv")
    assert len(villages) == 954
    assert {v["kind"] for v in villages} == {"village"}
    assert len({v["code"] for v in villages}) == 954
    assert not {v["code"] for v in villages} & set(units)
    ly_son = [v for v in villages if v["parent_code"] == "536"]
    assert [v["name"] for v in ly_son] == [f"Thôn {n}" for n in range(1, 10)]
    assert not [u for u in units.values() if u["parent_code"] == "536"], "Lý Sơn has no communes"
    for village in villages:
        parent = units[village["parent_code"]]
        assert parent["kind"] in ("commune", "district"), village
        urban = parent["name"].startswith(("Phường", "Thị trấn"))
        assert village["name"].startswith("Tổ dân phố " if urban else "Thôn "), (village, parent["name"])
    per_commune = Counter(v["parent_code"] for v in villages if v["parent_code"] != "536")
    assert len(per_commune) == 173 and set(per_commune.values()) == {5, 6}
