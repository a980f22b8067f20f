"""Roster validation: a bad file imports nothing and every problem names its file and line."""

import csv
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from bench import roster as roster_bench
from bot.cli.common import import_files
from bot.services import org, roster
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "content" / "units"
ROSTERS = Path(__file__).parent / "testdata" / "rosters"

BAD = [
    # file, line, what the message says
    ("unknown_parent.csv", 4, "unknown parent 99"),
    ("duplicate_code.csv", 5, "duplicate code 2 (first at line 4)"),
    ("cycle.csv", 3, "cycle"),
    ("cycle.csv", 4, "cycle"),
    ("unknown_kind.csv", 3, "kind 'Huyện' must be a lower-case word"),
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


async def test_moving_a_unit_re_paths_its_whole_subtree(any_db, tmp_path):
    tree = tmp_path / "tree.csv"
    tree.write_text("code,name,kind,parent_code\n1,Tỉnh,province,\n2,Huyện A,district,1\n3,Huyện B,district,1\n"
                    "4,Xã X,commune,2\n5,Thôn Y,village,4\n", encoding="utf-8")
    assert not (await import_files(any_db, [tree], show_progress=False)).problems
    move = tmp_path / "move.csv"
    move.write_text("code,name,kind,parent_code\n4,Xã X mới,commune,3\n", encoding="utf-8")
    result = await import_files(any_db, [move], show_progress=False)
    assert (result.problems, result.created, result.updated, result.unchanged) == ([], 0, 1, 0)
    async with any_db.session() as session:
        units = {code: await org.unit_by_code(session, code) for code in "12345"}
        assert units["5"].path == f"/{units['1'].id}/{units['3'].id}/{units['4'].id}/{units['5'].id}/"
        assert (units["4"].depth, units["5"].depth) == (2, 3)
        assert await org.unit_label(session, units["5"]) == "Thôn Y · Xã X mới · Huyện B"
        assert [t.name for t, _u in await org.teams_in(session, units["4"])][0] == "Tổ CNSCĐ Xã X mới"


async def test_progress_counts_every_row_once(db, tmp_path):
    told = []
    async with db.session() as session:
        result = await roster.import_rosters(session, [ROSTERS / "good.csv"], progress=told.append)
        await session.commit()
    assert sum(told) == result.created == 3
    async with db.session() as session:
        again = await roster.import_rosters(session, [ROSTERS / "good.csv"], progress=told.append)
    assert sum(told) == 6 and again.unchanged == 3


async def test_a_field_over_the_csv_limit_is_a_problem_with_its_line(db, tmp_path):
    huge = tmp_path / "huge.csv"
    huge.write_text(f'code,name,kind,parent_code\n1,Tỉnh,province,\n2,"{"x" * 200_000}",district,1\n',
                    encoding="utf-8")
    result = await import_files(db, [huge], show_progress=False)
    assert result.problems == [f"{huge}:3: field larger than field limit (131072)"]


def test_the_roster_benchmark_runs_and_ends_with_one_json_line(capsys):
    argv = ["--rows", "2000"] + (["--pg", POSTGRES_URL] if POSTGRES_URL else ["--only", "sqlite"])
    results = roster_bench.main(argv)
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == results
    for database in ("sqlite", "postgres") if POSTGRES_URL else ("sqlite",):
        assert set(results[database]) == {"tree", "again", "chain"}
        assert all(0 < seconds < 20 for seconds in results[database].values())
