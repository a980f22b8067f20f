"""The org tree in storage, on SQLite and PostgreSQL: the demo roster, subtrees, labels, invites, re-imports."""

import csv
import re
from pathlib import Path

from sqlalchemy import select

from bot.cli.common import DEMO_ROSTERS, import_files
from bot.db.models import OrgUnit, Team
from bot.services import org

MO_DUC, LY_SON = "533", "536"
INVITE = re.compile(r"^[2-9A-HJKMNP-Z]{8}$")  # no 0/O, 1/I/L


def demo_rows() -> list[dict]:
    """The demo roster's rows, read straight from the CSV files."""
    rows = []
    for path in DEMO_ROSTERS:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
        rows += csv.DictReader(lines)
    return rows


def write_roster(path: Path, *rows: str) -> Path:
    path.write_text("code,name,kind,parent_code\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


async def import_ok(database, *paths: Path):
    result = await import_files(database, list(paths), show_progress=False)
    assert not result.problems, result.problems
    return result


async def unit(database, code: str) -> OrgUnit:
    async with database.session() as session:
        found = await org.unit_by_code(session, code)
    assert found is not None, code
    return found


async def subtree_codes(database, code: str) -> set[str]:
    async with database.session() as session:
        return {u.code for u in await org.subtree(session, await org.unit_by_code(session, code))}


async def snapshot(database) -> dict[str, tuple[int, str, str]]:
    """code -> (unit id, invite code, team name) for every unit."""
    async with database.session() as session:
        rows = await session.execute(select(OrgUnit.code, OrgUnit.id, Team.invite_code, Team.name).join(Team))
        return {code: (uid, invite, name) for code, uid, invite, name in rows}


async def stats(database) -> dict:
    async with database.session() as session:
        return await org.stats(session)


async def test_demo_roster_counts(any_db, demo_roster):
    assert await stats(any_db) == {
        "teams": 1141,
        "units": {"commune": 173, "district": 13, "province": 1, "village": 954},
        "members": 0,
    }


async def test_subtree_of_a_district_holds_its_communes_and_villages(any_db, demo_roster):
    rows = demo_rows()
    communes = {r["code"] for r in rows if r["parent_code"] == MO_DUC and r["kind"] == "commune"}
    villages = {r["code"] for r in rows if r["parent_code"] in communes and r["kind"] == "village"}
    assert len(communes) == 13 and len(villages) >= 13 * 5
    assert await subtree_codes(any_db, MO_DUC) == {MO_DUC} | communes | villages

    async with any_db.session() as session:
        root = await org.unit_by_code(session, MO_DUC)
        units = await org.subtree(session, root)
    assert units[0].code == MO_DUC, "the root comes first"
    assert [u.depth for u in units] == sorted(u.depth for u in units)


async def test_ly_son_has_villages_directly_and_no_communes(any_db, demo_roster):
    expected = {r["code"] for r in demo_rows() if r["parent_code"] == LY_SON}
    assert len(expected) == 9
    async with any_db.session() as session:
        root = await org.unit_by_code(session, LY_SON)
        units = await org.subtree(session, root)
    assert {u.code for u in units} == {LY_SON} | expected
    assert {u.kind for u in units if u.code != LY_SON} == {"village"}
    assert all(u.parent_id == root.id for u in units if u.code != LY_SON)


async def test_unit_label_reads_from_village_up_to_district(any_db, demo_roster):
    names = {r["code"]: r["name"] for r in demo_rows()}
    assert (names["21409"], names["21409-03"]) == ("Xã Đức Nhuận", "Thôn 3")
    async with any_db.session() as session:
        village = await org.unit_by_code(session, "21409-03")
        assert await org.unit_label(session, village) == "Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức"
        ly_son_village = await org.unit_by_code(session, "536-01")
        assert await org.unit_label(session, ly_son_village) == "Thôn 1 · Huyện Lý Sơn"


async def test_invite_codes_are_unique_and_readable(any_db, demo_roster):
    codes = [invite for _, invite, _ in (await snapshot(any_db)).values()]
    assert len(codes) == 1141
    assert len(set(codes)) == len(codes)
    assert [c for c in codes if not INVITE.match(c)] == []
    async with any_db.session() as session:
        team = (await session.execute(select(Team).limit(1))).scalar_one()
        assert (await org.team_by_invite(session, f"  {team.invite_code.lower()} ")).id == team.id


async def test_importing_twice_changes_nothing(any_db, demo_roster):
    before, figures = await snapshot(any_db), await stats(any_db)
    result = await import_ok(any_db, *DEMO_ROSTERS)
    assert (result.created, result.updated, result.unchanged, result.teams_created) == (0, 0, 1141, 0)
    assert await snapshot(any_db) == before
    assert await stats(any_db) == figures


async def test_rename_in_a_second_file_updates_in_place(any_db, demo_roster, tmp_path):
    before, figures = await snapshot(any_db), await stats(any_db)
    rename = write_roster(tmp_path / "rename.csv", "21409,Xã  Đức Nhuận Mới ,commune,533")
    result = await import_ok(any_db, rename)
    assert (result.created, result.updated, result.teams_created) == (0, 1, 0)
    after = await snapshot(any_db)
    uid, invite, name = after["21409"]
    assert (uid, invite) == before["21409"][:2]
    assert name == "Tổ CNSCĐ Xã Đức Nhuận Mới"
    assert {c: v for c, v in after.items() if c != "21409"} == {c: v for c, v in before.items() if c != "21409"}
    assert await stats(any_db) == figures
    async with any_db.session() as session:
        village = await org.unit_by_code(session, "21409-03")
        assert await org.unit_label(session, village) == "Thôn 3 · Xã Đức Nhuận Mới · Huyện Mộ Đức"


async def test_moving_a_unit_repaths_its_subtree(any_db, demo_roster, tmp_path):
    moved_before = await subtree_codes(any_db, "21409")
    mo_duc_before, duc_pho_before = await subtree_codes(any_db, MO_DUC), await subtree_codes(any_db, "534")
    ids_before = await snapshot(any_db)

    await import_ok(any_db, write_roster(tmp_path / "move.csv", "21409,Xã Đức Nhuận,commune,534"))

    assert await subtree_codes(any_db, "21409") == moved_before
    assert await subtree_codes(any_db, MO_DUC) == mo_duc_before - moved_before
    assert await subtree_codes(any_db, "534") == duc_pho_before | moved_before
    assert await snapshot(any_db) == ids_before
    duc_pho, commune = await unit(any_db, "534"), await unit(any_db, "21409")
    assert commune.path == f"{duc_pho.path}{commune.id}/"
    async with any_db.session() as session:
        for village in await org.subtree(session, commune):
            if village.code != "21409":
                assert village.path == f"{commune.path}{village.id}/" and village.depth == 3
        village = await org.unit_by_code(session, "21409-03")
        assert await org.unit_label(session, village) == "Thôn 3 · Xã Đức Nhuận · Thị xã Đức Phổ"


async def test_uneven_deeper_branch(any_db, demo_roster, tmp_path):
    deeper = write_roster(
        tmp_path / "deeper.csv",
        "21409-03-A,Xóm A,village,21409-03",
        "21409-03-A-1,Cụm A1,village,21409-03-A",
    )
    result = await import_ok(any_db, deeper)
    assert (result.created, result.teams_created) == (2, 2)
    leaf = await unit(any_db, "21409-03-A-1")
    assert leaf.depth == 5  # province 0 … six levels
    assert await subtree_codes(any_db, "21409-03") == {"21409-03", "21409-03-A", "21409-03-A-1"}
    assert await subtree_codes(any_db, "21409-03-A-1") == {"21409-03-A-1"}
    assert {"21409-03-A", "21409-03-A-1"} <= await subtree_codes(any_db, MO_DUC)
    assert not {"21409-03-A", "21409-03-A-1"} & await subtree_codes(any_db, "21412")
    async with any_db.session() as session:
        assert await org.unit_label(session, leaf) == "Cụm A1 · Xóm A · Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức"
        lines = await org.render_tree(session, await org.unit_by_code(session, "21409"), None)
        assert "      Cụm A1 [21409-03-A-1]" in lines
        teams = await org.teams_in(session, await org.unit_by_code(session, "21409-03"))
    assert [u.code for _, u in teams] == ["21409-03", "21409-03-A", "21409-03-A-1"]
    assert (await stats(any_db))["teams"] == 1143


async def test_fresh_tree_of_six_levels_on_an_empty_database(any_db, tmp_path):
    roster = write_roster(
        tmp_path / "six.csv",
        "L5,Level 5,village,L4",  # children before parents: the importer orders them
        "L4,Level 4,village,L3",
        "L3,Level 3,village,L2",
        "L2,Level 2,commune,L1",
        "L1,Level 1,district,L0",
        "L0,Level 0,province,",
        "S1,Short 1,district,L0",
    )
    await import_ok(any_db, roster)
    assert await subtree_codes(any_db, "L0") == {"L0", "L1", "L2", "L3", "L4", "L5", "S1"}
    assert await subtree_codes(any_db, "L2") == {"L2", "L3", "L4", "L5"}
    assert await subtree_codes(any_db, "S1") == {"S1"}
    assert [(await unit(any_db, f"L{n}")).depth for n in range(6)] == list(range(6))
