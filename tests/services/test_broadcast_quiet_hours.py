"""Quiet hours hold at the moment of sending: a broadcast running late (throttled) stops at 21:00, resumes at 07:00."""

import asyncio
import time
from datetime import datetime

from sqlalchemy import select

from bot.channels.base import Channel, Failure, Limits, SendError
from bot.clock import LOCAL_TZ, FakeClock
from bot.core.messages import Outbound
from bot.db.broadcasts import Broadcast
from bot.db.models import Delivery
from bot.delivery import queue
from bot.delivery.sender import Outbox
from bot.delivery.states import BULK, REPLY
from bot.services.schedule_rules import Policy

EVENING = datetime(2026, 11, 23, 20, 58, tzinfo=LOCAL_TZ)
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=LOCAL_TZ)


class ThrottledChannel(Channel):
    """Declares a fast rate but answers each broadcast message's first try with a 429 (a short wait)."""

    code = "rec"

    def __init__(self, clock: FakeClock):
        self.limits = Limits(per_second=1000.0, chat_interval=0.0)
        self.clock = clock
        self.tried: set[str] = set()
        self.sent: list[tuple[str, datetime]] = []

    async def send(self, external_id, message):
        if message.text.startswith("bulk") and message.text not in self.tried:
            self.tried.add(message.text)
            raise SendError(Failure.THROTTLED, "429", retry_after=0.01)
        self.sent.append((message.text, self.clock.now().astimezone(LOCAL_TZ)))
        return f"p{len(self.sent)}"

    def texts(self) -> set[str]:
        return {text for text, _ in self.sent}


async def add_broadcast(db, now: datetime, texts: list[str], urgent: bool = False) -> None:
    """A broadcast and its queued rows, without any quiet-hours estimate (as if all fitted before 21:00)."""
    async with db.session() as session:
        broadcast = Broadcast(text_vi=texts[0], audience={}, urgent=urgent, created_at=now)
        session.add(broadcast)
        await session.flush()
        await queue.enqueue_many(session, [{"channel": "rec", "external_id": f"chat-{text}", "member_id": None,
                                            "broadcast_id": broadcast.id, "payload": Outbound(text).to_dict()}
                                           for text in texts], now, BULK)
        await session.commit()


async def add_reply(db, text: str, now: datetime) -> None:
    async with db.session() as session:
        queue.enqueue(session, "rec", f"chat-{text}", Outbound(text), priority=REPLY, now=now)
        await session.commit()


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert condition()


async def test_late_broadcast_stops_at_quiet_hours_and_resumes_in_the_morning(db):
    clock = FakeClock(EVENING)
    channel = ThrottledChannel(clock)
    outbox = Outbox(db, {"rec": channel}, clock, bulk_from=Policy().fire_time)
    bulk = [f"bulk {i}" for i in range(10)]
    await add_broadcast(db, clock.now(), bulk)
    await outbox.start()
    try:
        await until(lambda: len(channel.tried) == 10)  # every message throttled: they would retry at 21:00
        clock.set(datetime(2026, 11, 23, 21, 0, 30, tzinfo=LOCAL_TZ))
        await add_broadcast(db, clock.now(), ["urgent 1", "urgent 2"], urgent=True)
        await add_reply(db, "reply at night", clock.now())
        outbox.wake("*")
        await until(lambda: {"urgent 1", "urgent 2", "reply at night"} <= channel.texts())
        await asyncio.sleep(1.2)  # a few claim rounds inside the quiet hours
        assert not any(text.startswith("bulk") for text in channel.texts())
        async with db.session() as session:
            waiting = (await session.execute(select(Delivery.not_before).where(Delivery.status == "queued"))).all()
        assert len(waiting) == 10 and {row.not_before.astimezone(LOCAL_TZ) for row in waiting} == {MORNING}
        clock.set(datetime(2026, 11, 24, 6, 59, tzinfo=LOCAL_TZ))
        await add_reply(db, "reply before dawn", clock.now())
        outbox.wake("*")
        await until(lambda: "reply before dawn" in channel.texts())
        await asyncio.sleep(0.7)
        assert not any(text.startswith("bulk") for text in channel.texts())
        clock.set(MORNING)
        await until(lambda: set(bulk) <= channel.texts())
    finally:
        await outbox.stop()
    assert all(moment >= MORNING for text, moment in channel.sent if text.startswith("bulk"))
