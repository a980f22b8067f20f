"""Agencies beside the territory (issue 17 item 6): imported from the roster format, a team each, their own
reports and completeness, left out of the province's roll-up unless asked, reachable by broadcasts as a group."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.cli.common import import_files
from bot.cli.serving import DEMO_AGENCIES, DEMO_TREES
from bot.db.models import Delivery, OrgUnit, Team
from bot.services import agencies, arming, org, reminders, reports, roster, schedules
from bot.services import broadcast as bc
from bot.services.campaigns import load_campaign, parse_campaign
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join
from tests.services.test_remap import remapped

START, END = date(2026, 11, 1), date(2026, 11, 30)
DEADLINE = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
AGENCY, COMMUNE = "CQ-SKHCN", "21409"  # Sở Khoa học và Công nghệ; Xã Đức Nhuận
AGENCY_UNITS = 28  # the group, 25 agencies and 2 sub-units in content/units/agencies/quang-ngai-agencies.csv


@pytest.fixture
async def with_agencies(any_db, demo_roster):
    """The demo province with its agencies imported on top, as `cdsbot demo` does."""
    result = await import_files(any_db, DEMO_AGENCIES, show_progress=False)
    assert (result.problems, result.created, result.teams_created) == ([], AGENCY_UNITS, AGENCY_UNITS)
    return any_db


async def unit(db, code: str) -> OrgUnit:
    async with db.session() as session:
        return await org.unit_by_code(session, code)


async def rollup(db, code: str, agencies_too: bool = False, start: date = START, end: date = END) -> reports.Rollup:
    async with db.session() as session:
        return await reports.rollup(session, await org.unit_by_code(session, code), start, end, deadline=DEADLINE,
                                    count_ids=["people"], agencies_too=agencies_too)


def figures(result: reports.Rollup) -> list[tuple]:
    """What the roll-up shows, row by row: code, reports, people, teams reported / expected."""
    return [(row.unit.code, row.reports, row.people, row.reported, row.expected)
            for row in [*result.units, result.total]]


async def test_the_agencies_roster_is_a_branch_under_the_province_with_a_team_each(with_agencies, tmp_path):
    db = with_agencies
    async with db.session() as session:
        [group] = await agencies.groups(session)
        province = await org.unit_by_code(session, "51")
        teams = {u.code: t for t, u in await org.teams_in(session, group)}
        again = await roster.import_rosters(session, DEMO_AGENCIES)
    assert (group.code, group.name, group.parent_id) == ("CQ", "Cơ quan, tổ chức cấp tỉnh", province.id)
    assert len(teams) == AGENCY_UNITS and teams[AGENCY].name == "Sở Khoa học và Công nghệ"
    assert len({t.invite_code for t in teams.values()}) == AGENCY_UNITS
    assert (again.problems, again.created, again.unchanged) == ([], 0, AGENCY_UNITS)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind,parent_code\nCQ-X,Sở X,agency,CQQ\n", encoding="utf-8")
    async with db.session() as session:
        refused = await roster.import_rosters(session, [bad])
    assert refused.problems == [f"{bad}:2: unit CQ-X: unknown parent CQQ"]


async def test_an_agency_reports_in_its_own_rollup_and_the_provinces_stays_as_it_was(with_agencies):
    db = with_agencies
    harness = Harness(db)
    await file_simple(harness, await join(harness, "c1", "Lê Văn Xã", unit=COMMUNE), people="5")
    before = figures(await rollup(db, "51"))
    report = await file_simple(harness, await join(harness, "s1", "Phạm Thị Sở", unit=AGENCY), people="12")
    assert report.unit_path == (await unit(db, AGENCY)).path
    territory = await rollup(db, "51")
    assert figures(territory) == before  # the territory's figures and completeness unchanged
    assert territory.counts == {"public_services": {"people": 5}}
    assert before[-1][1:] == (1, 5, 1, 1141)
    own = figures(await rollup(db, "CQ"))
    assert (AGENCY, 1, 12, 1, 2) in own  # Sở KH&CN and its centre: one of two teams reported
    assert own[-1] == ("CQ", 1, 12, 1, AGENCY_UNITS)
    asked = figures(await rollup(db, "51", agencies_too=True))
    assert asked[-3] == ("CQ", 1, 12, 1, AGENCY_UNITS)  # after the places, before the own team
    assert asked[-1] == ("51", 2, 17, 2, 1141 + AGENCY_UNITS)
    assert (await rollup(db, "51", agencies_too=True)).counts == {"public_services": {"people": 17}}
    year = await rollup(db, "51", start=date(2026, 1, 1), end=date(2026, 12, 31))  # the yearly totals' path
    assert (figures(year)[-1][1:3], year.counts) == ((1, 5), {"public_services": {"people": 5}})
    year = await rollup(db, "51", True, date(2026, 1, 1), date(2026, 12, 31))
    assert (figures(year)[-1][1:3], year.counts) == ((2, 17), {"public_services": {"people": 17}})
    async with db.session() as session:
        province = await org.unit_by_code(session, "51")
        months = await reports.monthly(session, province, START, END)
        digest = await schedules.month_figures(session, START, END)
    assert months == {(2026, 11): (1, 5)}
    assert (digest["reports"], digest["people"], digest["teams_reported"], digest["teams_total"]) == (1, 5, 1, 1141)


async def test_a_broadcast_to_the_agencies_reaches_agency_members_only(with_agencies):
    db = with_agencies
    harness = Harness(db)
    await join(harness, "c1", "Lê Văn Xã", unit=COMMUNE)
    await join(harness, "s1", "Phạm Thị Sở", unit=AGENCY)
    await join(harness, "v1", "Võ Văn Viễn", unit="CQ-VNPT-TTKD")
    async with db.session() as session:
        audience = await bc.resolve(session, bc.Audience(units=["CQ"]), None)
        broadcast = await bc.create(session, sender=None, audience=audience, text_vi="Gửi các cơ quan",
                                    text_en=None, now=harness.clock.now())
        assert await bc.expand(session, broadcast, harness.clock.now()) == 2
        await session.commit()
        reached = set((await session.execute(select(Delivery.external_id)
                                             .where(Delivery.broadcast_id == broadcast.id))).scalars())
        by_level = await bc.preview(session, await bc.resolve(session, bc.Audience(levels=["commune"]), None), {})
    assert reached == {"s1", "v1"}
    assert by_level.members == 1  # a level is territorial: the commune's member only


async def test_the_composer_lists_the_agencies_apart_from_the_places(with_agencies):
    async with with_agencies.session() as session:
        top = await org.unit_by_code(session, "51")
        rows = [(u, u.depth) for u in await org.subtree(session, top) if u.depth <= 2 or agencies.is_agency(u)]
        teams = {t.unit_id for t in (await session.execute(select(Team))).scalars()}
    places, found = agencies.split_picker(rows)
    depths = {u.code: d for u, d in found}
    assert (found[0][0].code, depths[AGENCY], depths["CQ-VNPT-TTKD"]) == ("CQ", 1, 2) and len(found) == AGENCY_UNITS
    assert all(u.id in teams for u, _ in found)
    assert not any(agencies.is_agency(u) for u, _ in places) and places[0][0].code == "51"



def duty_file(tmp_path, agencies_line: str):
    """The shipped monthly report with its reminders' audience naming the agencies (`agencies_line`)."""
    text = load_campaign("monthly-report").path.read_text(encoding="utf-8")
    head, rest = text.split("  audience: ", 1)
    path = tmp_path / "monthly-report.yaml"
    path.write_text(head + f"  audience: {{levels: [commune], roles: [member, leader]{agencies_line}}}\n"
                    + rest.split("\n", 1)[1], encoding="utf-8")
    return path


def agency_duty(tmp_path, agencies_line: str):
    campaign, problems = parse_campaign(duty_file(tmp_path, agencies_line))
    assert not problems, problems
    return campaign


async def reminded(db, campaign, target: str) -> set[str]:
    """Chats the campaign's first step for `target` reaches on 8 December 2026 (November's report)."""
    step = next(s for s in arming.steps(campaign, None) if s.template["target"] == target)
    due = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    async with db.session() as session:
        await reminders.fire(session, schedules.reminder_spec(step.template, due), due)
        chats = set((await session.execute(select(Delivery.external_id))).scalars())
        await session.execute(Delivery.__table__.delete())
        await session.commit()
    return chats


async def test_a_report_duty_on_the_agencies_reminds_their_leaders_and_not_the_communes(with_agencies, tmp_path):
    db = with_agencies
    harness = Harness(db)
    await join(harness, "c1", "Lê Văn Xã", unit=COMMUNE, role="leader")
    await join(harness, "s1", "Phạm Thị Sở", unit=AGENCY, role="leader")
    await join(harness, "s2", "Đỗ Văn Báo", unit="CQ-BAO")
    async with db.session() as session:
        await session.execute(Delivery.__table__.delete())  # the registration replies
        await session.commit()
    only = agency_duty(tmp_path, ", agencies: only")
    assert only.reminders.audience.agencies == "only"
    assert await reminded(db, only, "leader") == {"s1"}
    assert await reminded(db, only, "members") == {"s1", "s2"}
    assert await reminded(db, agency_duty(tmp_path, ""), "leader") == {"c1"}  # a territorial duty: no agencies
    assert await reminded(db, agency_duty(tmp_path, ", agencies: also"), "leader") == {"c1", "s1"}
    _campaign, problems = parse_campaign(duty_file(tmp_path, ", agencies: yes"))
    assert "agencies must be also (the agencies as well) or only (the agencies alone)" in str(problems)


async def test_the_2025_remap_leaves_the_agencies_where_they_are(with_agencies, tmp_path):
    before, after, plan = await remapped(with_agencies, tmp_path)
    assert not any(code.startswith("CQ") for code in plan.retired)
    async with with_agencies.session() as session:
        [group] = await agencies.groups(session)
        teams = await org.teams_in(session, group)
        province = await org.unit_by_code(session, "51")
    assert group.parent_id == province.id and len(teams) == AGENCY_UNITS and all(t.active for t, _u in teams)
    assert (after["teams"], after["members"]) == (before["teams"] + plan.codes_issued, before["members"])


async def test_the_agencies_import_beside_the_2025_tree_as_cdsbot_demo_tree_2025_does(db):
    result = await import_files(db, DEMO_TREES["2025"] + DEMO_AGENCIES, show_progress=False)
    assert (result.problems, result.created, result.teams_created) == ([], 97 + AGENCY_UNITS, 97 + AGENCY_UNITS)
    async with db.session() as session:
        [group] = await agencies.groups(session)
        assert (await session.get(OrgUnit, group.parent_id)).code == "51"
