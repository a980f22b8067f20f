"""Several cdsbot processes on one PostgreSQL send one broadcast within the platform's limit, exactly once.

Three sending processes (tests/sender_process.py) share a database; the fake Telegram in this
process enforces a per-bot limit over any one-second window and answers 429 beyond it. One
process at a time is Telegram's sender (an advisory lock); the others take over when it dies.
The limit here is 400/s to keep the test short (bench/scale.py measures 30/s and 300/s).
Bound on duplicates after a SIGKILL: as in test_broadcast_crash, the sends in flight plus half a
second of results not yet written.
"""

import asyncio
import os
import signal
import time

import pytest
from sqlalchemy import func, select

from bot.db.models import Delivery
from bot.delivery.sender import CONCURRENCY
from bot.services import broadcast as bc
from tests import sender_process
from tests.fakes.members import NOW, add_members
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_server import busiest_second

MEMBERS, LIMIT, PROCESSES = 2000, 400, 3
BOUND = CONCURRENCY + LIMIT // 2
HANDFUL = 5  # 429s allowed: requests leave evenly paced but may arrive a few ms bunched

pytestmark = pytest.mark.parametrize("any_db", ["postgres"], indirect=True)


async def _broadcast(db) -> None:
    await add_members(db, MEMBERS)
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(), text_vi="Thông báo", now=NOW)
        assert await bc.expand(session, broadcast, NOW) == MEMBERS
        await session.commit()


async def _statuses(db) -> dict[str, int]:
    async with db.session() as session:
        return dict((await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all())


async def test_three_processes_send_each_member_once_within_the_limit(any_db, demo_roster, tmp_path):
    db = demo_roster
    await _broadcast(db)
    async with FakeTelegramAPI(limit_per_s=LIMIT, chat_interval=1.0) as api:
        leads = [tmp_path / f"lead-{n}" for n in range(PROCESSES)]
        processes = [sender_process.start(api.url, db.url, LIMIT, lead) for lead in leads]
        for process in processes:
            assert await sender_process.wait(process, timeout=60) == 0
    busiest = busiest_second([t for _, _, t in api.sent])
    print(f"\n{PROCESSES} processes: busiest second {busiest} (limit {LIMIT}), 429s {api.throttled}")
    assert sorted(api.delivered.values()) == [1] * MEMBERS, "someone got it twice, or never"
    assert api.throttled <= HANDFUL and busiest <= LIMIT
    assert sum(lead.exists() for lead in leads) == 1, "more than one process sent on Telegram"
    assert await _statuses(db) == {"sent": MEMBERS}


async def test_sigkill_of_the_sender_lets_another_process_finish(any_db, demo_roster, tmp_path):
    db = demo_roster
    await _broadcast(db)
    async with FakeTelegramAPI(limit_per_s=LIMIT, chat_interval=1.0) as api:
        leads = [tmp_path / f"lead-{n}" for n in range(PROCESSES)]
        processes = [sender_process.start(api.url, db.url, LIMIT, lead) for lead in leads]
        deadline = time.monotonic() + 30
        while len(api.sent) < MEMBERS // 2:
            assert time.monotonic() < deadline, "nobody is sending"
            await asyncio.sleep(0.005)
        [victim] = [process for process, lead in zip(processes, leads, strict=True) if lead.exists()]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        at_kill = len(api.sent)
        for process in processes:
            if process is not victim:
                assert await sender_process.wait(process, timeout=60) == 0
    duplicates = sum(n - 1 for n in api.delivered.values())
    print(f"\nkilled the sender after {at_kill} deliveries; sent twice: {duplicates} (bound {BOUND}), "
          f"429s {api.throttled}")
    assert len(api.delivered) == MEMBERS, "someone never got the announcement"
    assert duplicates <= BOUND and api.throttled <= BOUND
    assert await _statuses(db) == {"sent": MEMBERS}
