"""`units remap`: the 2023 demo tree moved onto the 2025 province with its members and 2024 reports."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.cli import main
from bot.cli.common import import_files
from bot.cli.serving import DEMO_TREES
from bot.db.lineage import UnitLineage
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.services import broadcast, org, remap, remap_apply, remap_draft, reminders, reports

ROOT = Path(__file__).resolve().parents[2]
ROSTER_2025 = ROOT / "content" / "units" / "2025" / "quang-ngai-2025.csv"
NOW = datetime(2025, 1, 15, tzinfo=UTC)
EFFECTIVE, DEADLINE = date(2025, 7, 1), datetime(2025, 1, 31, tzinfo=UTC)
AN_PHU = "21034"  # formed from Xã Nghĩa Hà, Xã Nghĩa Dõng, Xã Nghĩa Dũng, and (settled) Nghĩa An, Nghĩa Phú, Nghĩa Mỹ
# What a person settles after reading the draft's list: the units the 2025 text names by their 2025 names
# (Xã An Phú was Xã Nghĩa An, Xã Thắng Lợi was Xã Đức Thắng) or not at all (merged into those on 01/01/2025).
SETTLED = ["21262,21034,Xã An Phú,commune,51", "21253,21034,Xã An Phú,commune,51",
           "21286,21034,Xã An Phú,commune,51", "21406,21409,Xã Long Phụng,commune,51",
           "21403,21409,Xã Long Phụng,commune,51"]


async def seed(session, every: int = 7) -> None:
    """Members (an officer in each district team) and 2024 reports in communes and some villages."""
    teams = (await session.execute(select(Team.id, OrgUnit.kind, OrgUnit.path).join(
        OrgUnit, Team.unit_id == OrgUnit.id).order_by(Team.id))).all()
    chosen = [t for i, t in enumerate(teams) if t.kind in ("district", "commune") or i % every == 0]
    members = [dict(full_name=f"Người {i}", team_id=t.id, role="officer" if t.kind == "district" else "member",
                    locale="vi", created_at=NOW) for i, t in enumerate(chosen) for _ in (0, 1)]
    await session.execute(insert(Member.__table__), members)
    ids = (await session.execute(select(Member.id, Member.team_id).order_by(Member.id))).all()
    path_of = {t.id: t.path for t in chosen}
    await session.execute(insert(ChannelAccount.__table__), [
        dict(member_id=m.id, channel="web", external_id=f"w{m.id}", linked_at=NOW) for m in ids])
    await session.execute(insert(Report.__table__), [
        dict(team_id=m.team_id, unit_path=path_of[m.team_id], type_id="activity", counts={"people": m.id % 40},
             people=m.id % 40, status="approved", filed_by_member_id=m.id, draft_key=f"seed-{m.id}-{month}",
             activity_date=date(2024, month, 10), created_at=NOW, duplicate_photo=False, featured=False)
        for m in ids for month in (3, 9)])
    await session.commit()


async def counts(session) -> dict:
    """Units by kind (current ones), retired units, teams (active and all), members, reports."""
    kinds = await session.execute(select(OrgUnit.kind, func.count()).where(OrgUnit.retired_on.is_(None))
                                  .group_by(OrgUnit.kind))
    one = [select(func.count()).select_from(Team), select(func.count()).where(Team.active),
           select(func.count()).select_from(Member), select(func.count()).select_from(Report),
           select(func.count()).where(OrgUnit.retired_on.is_not(None))]
    values = [await session.scalar(q) for q in one]
    return {"units": dict(sorted(kinds.all())), "teams": values[0], "active_teams": values[1],
            "members": values[2], "reports": values[3], "retired": values[4]}


async def settled_map(session, tmp_path: Path) -> tuple[Path, remap_draft.Draft]:
    """The draft map of the 2025 roster against the tree, with the settled lines added."""
    draft, problems = await remap_draft.draft_map(session, ROSTER_2025)
    assert not problems
    path = tmp_path / "map.csv"
    path.write_text(remap_draft.write_map(draft, ROSTER_2025) + "\n".join(SETTLED) + "\n", encoding="utf-8")
    return path, draft


async def remapped(database, tmp_path: Path, dry_run: bool = False) -> tuple[dict, dict, remap.Plan]:
    """Seed the demo tree, remap it onto 2025 with the settled draft: counts before and after, and the plan."""
    async with database.session() as session:
        await seed(session)
        before = await counts(session)
        path, _draft = await settled_map(session, tmp_path)
        plan = await remap.plan_remap(session, path, EFFECTIVE)
        assert plan.problems == []
        if not dry_run:
            await remap_apply.apply_remap(session, plan)
            await session.commit()
    async with database.session() as session:
        return before, await counts(session), plan


async def test_the_demo_tree_remaps_to_2025_and_every_team_member_and_report_survives(any_db, demo_roster, tmp_path):
    before, after, plan = await remapped(any_db, tmp_path)
    assert (after["members"], after["reports"]) == (before["members"], before["reports"])
    assert after["teams"] == before["teams"] + plan.codes_issued == before["teams"] + 40  # the former Kon Tum's units
    assert before["units"] == {"commune": 173, "district": 13, "province": 1, "village": 954}
    assert after["units"] == {"commune": 86, "province": 1, "special_zone": 1, "village": 954, "ward": 9}
    assert after["retired"] == 173 + 13
    assert after["active_teams"] == before["active_teams"] - len(plan.folded) + plan.codes_issued
    async with any_db.session() as session:
        in_closed = await session.scalar(select(func.count()).select_from(Member).join(Team).where(~Team.active))
        assert in_closed == 0  # every member of a merged team joined the kept one
        kept = await session.scalar(select(Team).join(OrgUnit).where(OrgUnit.code == AN_PHU))
        nghia_ha = await org.unit_by_code(session, "21256")
        assert nghia_ha.retired_on == EFFECTIVE and nghia_ha.parent_id == kept.unit_id


async def remap_into_an_phu(session, tmp_path) -> tuple[list[str], list]:
    """Seed and apply the settled demo map: the codes merged into An Phú and their 2024 roll-ups from before."""
    await seed(session)
    path, _draft = await settled_map(session, tmp_path)
    plan = await remap.plan_remap(session, path, EFFECTIVE)
    olds = [code for code, new in plan.successor.items() if new == AN_PHU]
    parts = [await reports.rollup(session, await org.unit_by_code(session, code), date(2024, 1, 1),
                                  date(2024, 12, 31), deadline=DEADLINE, count_ids=[]) for code in olds]
    await remap_apply.apply_remap(session, plan)
    await session.commit()
    return olds, parts


async def test_a_2024_rollup_on_the_new_tree_equals_the_sum_of_its_predecessors(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        olds, parts = await remap_into_an_phu(session, tmp_path)
        assert {"21256", "21037", "21034"} <= set(olds)
    async with any_db.session() as session:
        province = await org.unit_by_code(session, "51")
        view = await reports.rollup(session, province, date(2024, 1, 1), date(2024, 12, 31), deadline=DEADLINE,
                                    count_ids=[])
        [an_phu] = [row for row in view.units if row.unit.code == AN_PHU]
        assert (an_phu.reports, an_phu.people) == (sum(p.total.reports for p in parts),
                                                   sum(p.total.people for p in parts))
        assert an_phu.reports > 0
        assert view.total.reports == await session.scalar(select(func.count()).select_from(Report))
        districts = [row for row in view.units if row.unit.kind == "district"]
        assert districts and all(row.unit.retired_on == EFFECTIVE for row in districts)  # their officers' own reports
        below = await reports.rollup(session, an_phu.unit, date(2024, 1, 1), date(2024, 12, 31), deadline=DEADLINE,
                                     count_ids=[])
        assert {row.unit.name for row in below.units if row.unit.retired_on} >= {"Xã Nghĩa Hà", "Xã Nghĩa Dõng"}


async def test_a_broadcast_after_the_change_reaches_members_through_their_new_unit(any_db, demo_roster, tmp_path):
    await remapped(any_db, tmp_path)
    async with any_db.session() as session:
        an_phu = await org.unit_by_code(session, AN_PHU)
        moved = await session.scalar(select(func.count()).select_from(Member).join(Team).join(OrgUnit)
                                     .where(org.in_subtree(an_phu)))
        audience = await broadcast.resolve(session, broadcast.Audience(units=[AN_PHU]), None)
        assert (await broadcast.preview(session, audience, {})).members == moved >= 2 * 6  # six merged communes
        wards = await broadcast.resolve(session, broadcast.Audience(levels=["ward"]), None)
        assert (await broadcast.preview(session, wards, {})).members > 0
        assert "district" not in [kind for level in await broadcast.levels_in(session, None) for kind in level.kinds]


async def snapshot(database) -> list:
    """Every unit, team, member and report path as stored, to show nothing changed."""
    queries = [select(OrgUnit.id, OrgUnit.code, OrgUnit.parent_id, OrgUnit.path, OrgUnit.retired_on),
               select(Team.id, Team.unit_id, Team.active, Team.invite_code), select(Member.id, Member.team_id),
               select(Report.id, Report.unit_path), select(UnitLineage.id)]
    async with database.session() as session:
        return [[tuple(r) for r in (await session.execute(q.order_by(q.selected_columns[0])))] for q in queries]


async def test_a_dry_run_changes_nothing(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        await seed(session)
        path, _draft = await settled_map(session, tmp_path)
    before = await snapshot(any_db)
    async with any_db.session() as session:
        plan = await remap.plan_remap(session, path, EFFECTIVE)
    assert (plan.problems, len(plan.retired), len(plan.created)) == ([], 186, 96)
    assert plan.members_moved > 0 and plan.teams_moved > 0 and plan.codes_issued == 40
    assert await snapshot(any_db) == before


BAD_MAPS = [
    ("old_code,new_code,new_name,new_kind,new_parent_code\n21256,21034,Xã An Phú,commune,51\n"
     "99999,21034,Xã An Phú,commune,51\n", ["map.csv:3: unknown unit code 99999"]),
    ("old_code,new_code,new_name,new_kind,new_parent_code\n# a comment\n21256,21037,Xã A,commune,51\n"
     "21037,21256,Xã B,commune,51\n",
     ["map.csv:3,4: the map goes round in a cycle (21256 → 21037 → 21256)"]),
    ("old_code,new_code,new_name,new_kind,new_parent_code\n21256,77777,Xã Mới,commune,88888\n",
     ["map.csv:2: unit 77777: unknown parent 88888"]),
    ("old_code,new_code,new_name,new_kind,new_parent_code\n21256,21256-01,,,\n",
     ["map.csv:2: unit 21256 cannot become 21256-01, which is inside it"]),
]


@pytest.mark.parametrize(("text", "problems"), BAD_MAPS, ids=["unknown code", "cycle", "unknown parent", "inside"])
async def test_a_bad_map_is_refused_by_line_and_changes_nothing(any_db, demo_roster, tmp_path, text, problems):
    path = tmp_path / "map.csv"
    path.write_text(text, encoding="utf-8")
    before = await snapshot(any_db)
    async with any_db.session() as session:
        plan = await remap.plan_remap(session, path, EFFECTIVE)
    assert [p.replace(f"{tmp_path}/", "") for p in plan.problems] == problems
    assert await snapshot(any_db) == before


def test_the_cli_dry_run_prints_the_preview_and_a_bad_map_exits_with_its_lines(db, demo_roster, tmp_path, capsys,
                                                                                monkeypatch):
    import asyncio

    async def prepare():
        async with db.session() as session:
            await seed(session)
            return (await settled_map(session, tmp_path))[0]

    path = asyncio.run(prepare())
    monkeypatch.setenv("CDSBOT_DATABASE_URL", str(db.engine.url))
    drafted = tmp_path / "draft.csv"
    assert main(["units", "remap-draft", str(ROSTER_2025), "-o", str(drafted)]) == 0
    said = capsys.readouterr()
    assert "169 current unit(s) matched, 2 name(s) not matched, 40 new unit(s) with no predecessor here" in said.out
    assert "line 44: 21409 Xã Long Phụng: 'Xã Thắng Lợi': no current unit" in said.err
    assert drafted.read_text(encoding="utf-8").count("\n21256,21034,Xã An Phú,commune,51\n") == 1
    assert main(["units", "remap", str(path), "--effective", "2025-07-01", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "186 unit(s) retired, 96 created" in out and "dry run: nothing was changed" in out
    assert "Xã An Phú [21034] ← Xã Nghĩa Hà [21256] (team Tổ CNSCĐ Xã Nghĩa Hà, 2 member(s))" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_MAPS[0][0], encoding="utf-8")
    assert main(["units", "remap", str(bad), "--effective", "2025-07-01"]) == 2
    assert f"{bad}:3: unknown unit code 99999" in capsys.readouterr().err


async def test_a_merged_teams_printed_invite_code_joins_the_team_its_members_joined(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        old_code = await session.scalar(select(Team.invite_code).join(OrgUnit).where(OrgUnit.code == "21256"))
    await remapped(any_db, tmp_path)
    async with any_db.session() as session:
        team = await org.team_by_invite(session, old_code.lower())
        assert team is not None and team.active and team.name == "Tổ CNSCĐ Xã An Phú"


async def test_the_2025_demo_roster_imports_its_kinds(db):
    result = await import_files(db, DEMO_TREES["2025"], show_progress=False)
    assert (result.problems, result.created, result.teams_created) == ([], 97, 97)
    async with db.session() as session:
        assert (await org.stats(session))["units"] == {"commune": 86, "province": 1, "special_zone": 1, "ward": 9}
        assert [level.kinds for level in await broadcast.levels_in(session, None)] == [
            ("province",), ("commune", "ward", "special_zone")]


async def test_members_of_merged_teams_are_told_their_new_team_and_leader_in_their_language(any_db, demo_roster,
                                                                                             tmp_path):
    async with any_db.session() as session:
        await seed(session)
        first, second = (await session.execute(select(Member).join(Team).join(OrgUnit)
                                               .where(OrgUnit.code == "21256").order_by(Member.id))).scalars()
        first.role, second.locale = "leader", "en"
        await session.commit()
        path, _draft = await settled_map(session, tmp_path)
        plan = await remap.plan_remap(session, path, EFFECTIVE)
        told = await remap_apply.apply_remap(session, plan, NOW)
        await session.commit()
    async with any_db.session() as session:
        merged = await session.scalar(select(func.count()).select_from(Member).where(
            Member.team_id.in_([plan.keeper[new] for new in plan.merged])))
        rows = list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())
    assert told == merged == len(rows) == len({row.member_id for row in rows}) > 0
    by_member = {row.member_id: row.payload["text"] for row in rows}
    assert by_member[second.id] == ("From 1 Jul 2025, after the reorganisation, your team is Tổ CNSCĐ Xã An Phú "
                                    f"(Xã An Phú).\nLeader: {first.full_name}")
    assert by_member[first.id].startswith("Từ ngày 01/07/2025, sau khi sắp xếp lại đơn vị hành chính, tổ của bạn là "
                                          "Tổ CNSCĐ Xã An Phú (Xã An Phú).\nTổ trưởng: ")


async def test_a_reminder_after_the_change_reaches_the_moved_members_once_through_their_new_team(any_db, demo_roster,
                                                                                                 tmp_path):
    await remapped(any_db, tmp_path)
    spec = reminders.template(campaign="dx", name={"vi": "Ngày CĐS"}, year=2025, start=date(2025, 7, 1),
                              end=date(2025, 12, 31), deadline=date(2025, 12, 31), target="members", levels=[],
                              roles=["member", "leader"], text=None, guide=None)
    async with any_db.session() as session:
        missing = await reminders.missing_teams(session, date(2025, 7, 1), date(2025, 12, 31))
        assert all(team.active for team, _unit in missing)  # merged teams are closed: never reminded
        assert not any(unit.retired_on for _team, unit in missing)  # retired units (the districts) are not chased
        told = await session.scalar(select(func.max(Delivery.id)))  # the remap's notices to merged teams
        queued = await reminders.fire(session, spec, NOW)
        await session.commit()
        rows = list((await session.execute(select(Delivery.member_id, Team.unit_id).join(
            Member, Delivery.member_id == Member.id).join(Team, Member.team_id == Team.id)
            .where(Delivery.id > told))).all())
    ordinary = await _count(any_db, select(func.count()).select_from(Member).where(Member.role == "member"))
    assert queued == len(rows) == len({member for member, _unit in rows}) == ordinary  # district officers: role officer
    an_phu_members = [member for member, unit in rows if unit == await _unit_id(any_db, AN_PHU)]
    assert len(an_phu_members) == 2 * 6  # the six merged communes' members, through Xã An Phú's team


async def _count(database, query) -> int:
    async with database.session() as session:
        return await session.scalar(query)


async def _unit_id(database, code: str) -> int:
    async with database.session() as session:
        return (await org.unit_by_code(session, code)).id
