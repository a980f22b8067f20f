
"""Reminders go to teams that have not reported, drop a team as soon as it reports, and escalate on the days set."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.services import arming, schedules
from bot.services.campaigns import load_campaign
from bot.services.schedule_rules import Policy
from tests.fakes.members import add_members

DUC_NHUAN, MO_DUC = "21409", "533"
NOW = datetime(2027, 9, 1, tzinfo=UTC)


async def team_of(db, code: str) -> Team:
    async with db.session() as session:
        return (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                      .where(OrgUnit.code == code))).scalar_one()


async def add_person(db, code: str, role: str, external_id: str) -> int:
    team = await team_of(db, code)
    async with db.session() as session:
        member = Member(full_name=f"Cán bộ {code}", team_id=team.id, role=role, locale="en", created_at=NOW)
        session.add(member)
        await session.flush()
        session.add(ChannelAccount(member_id=member.id, channel="telegram", external_id=external_id, linked_at=NOW))
        await session.commit()
        return member.id


async def report(db, code: str, on: date) -> None:
    team = await team_of(db, code)
    async with db.session() as session:
        unit = await session.get(OrgUnit, team.unit_id)
        filer = (await session.execute(select(Member.id).where(Member.team_id == team.id).limit(1))).scalar_one()
        session.add(Report(team_id=team.id, unit_path=unit.path, type_id="support", activity_date=on, counts={},
                           people=3, filed_by_member_id=filer, draft_key=f"{code}-{on}",
                           created_at=datetime.combine(on, datetime.min.time(), tzinfo=LOCAL_TZ)))
        await session.commit()


async def reminders_at(db, day: int) -> list[Delivery]:
    """Fire everything due at 08:00 on `day` October 2027; the reminder rows it queued."""
    await schedules.fire_due(db, datetime(2027, 10, day, 8, 0, tzinfo=LOCAL_TZ), Policy())
    async with db.session() as session:
        rows = (await session.execute(select(Delivery).where(
            Delivery.broadcast_id.is_(None), Delivery.status == "queued"))).scalars().all()
        for row in rows:
            row.status = "sent"
        await session.commit()
        return list(rows)


async def members_of(db, rows: list[Delivery]) -> dict[str, set[str]]:
    """{unit code: {roles}} of the members the rows go to."""
    async with db.session() as session:
        query = (select(OrgUnit.code, Member.role).join(Team, Team.unit_id == OrgUnit.id)
                 .join(Member, Member.team_id == Team.id).where(Member.id.in_([r.member_id for r in rows])))
        found: dict[str, set[str]] = {}
        for code, role in await session.execute(query):
            found.setdefault(code, set()).add(role)
        return found


@pytest.fixture
async def armed(demo_roster):
    """Đức Nhuận's teams with members, a commune and a district officer, and the 2027 DX campaign armed."""
    db = demo_roster
    await add_members(db, 60, under=DUC_NHUAN)
    await add_person(db, DUC_NHUAN, "officer", "commune-officer")
    await add_person(db, MO_DUC, "officer", "district-officer")
    async with db.session() as session:
        await arming.arm(session, load_campaign("national-dx-day"), 2027, {"vi": "Chủ đề 2027"}, NOW)
        await session.commit()
    return db


async def test_reminders_reach_only_non_reporters_and_escalate(armed):
    db = armed
    await report(db, "21409-01", date(2027, 10, 2))
    before = await members_of(db, await reminders_at(db, 9))
    assert "21409-01" not in before and {"21409", "21409-02", "21409-03"} <= set(before)
    assert all(roles <= {"member", "leader"} for roles in before.values())

    await report(db, "21409-02", date(2027, 10, 10))  # reports between the two reminders
    day_before = await members_of(db, await reminders_at(db, 11))
    assert "21409-02" not in day_before and "21409-01" not in day_before and "21409-03" in day_before

    assert await reminders_at(db, 12) == []  # deadline day: the campaign's own message, no reminder
    leaders = await members_of(db, await reminders_at(db, 13))
    assert set(leaders) == set(day_before) and all(roles == {"leader"} for roles in leaders.values())

    # the last step (before the department's deadline, 15/10) tells the officers of the level above each missing
    # team: the commune's of its villages, the district's of the commune's own team
    notes = {r.external_id: r.payload["text"] for r in await reminders_at(db, 14)}
    assert set(notes) == {"commune-officer", "district-officer"}
    assert "teams in Xã Đức Nhuận have not sent" in notes["commune-officer"]
    assert "Thôn 3" in notes["commune-officer"] and "Thôn 1" not in notes["commune-officer"]
    assert "Thôn 2" not in notes["commune-officer"] and "Xã Đức Nhuận" not in notes["commune-officer"].split("\n", 1)[1]
    assert "in Huyện Mộ Đức" in notes["district-officer"] and "• Tổ CNSCĐ Xã Đức Nhuận" in notes["district-officer"]
    assert "Thôn" not in notes["district-officer"]


async def test_reminder_text_and_guide_follow_the_members_language(armed):
    db = armed
    rows = await reminders_at(db, 9)
    by_lang = {r.payload["text"].split(":")[0] for r in rows}
    assert by_lang == {"Nhắc nhẹ", "A gentle reminder"}
    assert all(r.priority == 10 for r in rows)  # bulk, behind replies
    assert {r.payload["buttons"][0][0]["payload"] for r in rows} == {"guide:bot-gui-bao-cao"}
    assert "12/10/2027" in rows[0].payload["text"]


async def test_a_team_that_reported_before_arming_time_is_never_reminded(armed):
    db = armed
    for code in ("21409", "21409-01", "21409-02", "21409-03", "21409-04", "21409-05"):
        await report(db, code, date(2027, 9, 30))
    assert await reminders_at(db, 9) == []  # the only teams with members all reported
    assert len(await reminders_at(db, 13)) == 0  # the leaders of teams with none are not reminded
    notes = [r.payload["text"] for r in await reminders_at(db, 14)]  # only Mộ Đức's other communes are named
    assert notes and not any("Đức Nhuận" in note or "Thôn" in note for note in notes)
