"""Issue 13 item 5: the campaign's team deadline falls before the department's own, and the reminders follow the
team deadline, also when the department moves the year's dates in the console (the calendar in the database)."""

from datetime import UTC, date, datetime

import pytest

from bot.clock import LOCAL_TZ
from bot.services import arming, calendar_overrides, campaigns, duties

NOW = datetime(2027, 9, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def campaign():
    return campaigns.load_campaign("national-dx-day")


def _days(steps) -> dict[str, date]:
    return {s.key.split(":")[-1]: s.when.astimezone(LOCAL_TZ).date() for s in steps}


async def _moved(db, campaign, deadline: date, department: date) -> None:
    async with db.session() as session:
        cal = calendar_overrides.defaults(campaign, 2027)
        moved = calendar_overrides.YearCalendar(2027, cal.week_start, cal.week_end, cal.period_start, cal.period_end,
                                                deadline, department)
        await calendar_overrides.save(session, campaign, moved, by="test", now=NOW)
        await session.commit()


async def test_the_reminders_follow_the_team_deadline_and_all_come_before_the_departments(db, campaign):
    await _moved(db, campaign, date(2027, 10, 11), date(2027, 10, 16))
    async with db.session() as session:
        steps = await arming.planned(session, campaign, 2027, {"vi": "Chủ đề", "en": "Theme"})
        duty = await duties.by_key(session, "campaign:national-dx-day:2027")
    days = _days(steps)
    assert (duty.team_deadline, duty.department_deadline) == (date(2027, 10, 11), date(2027, 10, 16))
    assert duty.period.deadline.astimezone(LOCAL_TZ).date() == date(2027, 10, 11)
    assert days["report-reminder-d3"] == date(2027, 10, 8) and days["report-reminder-d1"] == date(2027, 10, 10)
    assert days["deadline-day"] == days["officers-feedback"] == date(2027, 10, 11)
    escalations = [d for k, d in days.items() if k.startswith("escalate-")]
    assert sorted(escalations) == [date(2027, 10, 12), date(2027, 10, 13)]
    assert max(escalations) < duty.department_deadline
    assert days["department-deadline"] == date(2027, 10, 15)  # the eve of the department's own deadline
    reminder = next(s for s in steps if s.key.endswith("report-reminder-d1"))
    assert reminder.template["deadline"] == "2027-10-11"  # who is missing is counted up to the teams' deadline


async def test_a_team_deadline_on_or_after_the_departments_is_refused(db, campaign):
    with pytest.raises(calendar_overrides.BadCalendar):
        await _moved(db, campaign, date(2027, 10, 15), date(2027, 10, 15))
    with pytest.raises(calendar_overrides.BadCalendar):  # the last escalation would fall on the department's day
        await _moved(db, campaign, date(2027, 10, 13), date(2027, 10, 15))


async def test_every_duty_of_the_year_has_its_team_deadline_before_the_departments(db):
    async with db.session() as session:
        found = await duties.of_year(session, 2027)
    assert {d.key for d in found} >= {"campaign:national-dx-day:2027", "2027-Q3", "2027", "2027-01"}
    assert all(d.team_deadline < d.department_deadline for d in found if d.department_deadline)
    steering = next(d for d in found if d.key == "2027")
    assert (steering.team_deadline, steering.department_deadline) == (date(2027, 11, 25), date(2027, 11, 30))
