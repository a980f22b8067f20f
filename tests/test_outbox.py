"""The outbox: pacing, priority, platform errors, and nothing lost or doubled across restarts."""

import asyncio
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.channels.base import Channel, Failure, Limits, SendError
from bot.core.messages import Outbound
from bot.db.models import ChannelAccount, Delivery, Member, Team
from bot.delivery import pacing, queue
from bot.delivery.pacing import SAFETY_S, WIDER, Pacer
from bot.delivery.sender import Outbox
from bot.delivery.states import BULK, REPLY

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class RecordingChannel(Channel):
    """Records every send with its time; scripted failures per text."""

    code = "rec"

    def __init__(self, per_second=1000.0, chat_interval=0.0, latency=0.0):
        self.limits = Limits(per_second=per_second, chat_interval=chat_interval)
        self.latency = latency
        self.sent: list[tuple[str, str, float]] = []
        self.failures: dict[str, list[SendError]] = {}

    async def send(self, external_id, message):
        if self.latency:
            await asyncio.sleep(self.latency)
        script = self.failures.get(message.text)
        if script:
            raise script.pop(0)
        self.sent.append((external_id, message.text, time.monotonic()))
        return f"p{len(self.sent)}"


async def enqueue(db, rows, priority=REPLY):
    async with db.session() as session:
        for external_id, text in rows:
            queue.enqueue(session, "rec", external_id, Outbound(text), priority=priority, now=NOW)
        await session.commit()


async def statuses(db) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        return dict(rows.all())


async def run_until(outbox, channel, count, timeout=20.0):
    await outbox.start()
    deadline = time.monotonic() + timeout
    while len(channel.sent) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await outbox.stop()


async def test_global_rate_is_held(db):
    channel = RecordingChannel(per_second=20)
    await enqueue(db, [(f"c{i}", f"m{i}") for i in range(40)])
    await run_until(Outbox(db, {"rec": channel}), channel, 40)
    times = [t for _, _, t in channel.sent]
    assert len(times) == 40
    assert times[-1] - times[0] >= 39 / 20 * 0.95
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= 0.95, "more than 20 messages inside one second"
    assert await statuses(db) == {"sent": 40}


async def test_per_chat_interval_is_held_and_order_kept(db):
    channel = RecordingChannel(per_second=1000, chat_interval=0.25)
    await enqueue(db, [("same", f"m{i}") for i in range(5)] + [("other", "x")])
    await run_until(Outbox(db, {"rec": channel}), channel, 6)
    same = [(text, t) for chat, text, t in channel.sent if chat == "same"]
    assert [text for text, _ in same] == [f"m{i}" for i in range(5)]
    gaps = [b - a for (_, a), (_, b) in zip(same, same[1:], strict=False)]
    assert min(gaps) >= 0.24
    assert channel.sent[1][1] == "x", "another chat is not held up by a waiting one"


async def test_replies_go_before_bulk(db):
    channel = RecordingChannel(per_second=20)
    await enqueue(db, [(f"b{i}", f"bulk{i}") for i in range(60)], priority=BULK)
    outbox = Outbox(db, {"rec": channel})
    await outbox.start()
    await asyncio.sleep(0.5)
    await enqueue(db, [("member", "reply")])
    outbox.wake("rec")
    started = time.monotonic()
    while not any(text == "reply" for _, text, _ in channel.sent):
        await asyncio.sleep(0.01)
        assert time.monotonic() - started < 2.0, "the reply waited behind the bulk send"
    await outbox.stop()
    assert len(channel.sent) < 40


async def test_throttled_waits_retry_after_and_pauses_the_channel(db):
    channel = RecordingChannel(per_second=10, latency=0.03)
    channel.failures["first"] = [SendError(Failure.THROTTLED, "429", retry_after=0.6)]
    await enqueue(db, [("a", "first"), ("b", "second")])
    started = time.monotonic()
    await run_until(Outbox(db, {"rec": channel}), channel, 2)
    assert sorted(text for _, text, _ in channel.sent) == ["first", "second"]
    assert min(t for _, _, t in channel.sent) - started >= 0.55
    assert await statuses(db) == {"sent": 2}


async def test_retryable_errors_back_off_then_succeed(db):
    channel = RecordingChannel()
    channel.failures["flaky"] = [SendError(Failure.RETRYABLE, "502"), SendError(Failure.RETRYABLE, "timeout")]
    await enqueue(db, [("a", "flaky")])
    await run_until(Outbox(db, {"rec": channel}, retry_base=0.05), channel, 1)
    async with db.session() as session:
        row = (await session.execute(select(Delivery))).scalar_one()
    assert (row.status, row.attempts, row.platform_message_id) == ("sent", 3, "p1")


async def test_gone_marks_unreachable_and_permanent_fails(db):
    channel = RecordingChannel()
    channel.failures["to-blocked"] = [SendError(Failure.GONE, "403 blocked")]
    channel.failures["bad"] = [SendError(Failure.PERMANENT, "400 can't parse")]
    await enqueue(db, [("blocked-chat", "to-blocked"), ("c", "bad"), ("d", "fine")])
    await run_until(Outbox(db, {"rec": channel}), channel, 1)
    await asyncio.sleep(0)
    async with db.session() as session:
        rows = {r.external_id: r for r in (await session.execute(select(Delivery))).scalars()}
    assert rows["blocked-chat"].status == "unreachable"
    assert rows["c"].status == "failed" and "can't parse" in rows["c"].error
    assert rows["d"].status == "sent"


async def test_gone_flags_the_channel_account(demo_roster):
    db = demo_roster
    async with db.session() as session:
        team = (await session.execute(select(Team).limit(1))).scalar_one()
        member = Member(full_name="Lê Văn A", team_id=team.id, created_at=NOW)
        session.add(member)
        await session.flush()
        session.add(ChannelAccount(member_id=member.id, channel="rec", external_id="42", linked_at=NOW))
        await session.commit()
    channel = RecordingChannel()
    channel.failures["hello"] = [SendError(Failure.GONE, "403")]
    await enqueue(db, [("42", "hello"), ("43", "other")])
    await run_until(Outbox(db, {"rec": channel}), channel, 1)
    async with db.session() as session:
        assert (await session.execute(select(ChannelAccount.unreachable))).scalar_one() is True


async def test_restart_resends_nothing_sent_and_loses_nothing(db):
    channel = RecordingChannel(per_second=40)
    await enqueue(db, [(f"c{i}", f"m{i}") for i in range(30)])
    first = Outbox(db, {"rec": channel})
    await first.start()
    while len(channel.sent) < 10:
        await asyncio.sleep(0.01)
    await first.stop()
    assert 10 <= len(channel.sent) < 30
    assert (await statuses(db))["sent"] == len(channel.sent)
    await run_until(Outbox(db, {"rec": channel}), channel, 30)
    texts = [text for _, text, _ in channel.sent]
    assert sorted(texts) == sorted(f"m{i}" for i in range(30)) and len(set(texts)) == 30
    assert await statuses(db) == {"sent": 30}


async def test_rows_claimed_by_a_crashed_sender_are_sent_after_restart(db):
    await enqueue(db, [(f"c{i}", f"m{i}") for i in range(5)])
    crashed = Outbox(db, {"rec": RecordingChannel()})
    claimed = await crashed._claim("rec", 3)  # claimed, then the process died before sending
    assert len(claimed) == 3 and (await statuses(db)) == {"sending": 3, "queued": 2}
    channel = RecordingChannel()
    await run_until(Outbox(db, {"rec": channel}), channel, 5)
    assert sorted(text for _, text, _ in channel.sent) == [f"m{i}" for i in range(5)]


async def test_a_429_slows_the_pace_once_and_calm_brings_it_back(monkeypatch):
    pacer = Pacer(RecordingChannel(per_second=100))
    normal = pacer.window
    assert normal == pytest.approx(1 + SAFETY_S)  # 100 sends in any window of a little over a second
    pacer.throttled(0.01)
    pacer.throttled(0.01)  # a send that was in flight meets the same 429: one step, not two
    assert pacer.window == pytest.approx(normal + WIDER)
    await asyncio.sleep(0.01)  # the pause is over
    monkeypatch.setattr(pacing, "CALM_S", 0.02)  # a step narrower per calm spell, back to normal after four
    for n in range(100):
        await pacer.take(f"c{n}")
        await asyncio.sleep(0.01)
    assert pacer.window == pytest.approx(normal)
