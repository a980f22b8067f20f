"""Crash safety: SIGKILL the sending process mid-broadcast, start it again: nobody is missed, few get two.

The sender is a real subprocess (this module run as a script) running the outbox with a
TelegramChannel against a SQLite file; the fake Telegram Bot API runs in the test process.
Bound on duplicates: a message is sent twice only if the fake server delivered it but the
killed sender had not yet written "sent" — the sends in flight (≤ CONCURRENCY) plus the results
collected since the last flush (flushes run every 50 ms; we allow half a second of sends).
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.db.models import Delivery
from bot.outbox import CONCURRENCY
from bot.services import broadcast as bc
from tests.fakes.members import NOW, add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]
MEMBERS, RATE = 2000, 500
BOUND = CONCURRENCY + RATE // 2


async def _sender(api_url: str, database_url: str) -> None:
    """The sending process: run the outbox until the broadcast has nothing left to send."""
    from bot.channels.base import Limits
    from bot.channels.telegram import TelegramChannel
    from bot.db.session import Database
    from bot.outbox import Outbox

    db = Database(database_url)
    channel = TelegramChannel(DEFAULT_TOKEN, api_url=api_url)
    channel.limits = Limits(per_second=RATE, chat_interval=1.0)
    await channel.start(_ignore)
    outbox = Outbox(db, {"telegram": channel})
    await outbox.start()
    while True:
        await asyncio.sleep(0.1)
        async with db.session() as session:
            if (await bc.status(session, 1)).finished:
                break
    await outbox.stop()
    await channel.stop()
    await db.dispose()


async def _ignore(_inbound) -> None:
    """Members' messages are not part of this test."""


def _start(api: FakeTelegramAPI, database_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.test_broadcast_crash", api.url, database_url], cwd=ROOT)


async def _wait(process: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        assert time.monotonic() < deadline, "the sender did not finish"
        await asyncio.sleep(0.05)
    return process.returncode


async def test_kill_mid_broadcast_then_restart_misses_nobody(demo_roster):
    db = demo_roster
    await add_members(db, MEMBERS)
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(), text_vi="Thông báo", now=NOW)
        assert await bc.expand(session, broadcast, NOW) == MEMBERS
        await session.commit()
    async with FakeTelegramAPI(chat_interval=1.0) as api:
        first = _start(api, db.url)
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
        assert await _wait(_start(api, db.url), timeout=60) == 0
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


if __name__ == "__main__":
    asyncio.run(_sender(sys.argv[1], sys.argv[2]))
