"""Issue 18: only the monthly report was scheduled; the quarterly and annual reports had no duty, no reminder
and no deadline, and a quarter or a year in the roll-up took the monthly report's deadline."""

from datetime import date, datetime

from bot.clock import LOCAL_TZ
from bot.services import arming, periods
from bot.services.campaigns import load_campaign
from bot.services.schedules import reminder_spec


def next_day(campaign_id: str, after: datetime) -> tuple[date, str]:
    """The first reminder step of a shipped reporting duty after `after`: (its day, its Vietnamese text)."""
    first = min(arming.steps(load_campaign(campaign_id), None), key=lambda s: s.rule.next_after(after))
    due = first.rule.next_after(after)
    return due.date(), reminder_spec(first.template, due)["text"]["vi"]


def test_quarterly_and_annual_reports_are_duties_with_team_deadlines_before_the_departments():
    quarterly, annual = load_campaign("quarterly-report"), load_campaign("annual-report")
    assert (quarterly.rule.every, quarterly.rule.day, quarterly.department_deadline) == ("quarterly", 10, 15)
    assert (annual.rule.every, annual.rule.month_day, annual.department_deadline) == ("yearly", (11, 25), (11, 30))
    day, text = next_day("quarterly-report", datetime(2026, 12, 1, tzinfo=LOCAL_TZ))
    assert day == date(2027, 1, 7) and "Quý IV/2026 là ngày 10/01/2027" in text
    day, text = next_day("annual-report", datetime(2026, 11, 1, tzinfo=LOCAL_TZ))
    assert day == date(2026, 11, 18) and "năm 2026 là ngày 25/11/2026" in text
    assert periods.parse("2026-Q4").deadline.date() == date(2027, 1, 10)  # not the monthly 05/01/2027
    assert periods.parse("2026").deadline.date() == date(2026, 11, 25)
