"""A broadcast row without a quiet-hours hold was sent at night: the sender now holds bulk during the quiet hours."""

import asyncio
from datetime import datetime

from bot.clock import LOCAL_TZ, FakeClock
from bot.delivery.sender import Outbox
from bot.services.schedule_rules import Policy
from tests.services.test_broadcast_quiet_hours import ThrottledChannel, add_broadcast, add_reply, until


async def test_bulk_row_without_a_hold_waits_at_night_but_replies_go(db):
    clock = FakeClock(datetime(2026, 11, 23, 22, 15, tzinfo=LOCAL_TZ))
    channel = ThrottledChannel(clock)
    channel.tried.add("bulk late")  # no 429: the platform would take it
    await add_broadcast(db, clock.now(), ["bulk late"])
    await add_reply(db, "reply", clock.now())
    outbox = Outbox(db, {"rec": channel}, clock, bulk_from=Policy().fire_time)
    await outbox.start()
    try:
        await until(lambda: "reply" in channel.texts())
        await asyncio.sleep(0.8)  # several claim rounds
    finally:
        await outbox.stop()
    assert channel.texts() == {"reply"}
