"""Schedules: local-time rules, quiet hours, downtime within and beyond the grace period, once per due time."""

import asyncio
import os
import time as systime
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import LOCAL_TZ
from bot.db.broadcasts import Broadcast
from bot.db.models import Delivery
from bot.db.schedules import Schedule, ScheduleRun
from bot.db.session import Database
from bot.services import broadcast as bc
from bot.services import schedules
from bot.services.schedule_rules import Policy, Rule
from tests.fakes.members import add_members

DUC_NHUAN = "21409"
POLICY = Policy()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
async def people(demo_roster):
    """40 members in Xã Đức Nhuận's teams (the first of each team leads it), one Telegram account each."""
    await add_members(demo_roster, 40, under=DUC_NHUAN)
    return demo_roster


async def add(db, rule: Rule, now: datetime, text: str = "Thông báo", **audience) -> int:
    async with db.session() as session:
        template = schedules.broadcast_template(bc.Audience(**audience), text, "Notice")
        schedule = await schedules.add(session, name=text, rule=rule, template=template, now=now)
        await session.commit()
        return schedule.id


async def deliveries(db) -> list[Delivery]:
    async with db.session() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def runs(db) -> list[ScheduleRun]:
    async with db.session() as session:
        return list((await session.execute(select(ScheduleRun).order_by(ScheduleRun.due_at))).scalars())


def test_yearly_rule_is_10_october_local_time_every_year():
    eight = Rule.from_dict({"every": "yearly", "date": "10-10", "time": "08:00"})
    half_past_seven = Rule.from_dict({"every": "yearly", "date": "10-10", "time": "07:30"})
    moment = utc(2026, 11, 1)
    for year in (2027, 2028, 2029):
        moment = eight.next_after(moment)
        assert moment.astimezone(UTC) == utc(year, 10, 10, 1, 0)
        assert half_past_seven.next_after(moment - timedelta(hours=1)).astimezone(UTC) == utc(year, 10, 10, 0, 30)


@pytest.mark.parametrize("server_tz", ["UTC", "America/New_York"])
def test_rules_do_not_depend_on_the_server_time_zone(monkeypatch, server_tz):
    monkeypatch.setenv("TZ", server_tz)
    systime.tzset()
    try:
        daily = Rule.from_dict({"every": "daily", "time": "08:00"})
        # 23:30 UTC on 9 October is already 06:30 on 10 October in Quảng Ngãi: today's 08:00 is next.
        assert daily.next_after(utc(2027, 10, 9, 23, 30)) == datetime(2027, 10, 10, 8, 0, tzinfo=LOCAL_TZ)
        weekly = Rule.from_dict({"every": "weekly", "days": ["mon", "thu"], "time": "08:00"})
        assert weekly.next_after(utc(2027, 10, 10)).date().isoformat() == "2027-10-11"  # a Monday
        monthly = Rule.from_dict({"every": "monthly", "day": 31, "time": "08:00"})
        assert monthly.next_after(utc(2027, 11, 1)).date().isoformat() == "2027-11-30"  # no 31 November
        assert POLICY.fire_time(utc(2027, 10, 10, 15, 0)) == datetime(2027, 10, 11, 7, 0, tzinfo=LOCAL_TZ)
    finally:
        monkeypatch.delenv("TZ")
        systime.tzset()
    assert os.environ.get("TZ") is None


async def test_yearly_schedule_fires_on_10_october_each_year(people):
    db = people
    sid = await add(db, Rule.from_dict({"every": "yearly", "date": "10-10", "time": "07:30"}), utc(2027, 1, 1),
                    roles=["leader"])
    assert await schedules.fire_due(db, utc(2027, 10, 10, 0, 29), POLICY) == []
    first = await schedules.fire_due(db, utc(2027, 10, 10, 0, 30), POLICY)
    second = await schedules.fire_due(db, utc(2028, 10, 10, 0, 31), POLICY)
    assert [(f.schedule_id, f.due_at, f.status) for f in first + second] == [
        (sid, utc(2027, 10, 10, 0, 30), "sent"), (sid, utc(2028, 10, 10, 0, 30), "sent")]
    leaders = first[0].deliveries
    assert leaders > 0 and second[0].deliveries == leaders
    assert {d.created_at for d in await deliveries(db)} == {utc(2027, 10, 10, 0, 30), utc(2028, 10, 10, 0, 31)}


async def test_quiet_hours_hold_a_22h_send_until_07h(people):
    db = people
    await add(db, Rule.from_dict({"every": "daily", "time": "22:00"}), utc(2027, 3, 1))
    assert await schedules.fire_due(db, datetime(2027, 3, 1, 22, 0, tzinfo=LOCAL_TZ), POLICY) == []
    assert await schedules.fire_due(db, datetime(2027, 3, 2, 6, 59, tzinfo=LOCAL_TZ), POLICY) == []
    fired = await schedules.fire_due(db, datetime(2027, 3, 2, 7, 0, tzinfo=LOCAL_TZ), POLICY)
    assert [f.status for f in fired] == ["sent"] and fired[0].deliveries == 40
    sent_at = {d.created_at.astimezone(LOCAL_TZ).strftime("%d %H:%M") for d in await deliveries(db)}
    assert sent_at == {"02 07:00"}
    no_quiet = Policy(quiet_start=POLICY.quiet_end, quiet_end=POLICY.quiet_end)
    again = await schedules.fire_due(db, datetime(2027, 3, 2, 22, 0, tzinfo=LOCAL_TZ), no_quiet)
    assert [f.due_at for f in again] == [datetime(2027, 3, 2, 22, 0, tzinfo=LOCAL_TZ)]


async def test_downtime_within_grace_sends_once_and_older_is_missed(people):
    db = people
    await add(db, Rule.from_dict({"every": "daily", "time": "08:00"}), utc(2027, 5, 1))
    # Down from before 08:00 on 1 May until 13:00 on 3 May: 1 and 2 May are past grace, 3 May is not.
    fired = await schedules.fire_due(db, datetime(2027, 5, 3, 13, 0, tzinfo=LOCAL_TZ), POLICY)
    assert [(f.due_at.astimezone(LOCAL_TZ).day, f.status) for f in fired] == [(1, "missed"), (2, "missed"), (3, "sent")]
    assert len(await deliveries(db)) == 40
    assert await schedules.fire_due(db, datetime(2027, 5, 3, 13, 5, tzinfo=LOCAL_TZ), POLICY) == []
    async with db.session() as session:
        waiting = await schedules.missed(session)
    assert [run.due_at.astimezone(LOCAL_TZ).day for run, _ in waiting] == [1, 2]
    async with db.session() as session:
        run = await schedules.send_missed(session, waiting[0][0].id, utc(2027, 5, 3, 7))
        await session.commit()
    assert run.status == "sent" and run.deliveries == 40 and len(await deliveries(db)) == 80
    async with db.session() as session:
        with pytest.raises(ValueError, match="not a missed run"):
            await schedules.send_missed(session, waiting[0][0].id, utc(2027, 5, 3, 7))
        assert len(await schedules.missed(session)) == 1


async def test_grace_is_measured_from_the_end_of_quiet_hours(people):
    db = people
    await add(db, Rule.from_dict({"every": "once", "at": "2027-06-01T22:30"}), utc(2027, 5, 1))
    fired = await schedules.fire_due(db, datetime(2027, 6, 2, 12, 59, tzinfo=LOCAL_TZ), POLICY)  # 07:00 + 5 h 59
    assert [f.status for f in fired] == ["sent"]
    async with db.session() as session:
        assert (await session.scalar(select(Schedule.state))) == "done"


async def test_two_processes_firing_at_once_send_each_due_time_once(any_db, people):
    db = any_db
    await add(db, Rule.from_dict({"every": "daily", "time": "08:00"}), utc(2027, 5, 1))
    other = Database(db.url)
    try:
        now = datetime(2027, 5, 2, 8, 1, tzinfo=LOCAL_TZ)
        results = await asyncio.gather(*(schedules.fire_due(d, now, POLICY) for d in (db, other, db, other)))
    finally:
        await other.dispose()
    assert sorted(f.due_at.astimezone(LOCAL_TZ).day for r in results for f in r) == [1, 2]
    assert len(await runs(db)) == 2
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 40  # only 2 May was in grace


async def test_weekly_bulletin_turns_its_messages(people):
    from bot.services import arming
    from bot.services.campaigns import load_campaign

    db = people
    async with db.session() as session:
        await arming.arm(session, load_campaign("weekly-bulletin"), None, None, utc(2027, 1, 1))
        await session.commit()
    texts = []
    monday = datetime(2027, 1, 4, 8, 0, tzinfo=LOCAL_TZ)
    for week in range(3):
        await schedules.fire_due(db, monday + timedelta(weeks=week), POLICY)
        rows = await deliveries(db)
        texts.append({r.payload["text"] for r in rows[-40:]})
        assert all(r.payload["buttons"][0][0]["payload"].startswith("guide:") for r in rows[-40:])
    assert len(rows) == 120 and all(len(t) == 2 for t in texts)  # Vietnamese and English
    assert texts[0] != texts[1] != texts[2]


async def test_monthly_digest_fills_in_last_months_figures(people):
    from datetime import date

    from bot.services import arming
    from bot.services.campaigns import load_campaign
    from tests.services.test_reminders import report

    db = people
    for code, day in (("21409-01", date(2027, 10, 3)), ("21409-02", date(2027, 10, 30)),
                      ("21409-03", date(2027, 9, 30)), ("21409-03", date(2027, 11, 1))):
        await report(db, code, day)
    async with db.session() as session:
        await arming.arm(session, load_campaign("monthly-digest"), None, None, utc(2027, 10, 15))
        await session.commit()
    fired = await schedules.fire_due(db, datetime(2027, 11, 1, 8, 0, tzinfo=LOCAL_TZ), POLICY)
    assert [f.deliveries for f in fired] == [6]  # the six team leaders (no officers in this roster)
    texts = {r.payload["text"] for r in await deliveries(db)}
    assert any("tháng 10/2027" in t and "2 báo cáo, 6 lượt" in t and "2/1.141 tổ" in t for t in texts), texts
    async with db.session() as session:
        english = (await session.execute(select(Broadcast.text_en))).scalar_one()  # no English leader here
    assert "October 2027: 2 reports, 6 people helped; 2 of 1,141 teams" in english
