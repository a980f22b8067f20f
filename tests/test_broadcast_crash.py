"""Crash safety: SIGKILL the sending process mid-broadcast, start it again: nobody is missed, few get two.

The sender is a real subprocess (tests/sender_process.py) running the outbox with a
TelegramChannel against a SQLite file; the fake Telegram Bot API runs in the test process.
Bound on duplicates: a message is sent twice only if the fake server delivered it but the
killed sender had not yet written "sent" — the sends in flight (≤ CONCURRENCY) plus the results
collected since the last flush (flushes run every 50 ms; we allow half a second of sends).
"""

import asyncio
import os
import signal
import time

from sqlalchemy import func, select

from bot.db.models import Delivery
from bot.delivery.sender import CONCURRENCY
from bot.services import broadcast as bc
from tests import sender_process
from tests.fakes.members import NOW, add_members
from tests.fakes.telegram_api import FakeTelegramAPI

MEMBERS, RATE = 2000, 500
BOUND = CONCURRENCY + RATE // 2


async def test_kill_mid_broadcast_then_restart_misses_nobody(demo_roster):
    db = demo_roster
    await add_members(db, MEMBERS)
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(), text_vi="Thông báo", now=NOW)
        assert await bc.expand(session, broadcast, NOW) == MEMBERS
        await session.commit()
    async with FakeTelegramAPI(chat_interval=1.0) as api:
        first = sender_process.start(api.url, db.url, RATE)
        deadline = time.monotonic() + 30
        while len(api.sent) < MEMBERS // 2:
            assert first.poll() is None and time.monotonic() < deadline, "the sender died or stalled"
            await asyncio.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        at_kill = len(api.sent)
        async with db.session() as session:
            recorded = await session.scalar(select(func.count()).where(Delivery.status == "sent"))
        assert 0 < at_kill < MEMBERS and recorded <= at_kill
        assert await sender_process.wait(sender_process.start(api.url, db.url, RATE), timeout=60) == 0
    per_chat = {chat: n for (chat, _text), n in api.delivered.items()}
    duplicates = sum(n - 1 for n in per_chat.values())
    print(f"\nkilled after {at_kill} deliveries ({recorded} recorded); sent twice: {duplicates} (bound {BOUND})")
    assert len(per_chat) == MEMBERS, "someone never got the announcement"
    # Requests still on their way to the server when the sender died are counted after `at_kill`.
    assert duplicates <= min(BOUND, at_kill - recorded + CONCURRENCY)
    assert api.throttled <= BOUND  # a resend within a second of the first copy meets the per-chat limit
    async with db.session() as session:
        assert dict((await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all()) \
            == {"sent": MEMBERS}
