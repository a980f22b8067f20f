"""Base figures and targets: percentages of the target on a small tree with known bases, one unit without."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select

from bot.cli.common import import_files
from bot.db.bases import UnitBase
from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.services import bases, reports, targets

NOW = datetime(2027, 10, 13, tzinfo=UTC)
TREE = """code,name,kind,parent_code
T,Tỉnh Thử,province,
D1,Huyện Một,district,T
D2,Huyện Hai,district,T
D3,Huyện Ba,district,T
C31,Xã Ba Một,commune,D3
C32,Xã Ba Hai,commune,D3
"""
# D1 has its own base; D2 has none; D3 has none of its own but both its communes have one (300 + 200).
BASES = "code,population,households\nD1,1.000,250\nC31,300,80\nC32,200,\nT,2000,\n"
ACTIVATED = {"D1": 150, "D2": 40, "C31": 60}
VNEID = targets.Target("vneid", {"vi": "Định danh", "en": "Identity"}, "results", "activated", "population",
                       {2027: 30})
HOUSEHOLDS = targets.Target("hh", {"vi": "Hộ", "en": "Households"}, "results", "dossiers", "households", {2027: 10})


async def _tree(db, tmp_path) -> OrgUnit:
    (tmp_path / "tree.csv").write_text(TREE, encoding="utf-8")
    assert not (await import_files(db, [tmp_path / "tree.csv"], show_progress=False)).problems
    async with db.session() as session:
        figures, problems = bases.parse_csv(BASES)
        assert problems == []
        assert await bases.import_bases(session, figures, NOW) == (4, [])
        teams = dict((await session.execute(
            select(OrgUnit.code, Team.id).join(Team, Team.unit_id == OrgUnit.id))).all())
        paths = dict((await session.execute(select(OrgUnit.code, OrgUnit.path))).all())
        member = Member(full_name="Người Báo Cáo", team_id=teams["D1"], created_at=NOW)
        session.add(member)
        await session.flush()
        await session.execute(insert(Report), [
            dict(team_id=teams[code], unit_path=paths[code], type_id="results", activity_date=date(2027, 10, 5),
                 counts={"activated": n, "dossiers": 5, "shops_listed": 0}, people=None, note=None,
                 status="approved", filed_by_member_id=member.id, draft_key=f"k-{code}", created_at=NOW,
                 duplicate_photo=False, featured=False, plan=None)
            for code, n in ACTIVATED.items()])
        await session.commit()
        return (await session.execute(select(OrgUnit).where(OrgUnit.code == "T"))).scalar_one()


async def _progress(db, root: OrgUnit):
    async with db.session() as session:
        result = await reports.rollup(session, root, date(2027, 10, 1), date(2027, 10, 31), deadline=NOW,
                                      count_ids=["activated", "dossiers"],
                                      kinds={"results": ["activated", "dossiers", "shops_listed"]})
        figures = await bases.bases_under(session, root)
    rows, total = targets.progress(result, figures, 2027, (VNEID, HOUSEHOLDS))
    return {u.code: rows[u.id] for u in [r.unit for r in result.units] if u.id in rows}, total


async def test_percentages_of_the_target_for_units_with_a_base_and_none_without(db, tmp_path):
    root = await _tree(db, tmp_path)
    by_unit, total = await _progress(db, root)
    one, two, three = (by_unit[c][0] for c in ("D1", "D2", "D3"))
    assert (one.value, one.base, one.goal, one.of_base, one.of_target) == (150, 1000, 300, 15.0, 50.0)
    assert (two.value, two.base, two.of_target, two.of_base) == (40, None, None, None)  # "chưa có số liệu nền"
    assert (three.value, three.base, three.goal, three.of_target) == (60, 500, 150, 40.0)  # communes' sum
    assert (total[0].value, total[0].base, total[0].of_target) == (250, 2000, pytest.approx(41.667, abs=1e-3))
    # households: D3 has no base because one of its communes has none; the province gave none either
    assert [by_unit["D1"][1].of_target, by_unit["D3"][1].base, total[1].base] == [pytest.approx(20.0), None, None]


async def test_a_target_year_without_a_percentage_is_not_shown(db, tmp_path):
    root = await _tree(db, tmp_path)
    async with db.session() as session:
        result = await reports.rollup(session, root, date(2028, 1, 1), date(2028, 1, 31), deadline=NOW,
                                      count_ids=[], kinds={"results": ["activated"]})
        rows, total = targets.progress(result, await bases.bases_under(session, root), 2028, (VNEID,))
    assert total == [] and all(found == [] for found in rows.values())


@pytest.mark.parametrize("text,problem", [
    ("code,people\nD1,5\n", "header must be code,population,households"),
    ("code,population,households\nD1,-5,\n", "line 2: population must be a whole number"),
    ("code,population,households\nD1,5,\nD1,6,\n", "line 3: unit D1 appears twice"),
    ("code,population,households\nD1,5,abc\n", "line 2: households must be a whole number"),
])
def test_bad_base_figures_are_named_with_their_line(text, problem):
    assert any(problem in str(p) for p in bases.parse_csv(text)[1])


async def test_an_unknown_unit_code_imports_nothing(db, tmp_path):
    await _tree(db, tmp_path)
    async with db.session() as session:
        figures, _ = bases.parse_csv("code,population,households\nD2,700,200\nXX,5,5\n")
        written, problems = await bases.import_bases(session, figures, NOW)
        assert (written, [str(p) for p in problems]) == (0, ["unknown unit code(s): XX"])
        assert (await session.execute(select(UnitBase).join(OrgUnit).where(OrgUnit.code == "D2"))).first() is None


def test_the_shipped_targets_are_valid():
    found = targets.load_targets()
    assert {t.id for t in found} >= {"vneid_activated", "households_supported"}
    assert all(t.name["vi"] and t.name["en"] and 2027 in t.percent for t in found)


async def test_the_rollup_pages_progress_reads_the_bases_itself_and_formats_by_language(db, tmp_path):
    root = await _tree(db, tmp_path)
    async with db.session() as session:
        result = await reports.rollup(session, root, date(2027, 10, 1), date(2027, 10, 31), deadline=NOW,
                                      count_ids=[], kinds={"results": ["activated", "dossiers"]})
        rows, total = await targets.rollup_progress(session, result, 2027, (VNEID,))
    by_code = {r.unit.code: rows[r.unit.id][0] for r in result.units if r.unit.id in rows}
    assert [by_code[c].of_target for c in ("D1", "D2", "D3")] == [50.0, None, 40.0]
    assert targets.percent_text("vi", total[0].of_target) == "41,7%"
    assert targets.percent_text("en", 1234.56) == "1,234.6%"
