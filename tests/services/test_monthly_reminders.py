"""The monthly report: reminders and escalations every month, each firing finding that month's non-reporters."""

import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import LOCAL_TZ, FakeClock
from bot.db.models import Delivery
from bot.db.schedules import Schedule
from bot.scheduler import Scheduler
from bot.services import arming
from bot.services.campaigns import check_campaigns, load_campaign
from tests.fakes.members import add_members
from tests.services.test_reminders import DUC_NHUAN, MO_DUC, add_person, members_of, report
from tests.test_cli import cdsbot, sqlite_url

ARMED_AT = datetime(2027, 9, 20, tzinfo=UTC)
TEAMS = {"21409", "21409-01", "21409-02", "21409-03", "21409-04", "21409-05"}  # Đức Nhuận's teams with members
SHIPPED = load_campaign("monthly-report").path


async def arm(db) -> list[str]:
    async with db.session() as session:
        outcome = await arming.arm(session, load_campaign("monthly-report"), None, None, ARMED_AT)
        await session.commit()
    return [result for _, result in outcome]


@pytest.fixture
async def armed(any_db, demo_roster):
    """Đức Nhuận's teams with members, a commune and a district officer, and the monthly report armed."""
    db = demo_roster
    await add_members(db, 60, under=DUC_NHUAN)
    await add_person(db, DUC_NHUAN, "officer", "commune-officer")
    await add_person(db, MO_DUC, "officer", "district-officer")
    assert await arm(db) == ["armed"] * 5
    return db


async def sent_on(db, scheduler: Scheduler, clock: FakeClock, day: date) -> list[Delivery]:
    """Move the clock to 08:00 on `day` and tick; the reminder rows the tick queued (marked sent)."""
    clock.set(datetime.combine(day, datetime.min.time().replace(hour=8), tzinfo=LOCAL_TZ))
    await scheduler.tick()
    async with db.session() as session:
        rows = list((await session.execute(select(Delivery).where(Delivery.status == "queued"))).scalars())
        for row in rows:
            row.status = "sent"
        await session.commit()
    return rows


async def two_months(db, reports: dict[date, list[tuple[str, date]]]) -> dict[date, list[Delivery]]:
    """Every day from 21 September to 30 November 2027, filing `reports` on their day (after 08:00)."""
    clock = FakeClock(ARMED_AT)
    scheduler = Scheduler(db, clock)
    scheduler.active = True  # no lock to take, no APScheduler: the fake clock drives the ticks
    sent, day = {}, date(2027, 9, 21)
    while day <= date(2027, 11, 30):
        if rows := await sent_on(db, scheduler, clock, day):
            sent[day] = rows
        for code, activity_date in reports.get(day, []):
            await report(db, code, activity_date)
        day += timedelta(days=1)
    return sent


async def test_each_month_reminds_and_escalates_to_that_months_non_reporters(armed):
    db = armed
    await report(db, "21409-01", date(2027, 9, 10))
    sent = await two_months(db, {
        date(2027, 10, 3): [("21409-02", date(2027, 9, 28))],  # September's report, filed between the reminders
        date(2027, 10, 20): [("21409-03", date(2027, 10, 15))],  # October's only
    })
    assert sorted(sent) == [date(2027, m, d) for m in (10, 11) for d in (2, 4, 6, 8, 10)]

    first = await members_of(db, sent[date(2027, 10, 2)])
    assert set(first) == TEAMS - {"21409-01"} and all(roles <= {"member", "leader"} for roles in first.values())
    assert set(await members_of(db, sent[date(2027, 10, 4)])) == TEAMS - {"21409-01", "21409-02"}
    leaders = await members_of(db, sent[date(2027, 10, 6)])
    assert set(leaders) == TEAMS - {"21409-01", "21409-02"} and all(r == {"leader"} for r in leaders.values())
    above = {r.external_id: r.payload["text"] for r in sent[date(2027, 10, 8)]}  # the level above each team
    assert set(above) == {"commune-officer", "district-officer"}
    note = above["commune-officer"]
    assert "teams in Xã Đức Nhuận have not sent their activity report for September 2027" in note
    assert "Thôn 3" in note and "Thôn 1" not in note and "Thôn 2" not in note
    assert "• Tổ CNSCĐ Xã Đức Nhuận\n" in above["district-officer"] and "Thôn" not in above["district-officer"]
    district = sent[date(2027, 10, 10)]  # two levels above: the district for the villages, nobody for communes
    assert [r.external_id for r in district] == ["district-officer"]
    assert "teams in Huyện Mộ Đức have not sent their activity report for September 2027" in district[0].payload["text"]

    # October starts fresh: 21409-01 and 21409-02 reported for September only, 21409-03 for October only.
    for day in (2, 4, 6):
        assert set(await members_of(db, sent[date(2027, 11, day)])) == TEAMS - {"21409-03"}
    october = next(r.payload["text"] for r in sent[date(2027, 11, 8)] if r.external_id == "commune-officer")
    assert "for October 2027" in october and "Thôn 1" in october and "Thôn 3" not in october


async def test_member_reminder_names_the_month_and_deadline_in_each_language(armed):
    db = armed
    rows = (await two_months(db, {}))[date(2027, 11, 2)]
    texts = {r.payload["text"] for r in rows}
    assert {t.split(":")[0] for t in texts} == {"Nhắc nhẹ", "A gentle reminder"}
    assert any("tháng 10/2027 là ngày 05/11/2027" in t for t in texts)
    assert any("the activity report for October 2027 is due on 05/11/2027" in t for t in texts)
    assert {r.payload["buttons"][0][0]["payload"] for r in rows} == {"guide:bot-gui-bao-cao"}
    assert all(r.priority == 10 for r in rows)  # bulk, behind replies


async def test_arming_twice_changes_nothing(armed):
    db = armed
    assert await arm(db) == ["already armed"] * 5
    async with db.session() as session:
        rules = (await session.execute(select(Schedule.key, Schedule.rule, Schedule.next_at))).all()
    assert len(rules) == 5 and {rule["day"] for _, rule, _ in rules} == {2, 4, 6, 8, 10}
    assert min(at for *_, at in rules) == datetime(2027, 10, 2, 8, 0, tzinfo=LOCAL_TZ)


def test_cli_arms_once_plans_and_disarms(tmp_path, db):
    shutil.copyfile(db.url.removeprefix("sqlite+aiosqlite:///"), tmp_path / "cli.db")

    def run(*args):
        done = cdsbot(tmp_path, *args, CDSBOT_DATABASE_URL=sqlite_url(tmp_path / "cli.db"))
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first = run("campaign", "arm", "monthly-report")
    assert first[0] == "monthly day 2 08:00\tmonthly-report:monthly:report-reminder-d3\tarmed"
    assert first[-1] == "5 schedule(s) armed, 0 unchanged"
    assert run("campaign", "arm", "monthly-report")[-1] == "0 schedule(s) armed, 5 unchanged"
    plan = [line.split("\t") for line in run("campaign", "plan", "monthly-report")[1:]]
    assert [row[2] for row in plan] == ["report-reminder-d3", "report-reminder-d1", "escalate-d1-leader",
                                        "escalate-d3-officers-above", "escalate-d5-officers-two-above"]
    assert run("campaign", "disarm", "monthly-report") == ["5 schedule(s) removed (steps already sent stay)"]
    assert run("schedule", "list")[1:] == []


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("day: 5,", "day: 25,", "day 1 to 28 of the month after the period (these fall on day 22 to 30)"),
        ("[3, 1]", "[5, 1]", "these fall on day 0 to 10"),
        ("every: monthly, day: 5,", "every: weekly, days: [mon],", "need a monthly, quarterly or yearly deadline"),
        ("due on {deadline}", "due on {anchor_date}", "unknown placeholder {anchor_date}"),
        ("\nreminders:", "\nmessages: []\nreminders:", "'messages' does not go with 'reminders'"),
        ("escalate_to: [leader, ", "escalate_to: [", "the same length"),
    ],
)
def test_check_catches_a_broken_monthly_report(tmp_path, old, new, words):
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / SHIPPED.name).write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check_campaigns(tmp_path, guide_ids={"bot-gui-bao-cao"})
    assert any(words in p.message for p in problems), [str(p) for p in problems]


async def test_a_month_the_commune_all_reported_reaches_only_the_level_above_the_others(armed):
    db = armed
    for code in TEAMS:
        await report(db, code, date(2027, 10, 31))
    sent = await two_months(db, {})
    november = {day: [r.external_id for r in rows] for day, rows in sent.items() if day.month == 11}
    # only other communes' teams are missing: the district hears of them (communes one level up, villages two up)
    assert november == {date(2027, 11, 8): ["district-officer"], date(2027, 11, 10): ["district-officer"]}
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == sum(map(len, sent.values()))
