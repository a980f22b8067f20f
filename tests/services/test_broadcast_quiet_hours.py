"""Quiet hours for broadcasts: a send at 20:55 that would still be running at 21:00 stops there and the rest goes
at 07:00 (scheduled or sent now), unless marked urgent; a send inside the quiet hours waits for their end."""

import asyncio
from datetime import datetime

from sqlalchemy import func, select

from bot.channels import registry
from bot.channels.base import Channel, Limits
from bot.clock import LOCAL_TZ, FakeClock
from bot.db.models import Delivery
from bot.delivery import queue
from bot.delivery.sender import Outbox
from bot.services import broadcast as bc
from bot.services import broadcast_timing, schedules
from bot.services.schedule_rules import Policy, Rule
from tests.fakes.members import add_members

COMMUNE = "21409"
POLICY = Policy()  # 21:00–07:00
FIVE_TO_NINE = datetime(2026, 12, 1, 20, 55, tzinfo=LOCAL_TZ)
NINE = datetime(2026, 12, 1, 21, 0, tzinfo=LOCAL_TZ)
SEVEN = datetime(2026, 12, 2, 7, 0, tzinfo=LOCAL_TZ)


async def claimable(db, channel: str, at: datetime) -> int:
    """How many rows the sender may claim at `at` (the sender's own claim query, rolled back)."""
    async with db.session() as session:
        rows = (await session.execute(queue.claim_statement(channel, 100_000, at))).all()
        await session.rollback()
    return len(rows)


async def send_now(db, at: datetime, rates: dict[str, float], urgent: bool = False) -> broadcast_timing.QuietSplit:
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(units=[COMMUNE]),
                                    text_vi="Thông báo", now=at)
        await bc.expand(session, broadcast, at)
        plan = await broadcast_timing.hold_for_quiet_hours(session, broadcast.id, at, rates, POLICY, urgent)
        await session.commit()
    return plan


async def test_a_scheduled_send_at_20_55_stops_at_21_00_and_resumes_at_07_00(demo_roster):
    telegram = registry.rates()["telegram"]  # 30 messages a second: 9,000 fit in the five minutes before 21:00
    await add_members(demo_roster, int(telegram * 300) + 120, under=COMMUNE)
    async with demo_roster.session() as session:
        template = schedules.broadcast_template(bc.Audience(units=[COMMUNE]), "Nhắc báo cáo")
        await schedules.add(session, name="nhắc", rule=Rule("once", at=FIVE_TO_NINE), template=template,
                            now=FIVE_TO_NINE.replace(hour=8))
        await session.commit()
    [fired] = await schedules.fire_due(demo_roster, FIVE_TO_NINE, POLICY)
    assert fired.deliveries == 9_120
    assert await claimable(demo_roster, "telegram", FIVE_TO_NINE) == 9_000
    async with demo_roster.session() as session:
        waiting = await session.scalar(select(func.count()).where(Delivery.not_before == SEVEN))
    assert waiting == 120
    assert await claimable(demo_roster, "telegram", SEVEN.replace(hour=6, minute=59)) == 9_000  # still not those
    assert await claimable(demo_roster, "telegram", SEVEN) == 9_120


class Recorder(Channel):
    """A fast web chat that remembers when (on the test's clock) each message went out."""

    code = "web"
    limits = Limits(per_second=1000)
    one_sender = False

    def __init__(self, clock: FakeClock):
        self.clock, self.sent = clock, []

    async def send(self, external_id, message) -> str:
        self.sent.append(self.clock.now())
        return str(len(self.sent))


async def until(check, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


async def test_a_send_now_that_would_run_past_21_00_waits_for_the_morning_in_the_sender(demo_roster):
    await add_members(demo_roster, 5, under=COMMUNE, channel="web")
    clock = FakeClock(FIVE_TO_NINE)
    plan = await send_now(demo_roster, FIVE_TO_NINE, {"web": 0.01})  # one message every 100 s: 3 before 21:00
    assert (plan.before, plan.after, plan.morning) == ({"web": 3}, {"web": 2}, SEVEN)
    recorder = Recorder(clock)
    outbox = Outbox(demo_roster, {"web": recorder}, clock)
    await outbox.start()
    try:
        assert await until(lambda: len(recorder.sent) == 3)
        clock.set(NINE)
        await asyncio.sleep(1.2)  # more than the sender's idle poll: it looked again and found nothing ready
        assert len(recorder.sent) == 3
        clock.set(SEVEN)
        outbox.wake("web")
        assert await until(lambda: len(recorder.sent) == 5)
    finally:
        await outbox.stop()
    assert recorder.sent[3:] == [SEVEN, SEVEN]


async def test_urgent_sends_through_and_a_send_in_the_quiet_hours_waits(any_db, demo_roster):
    await add_members(demo_roster, 4, under=COMMUNE, channel="web")
    plan = await send_now(demo_roster, FIVE_TO_NINE, {"web": 0.01}, urgent=True)
    assert plan.waiting == 0 and await claimable(demo_roster, "web", FIVE_TO_NINE) == 4
    late = datetime(2026, 12, 1, 23, 10, tzinfo=LOCAL_TZ)
    plan = await send_now(demo_roster, late, {"web": 1000.0})
    assert plan.starts == SEVEN
    assert await claimable(demo_roster, "web", late) == 4  # the urgent one's rows only
    assert await claimable(demo_roster, "web", SEVEN) == 8
