"""Quarterly and annual reports: reminders and escalations at their planned times, each for its own period."""

import shutil
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import LOCAL_TZ, FakeClock
from bot.scheduler import Scheduler
from bot.services import arming, periods
from bot.services.campaigns import check_campaigns, load_campaign
from bot.services.reminders import period_spec
from bot.services.schedule_rules import BadRule, Rule
from tests.fakes.members import add_members
from tests.services.test_monthly_reminders import TEAMS, sent_on
from tests.services.test_reminders import DUC_NHUAN, MO_DUC, add_person, members_of, report
from tests.test_cli import cdsbot, sqlite_url


async def armed_with(db, campaign_id: str, at: datetime) -> None:
    """Đức Nhuận's teams with members, a commune and a district officer, and one reporting duty armed at `at`."""
    await add_members(db, 60, under=DUC_NHUAN)
    await add_person(db, DUC_NHUAN, "officer", "commune-officer")
    await add_person(db, MO_DUC, "officer", "district-officer")
    async with db.session() as session:
        outcome = await arming.arm(session, load_campaign(campaign_id), None, None, at)
        await session.commit()
    assert {result for _, result in outcome} == {"armed"}


async def days(db, armed_at: datetime, first: date, last: date, reports: dict) -> dict:
    """Tick at 08:00 every day from `first` to `last`, filing `reports` on their day; {day: rows queued}."""
    clock = FakeClock(armed_at)
    scheduler = Scheduler(db, clock)
    scheduler.active = True
    sent, day = {}, first
    while day <= last:
        if rows := await sent_on(db, scheduler, clock, day):
            sent[day] = rows
        for code, activity_date in reports.get(day, []):
            await report(db, code, activity_date)
        day += timedelta(days=1)
    return sent


async def test_quarterly_reminders_fire_on_their_days_for_the_quarter_just_ended(any_db, demo_roster):
    db, armed_at = demo_roster, datetime(2027, 12, 20, tzinfo=UTC)
    await armed_with(db, "quarterly-report", armed_at)
    await report(db, "21409-01", date(2027, 11, 3))  # Q4: never reminded
    await report(db, "21409-03", date(2027, 9, 30))  # Q3 only: still owes Q4
    sent = await days(db, armed_at, date(2028, 1, 1), date(2028, 1, 31),
                      {date(2028, 1, 8): [("21409-02", date(2027, 12, 28))]})  # Q4's, between the reminders
    assert sorted(sent) == [date(2028, 1, d) for d in (7, 9, 11, 12, 13)]
    assert set(await members_of(db, sent[date(2028, 1, 7)])) == TEAMS - {"21409-01"}
    assert set(await members_of(db, sent[date(2028, 1, 9)])) == TEAMS - {"21409-01", "21409-02"}
    texts = {r.payload["text"] for r in sent[date(2028, 1, 7)]}
    assert any("hạn gửi báo cáo hoạt động Quý IV/2027 là ngày 10/01/2028" in t for t in texts)
    assert any("the activity report for Q4 2027 is due on 10/01/2028" in t for t in texts)
    leaders = await members_of(db, sent[date(2028, 1, 11)])
    assert set(leaders) == TEAMS - {"21409-01", "21409-02"} and all(r == {"leader"} for r in leaders.values())
    note = next(r.payload["text"] for r in sent[date(2028, 1, 12)] if r.external_id == "commune-officer")
    assert "in Xã Đức Nhuận have not sent their activity report for Q4 2027 (due 10 Jan 2028)" in note
    assert "Thôn 3" in note and "Thôn 1" not in note
    assert [r.external_id for r in sent[date(2028, 1, 13)]] == ["district-officer"]


async def test_annual_reminders_fire_in_november_before_the_departments_deadline(any_db, demo_roster):
    db, armed_at = demo_roster, datetime(2027, 11, 1, tzinfo=UTC)
    await armed_with(db, "annual-report", armed_at)
    await report(db, "21409-01", date(2027, 3, 15))  # this year: never reminded
    await report(db, "21409-02", date(2026, 12, 20))  # last year only: still owes 2027
    sent = await days(db, armed_at, date(2027, 11, 15), date(2027, 12, 5), {})
    assert sorted(sent) == [date(2027, 11, d) for d in (18, 22, 24, 26, 27, 28)]
    assert set(await members_of(db, sent[date(2027, 11, 18)])) == TEAMS - {"21409-01"}
    texts = {r.payload["text"] for r in sent[date(2027, 11, 24)]}
    assert any("báo cáo hoạt động năm 2027 là ngày 25/11/2027" in t for t in texts)
    assert any("the activity report for 2027 is due on 25/11/2027" in t for t in texts)
    assert "activity report for the year 2027 (due 25 Nov 2027)" in sent[date(2027, 11, 27)][0].payload["text"]


def test_the_period_a_step_chases_and_its_words_in_vietnamese():
    steps = {s.key.split(":")[-1]: s for s in arming.steps(load_campaign("quarterly-report"), None)}
    spec = period_spec(steps["escalate-d1-leader"].template, datetime(2027, 4, 11, 8, tzinfo=LOCAL_TZ))
    assert (spec["start"], spec["end"], spec["deadline"]) == ("2027-01-01", "2027-03-31", "2027-04-10")
    assert spec["name"] == {"vi": "quý I năm", "en": "Q1"}  # "… báo cáo hoạt động quý I năm 2027"
    annual = arming.steps(load_campaign("annual-report"), None)[0]
    spec = period_spec(annual.template, datetime(2027, 11, 18, 8, tzinfo=LOCAL_TZ))
    assert (spec["start"], spec["end"], spec["deadline"], spec["name"]["vi"]) == (
        "2027-01-01", "2027-12-31", "2027-11-25", "năm")


def test_quarterly_rule_fires_in_the_first_month_of_each_quarter():
    rule = Rule.from_dict({"every": "quarterly", "day": 10, "time": "23:59"})
    assert rule.to_dict() == {"every": "quarterly", "day": 10, "time": "23:59"} and rule.describe() == \
        "quarterly day 10 23:59"
    due, after = [], datetime(2027, 1, 11, tzinfo=LOCAL_TZ)
    for _ in range(4):
        after = rule.next_after(after)
        due.append(after.date())
    assert due == [date(2027, 4, 10), date(2027, 7, 10), date(2027, 10, 10), date(2028, 1, 10)]
    with pytest.raises(BadRule, match="quarterly needs a day of the month"):
        Rule.from_dict({"every": "quarterly", "time": "08:00"})


def test_roll_up_periods_take_the_quarterly_and_annual_deadlines():
    assert periods.parse("2026-Q4").deadline == datetime(2027, 1, 10, 23, 59, tzinfo=LOCAL_TZ)
    assert periods.parse("2027").deadline == datetime(2027, 11, 25, 23, 59, tzinfo=LOCAL_TZ)
    assert periods.parse("2026-11").deadline == datetime(2026, 12, 5, 23, 59, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("campaign", "old", "new", "words"),
    [
        ("quarterly-report", "department_deadline: 15 ", "department_deadline: 9 ",
         "department_deadline 9 must come after the teams' deadline (10)"),
        ("quarterly-report", "department_deadline: 15 ", "department_deadline: 12 ",
         "must come after the last escalation (day 13)"),
        ("quarterly-report", "{quarter} is due", "{month} is due", "unknown placeholder {month}"),
        ("quarterly-report", "day: 10,", "day: 27,", "day 1 to 28 of the month after the quarter"),
        ("annual-report", 'department_deadline: "30-11"', 'department_deadline: "20-11"',
         "department_deadline 20-11 must come after the teams' deadline (25-11)"),
        ("annual-report", 'department_deadline: "30-11"', 'department_deadline: "31-02"', "not a day of the year"),
        ("annual-report", "[7, 3, 1]", "[30, 3, 1]", "day 1 to 28 of the deadline's month"),
    ],
)
def test_content_check_refuses_a_broken_reporting_rhythm(tmp_path, campaign, old, new, words):
    shipped = load_campaign(campaign).path
    text = shipped.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / shipped.name).write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check_campaigns(tmp_path, guide_ids={"bot-gui-bao-cao"})
    assert any(words in p.message for p in problems), [str(p) for p in problems]


def test_shipped_rhythm_is_valid():
    folder = load_campaign("quarterly-report").path.parent
    assert check_campaigns(folder) == []


def test_campaign_plan_shows_each_step_on_its_next_day_naming_its_quarter(tmp_path, db):
    shutil.copyfile(db.url.removeprefix("sqlite+aiosqlite:///"), tmp_path / "cli.db")
    done = cdsbot(tmp_path, "campaign", "plan", "quarterly-report", CDSBOT_DATABASE_URL=sqlite_url(tmp_path / "cli.db"))
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()[1:]]
    assert [row[2] for row in rows] == ["report-reminder-d3", "report-reminder-d1", "escalate-d1-leader",
                                        "escalate-d2-officers-above", "escalate-d3-officers-two-above"]
    first = datetime.strptime(rows[0][0], "%d/%m/%Y").date()
    assert first.day == 7 and first.month in (1, 4, 7, 10) and rows[0][1] == "08:00"
    year, roman = (first.year - 1, "IV") if first.month == 1 else (first.year, ("I", "II", "III")[first.month // 3 - 1])
    assert f"Quý {roman}/{year} là ngày 10/{first:%m/%Y}" in rows[0][4]
    assert f"for Q{('I', 'II', 'III', 'IV').index(roman) + 1} {year} is due on 10/{first:%m/%Y}" in rows[0][5]
