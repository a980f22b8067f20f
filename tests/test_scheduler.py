
"""The scheduler: one leader per database, catch-up on start, and the DX Day campaign run through 2027."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import LOCAL_TZ, FakeClock
from bot.db.models import Delivery
from bot.db.schedules import Schedule, ScheduleRun
from bot.db.session import Database
from bot.scheduler import Scheduler
from bot.services import arming, schedules
from bot.services import broadcast as bc
from bot.services.campaigns import load_campaign
from bot.services.schedule_rules import Rule
from tests.fakes.members import add_members
from tests.services.test_reminders import DUC_NHUAN, MO_DUC, add_person

START = datetime(2027, 9, 1, tzinfo=UTC)


@pytest.fixture
async def people(demo_roster):
    """60 members in Xã Đức Nhuận (6 leaders), a commune officer and a district officer."""
    await add_members(demo_roster, 60, under=DUC_NHUAN)
    await add_person(demo_roster, DUC_NHUAN, "officer", "commune-officer")
    await add_person(demo_roster, MO_DUC, "officer", "district-officer")
    return demo_roster


async def arm_dx_day(db, now: datetime) -> None:
    async with db.session() as session:
        await arming.arm(session, load_campaign("national-dx-day"), 2027, {"vi": "Chủ đề 2027"}, now)
        await session.commit()


async def count(db, model, *where) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_two_schedulers_on_one_database_send_each_message_once(any_db, people):
    db = any_db
    clock = FakeClock(START)
    async with db.session() as session:
        await schedules.add(session, name="daily", rule=Rule.from_dict({"every": "daily", "time": "08:00"}),
                            template=schedules.broadcast_template(bc.Audience(), "Chào"), now=START)
        await session.commit()
    first, second = Scheduler(Database(db.url), clock), Scheduler(Database(db.url), clock)
    try:
        await first.start()
        await second.start()
        if not db.is_sqlite:
            assert [first.active, second.active] == [True, False]
        for day in range(3):
            clock.set(datetime(2027, 9, 1 + day, 8, 0, tzinfo=LOCAL_TZ))
            await first.tick()
            await second.tick()
        assert await count(db, ScheduleRun) == 3 and await count(db, Delivery) == 3 * 62
        await first.stop()  # the leader goes away; the other takes over at its next heartbeat
        await second.heartbeat()
        assert second.active
        clock.set(datetime(2027, 9, 4, 8, 0, tzinfo=LOCAL_TZ))
        await second.tick()
        assert await count(db, ScheduleRun) == 4 and await count(db, Delivery) == 4 * 62
    finally:
        for scheduler in (first, second):
            await scheduler.stop()
            await scheduler.db.dispose()


async def run_until(scheduler: Scheduler, clock: FakeClock, until: datetime) -> int:
    """Move the clock to `until`, stopping at every fire time on the way (as APScheduler would); ticks made."""
    ticks = 0
    while (due := await scheduler.next_fire()) is not None and due < until:
        clock.set(due)
        ticks += 1
        await scheduler.tick()
    clock.set(until)
    return ticks


async def test_start_after_downtime_sends_within_grace_and_records_the_rest(people):
    db = people
    await arm_dx_day(db, START)
    clock = FakeClock(START)
    scheduler = Scheduler(db, clock)
    await scheduler.start()
    await run_until(scheduler, clock, datetime(2027, 10, 9, 14, 0, tzinfo=LOCAL_TZ))
    await scheduler.stop()
    # Down from 14:00 on 9 October to 12:00 on 10 October: the 16:00 "day before" message is 20 h late
    # (missed, for staff to decide), the 07:30 DX Day greeting 4.5 h late (sent on start).
    clock.set(datetime(2027, 10, 10, 12, 0, tzinfo=LOCAL_TZ))
    restarted = Scheduler(db, clock)
    await restarted.start()
    await restarted.stop()
    async with db.session() as session:
        rows = (await session.execute(select(Schedule.key, ScheduleRun.status, ScheduleRun.deliveries).join(
            ScheduleRun, ScheduleRun.schedule_id == Schedule.id))).all()
        waiting = await schedules.missed(session)
    assert {key.split(":")[-1]: status for key, status, _ in rows} == {
        "leaders-plan": "sent", "dx-week-start": "sent", "dx-week-tip-payments": "sent", "consumer-month-start": "sent",
        "dx-week-tip-safety": "sent", "launch": "sent", "report-reminder-d3": "sent", "day-before": "missed",
        "dx-day": "sent"}
    assert [schedule.key for _, schedule in waiting] == ["national-dx-day:2027:day-before"]
    assert await count(db, Delivery) == sum(n for *_, n in rows) == 8 + 62 + 60 + 62 + 60 + 61 + 60 + 62


async def test_armed_campaign_sends_at_the_planned_times_through_2027(people):
    db = people
    await arm_dx_day(db, START)
    await arm_dx_day(db, START)  # twice: nothing more
    assert await count(db, Schedule) == 16
    planned = {s.key: s.when for s in arming.steps(load_campaign("national-dx-day"), 2027, {"vi": "Chủ đề 2027"})}
    clock = FakeClock(START)
    scheduler = Scheduler(db, clock)
    scheduler.active = True  # SQLite: one process, no lock to take; APScheduler not needed with a fake clock
    ticks = 0
    for day in range(92):  # 1 September to 1 December, day by day, stopping at each fire time on the way
        ticks += await run_until(scheduler, clock, START + timedelta(days=day + 1))
    assert ticks == 16
    async with db.session() as session:
        runs = (await session.execute(select(Schedule.key, ScheduleRun).join(
            ScheduleRun, ScheduleRun.schedule_id == Schedule.id))).all()
        per_broadcast = dict((await session.execute(select(Delivery.broadcast_id, func.count())
                                                    .group_by(Delivery.broadcast_id))).all())
    assert {key: run.fire_at for key, run in runs} == planned
    assert all(run.status == "sent" and run.ran_at == run.fire_at for _, run in runs)
    sent = {key.split(":")[-1]: run.deliveries for key, run in runs}
    assert sent == {"leaders-plan": 8, "dx-week-start": 62, "dx-week-tip-payments": 60, "consumer-month-start": 62,
                    "dx-week-tip-safety": 60, "launch": 61, "report-reminder-d3": 60, "day-before": 62, "dx-day": 62,
                    "report-reminder-d1": 60, "deadline-day": 62, "escalate-d1-leader": 6,
                    "escalate-d2-officers-above": 2, "officers-feedback": 2, "department-deadline": 1,
                    "consumer-month-end": 62}
    for _, run in runs:
        if run.broadcast_id is not None:
            assert per_broadcast[run.broadcast_id] == run.deliveries
    assert await count(db, Delivery) == sum(sent.values())
