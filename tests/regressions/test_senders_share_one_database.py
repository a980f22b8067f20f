"""Several processes on one PostgreSQL: the rate is shared, dead senders' rows go back to the queue at once.

Found on loopback (issue 16): two processes each paced themselves as if alone (98 HTTP 429s from a
fake enforcing 30/s); rows claimed by a killed process stayed `sending` for a 2-minute lease and were
put back only when a process started. Each outbox here has its own engine, as a process would.
"""

import asyncio
import time
from datetime import timedelta

import pytest

from bot.core.messages import Outbound
from bot.db.session import Database
from bot.delivery import queue, sender
from bot.delivery.sender import Outbox
from bot.delivery.states import BULK, State
from tests.fakes.telegram_server import busiest_second
from tests.test_outbox import NOW, RecordingChannel, enqueue, statuses

pytestmark = pytest.mark.parametrize("any_db", ["postgres"], indirect=True)
LIMIT = 50


async def _until_sent(channel: RecordingChannel, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(channel.sent) < count:
        assert time.monotonic() < deadline, f"only {len(channel.sent)} of {count} sent"
        await asyncio.sleep(0.02)


async def test_two_processes_together_keep_the_channel_rate(any_db):
    await enqueue(any_db, [(f"c{i}", f"m{i}") for i in range(2 * LIMIT)], priority=BULK)
    first, second = RecordingChannel(per_second=LIMIT), RecordingChannel(per_second=LIMIT)
    second.sent = first.sent  # one platform sees both
    other = Database(any_db.url)
    outboxes = [Outbox(any_db, {"rec": first}), Outbox(other, {"rec": second})]
    for outbox in outboxes:
        await outbox.start()
    await _until_sent(first, 2 * LIMIT, timeout=10)
    assert [outbox.sending for outbox in outboxes].count(["rec"]) == 1
    for outbox in outboxes:
        await outbox.stop()
    await other.dispose()
    assert sorted(text for _, text, _ in first.sent) == sorted(f"m{i}" for i in range(2 * LIMIT))
    assert busiest_second([t for _, _, t in first.sent]) <= LIMIT


async def test_rows_of_a_killed_sender_are_sent_without_waiting_for_their_lease(any_db):
    await enqueue(any_db, [(f"c{i}", f"m{i}") for i in range(5)])
    killed = Outbox(any_db, {"rec": RecordingChannel()})
    assert len(await killed._claim("rec", 3)) == 3  # claimed, then the process died before sending
    channel = RecordingChannel()
    outbox = Outbox(any_db, {"rec": channel})
    await outbox.start()
    await _until_sent(channel, 5, timeout=5)
    await outbox.stop()
    assert sorted(text for _, text, _ in channel.sent) == [f"m{i}" for i in range(5)]


async def test_a_running_process_sweeps_rows_whose_lease_ran_out(any_db, monkeypatch):
    monkeypatch.setattr(sender, "RENEW_S", 0.2)
    channel = RecordingChannel()
    outbox = Outbox(any_db, {"rec": channel})
    await outbox.start()
    await enqueue(any_db, [(f"c{i}", f"m{i}") for i in range(3)])
    await _until_sent(channel, 3, timeout=5)
    async with any_db.session() as session:  # claimed by a sender that died a minute ago
        row = queue.enqueue(session, "rec", "c9", Outbound("orphan"), now=NOW)
        row.status, row.claimed_at = State.SENDING, NOW - timedelta(minutes=1)
        await session.commit()
    await _until_sent(channel, 4, timeout=5)
    await outbox.stop()
    assert await statuses(any_db) == {"sent": 4}
