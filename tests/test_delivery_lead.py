"""Senders in several processes on one PostgreSQL: NOTIFY wakes them, replies jump the queue, the lead moves.

Each outbox has its own engine, as a separate process would.
"""

import asyncio
import time

import pytest

from bot.channels.web import WebChannel
from bot.db.session import Database
from bot.delivery.sender import Outbox
from bot.delivery.states import BULK, REPLY
from tests.test_outbox import RecordingChannel, enqueue

pytestmark = pytest.mark.parametrize("any_db", ["postgres"], indirect=True)


async def _until(condition, timeout: float) -> float:
    """Seconds until `condition()` holds; fails the test after `timeout`."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "it did not happen in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_a_row_queued_by_another_process_wakes_the_sender_at_once(any_db):
    channel = RecordingChannel()
    outbox = Outbox(any_db, {"rec": channel})
    outbox._idle_s = 30.0  # no polling: only the NOTIFY can wake it
    await outbox.start()
    other = Database(any_db.url)
    await asyncio.sleep(0.3)  # the sender is idle now
    await enqueue(other, [("c1", "hello")])
    waited = await _until(lambda: channel.sent, timeout=5)
    await outbox.stop()
    await other.dispose()
    assert waited < 1.0


async def test_a_reply_from_another_process_goes_before_the_broadcast(any_db):
    channel = RecordingChannel(per_second=50)
    await enqueue(any_db, [(f"b{i}", f"bulk {i}") for i in range(100)], priority=BULK)
    outbox = Outbox(any_db, {"rec": channel})
    await outbox.start()
    await _until(lambda: len(channel.sent) >= 10, timeout=5)
    other = Database(any_db.url)
    await enqueue(other, [("r1", "reply")], priority=REPLY)
    await _until(lambda: any(text == "reply" for _, text, _ in channel.sent), timeout=5)
    position = [text for _, text, _ in channel.sent].index("reply")
    await outbox.stop()
    await other.dispose()
    assert position < 20, f"the reply waited behind {position} broadcast messages"


async def test_another_process_takes_over_when_the_sender_stops(any_db):
    first, second = RecordingChannel(per_second=100), RecordingChannel(per_second=100)
    other = Database(any_db.url)
    leader, follower = Outbox(any_db, {"rec": first}), Outbox(other, {"rec": second})
    await leader.start()
    await follower.start()
    assert (leader.sending, follower.sending) == (["rec"], [])
    await leader.stop()
    await enqueue(any_db, [(f"c{i}", f"m{i}") for i in range(20)])
    await _until(lambda: len(second.sent) == 20, timeout=5)
    await follower.stop()
    await other.dispose()
    assert follower.sending == [] and not first.sent


async def test_the_web_chat_is_sent_by_every_process(any_db):
    """Each process holds its own members' sockets, so none waits for an election to send to them."""
    assert not WebChannel.one_sender
    first, second = RecordingChannel(), RecordingChannel()
    first.one_sender = second.one_sender = False
    other = Database(any_db.url)
    outboxes = [Outbox(any_db, {"rec": first}), Outbox(other, {"rec": second})]
    for outbox in outboxes:
        await outbox.start()
    assert [outbox.sending for outbox in outboxes] == [["rec"], ["rec"]]
    for outbox in outboxes:
        await outbox.stop()
    await other.dispose()
