"""A campaign's roll-up (DX Day of a year) takes its dates and its "on time" deadline from the calendar the
department stored in the console, as arming and the duty pages do, not from the campaign file's usual dates."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.db.models import OrgUnit, Team
from bot.db.reports import Report
from bot.services import calendar_overrides, periods
from tests.web.conftest import add_member, client, clock, people, sign_in  # noqa: F401 (fixtures)
from tests.web.test_rollup import cells

KEY = "campaign:national-dx-day:2026"
MOVED = dict(period_start=date(2026, 9, 21), period_end=date(2026, 11, 6), deadline=date(2026, 10, 20),
             department_deadline=date(2026, 10, 26))  # the file's: 28/09–31/10, teams by 12/10, department 15/10


async def _move_the_calendar(db) -> None:
    async with db.session() as session:
        campaign = periods.parse(KEY).campaign
        cal = calendar_overrides.defaults(campaign, 2026)
        moved = calendar_overrides.YearCalendar(2026, cal.week_start, cal.week_end, **MOVED)
        await calendar_overrides.save(session, campaign, moved, by="test", now=datetime(2026, 9, 1, tzinfo=UTC))
        await session.commit()


async def _report(db, unit_code: str, member_id: int, day: date, filed: datetime) -> None:
    async with db.session() as session:
        team_id, path = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                               .where(OrgUnit.code == unit_code))).one()
        session.add(Report(team_id=team_id, unit_path=path, type_id="public_services", activity_date=day,
                           status="approved", counts={"people": 7}, people=7, filed_by_member_id=member_id,
                           draft_key=f"moved-{unit_code}-{day}", created_at=filed))
        await session.commit()


async def test_the_stored_calendar_gives_the_period_its_dates_and_deadline(db):
    await _move_the_calendar(db)
    async with db.session() as session:
        period = await periods.stored(session, periods.parse(KEY))
    assert (period.start, period.end) == (MOVED["period_start"], MOVED["period_end"])
    assert period.deadline.date() == MOVED["deadline"]


async def test_a_report_in_by_the_moved_deadline_counts_on_time_on_the_rollup_page(client, demo_roster, people):  # noqa: F811
    await _move_the_calendar(demo_roster)
    one = await add_member(demo_roster, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    three = await add_member(demo_roster, "21409-03", "Phạm Thị Ba", "+84905000013", "chat-13")
    await _report(demo_roster, "21409-01", one, date(2026, 10, 14), datetime(2026, 10, 16, 3, 0, tzinfo=UTC))
    await _report(demo_roster, "21409-03", three, date(2026, 11, 4), datetime(2026, 11, 4, 3, 0, tzinfo=UTC))
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get(f"/admin/reports/rollup?period={KEY}")).text()
    assert "20/10/2026" in page  # the deadline shown is the department's moved one
    assert cells(page, "21409-01")[1:4] == ["1/1", "1", "1"]  # in on 16/10: on time by the moved deadline
    assert cells(page, "21409-03")[1:4] == ["1/1", "0", "1"]  # done on 04/11: inside the moved period, late
