"""Issue 19 item 9: an event that fails on every start was retried forever, with tracebacks at each start.

After `MAX_FAILURES` failures a stored OA event (or an outgoing message) is set aside in `dead_letter` with its
error (secrets and phone numbers masked), listed by `cdsbot deadletters`, and never blocks the others.
"""

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import select

from bot.channels.base import Channel, Limits
from bot.core.messages import Inbound, Outbound
from bot.db.models import Delivery
from bot.db.zalo import ZaloEvent
from bot.delivery import queue
from bot.delivery.sender import Outbox
from bot.services import deadletters
from bot.services.deadletters import MAX_FAILURES
from tests.channels.zalo_oa.conftest import body, make_channel, open_hook
from tests.fakes.zalo_oa_api import FakeZaloOA, signed
from tests.test_cli import cdsbot

POISON = "8000000000000000666"


def text_event(sender: str, n: int) -> dict:
    event = body("user_send_text")
    event["sender"]["id"], event["message"]["msg_id"] = sender, f"poison-test-{n}"
    return event


class Recorder:
    """The core as the channel sees it: fails on the poison sender (quoting a phone number), records the rest."""

    def __init__(self):
        self.received: list[str] = []

    async def __call__(self, inbound: Inbound) -> None:
        self.received.append(inbound.external_id)
        if inbound.external_id == POISON:
            raise RuntimeError("insert failed for the member with phone 0912 345 678")


async def _start_once(db, api, sink) -> None:
    """One start of the serving process: stored events are queued, processed, and the process stops."""
    channel = make_channel(db, api)
    hook, client = await open_hook(channel)
    await channel.stop()
    await channel.start(sink)
    await channel.idle()
    await channel.stop()
    await client.close()


def _tracebacks(caplog) -> int:
    """cdsbot's own tracebacks (SQLAlchemy's pool may log one when a stop cancels a task mid-query)."""
    return sum(1 for r in caplog.records if r.exc_info and r.name.startswith("bot."))


async def test_an_event_failing_on_every_start_is_set_aside_and_blocks_nobody(any_db, caplog):
    recorder = Recorder()
    async with FakeZaloOA() as api:
        channel = make_channel(any_db, api)
        hook, client = await open_hook(channel)
        await channel.stop()
        await channel.start(recorder)
        for n, sender in enumerate((POISON, "8000000000000000001", "8000000000000000002")):
            assert (await client.post("/webhooks/zalo_oa", data=signed(text_event(sender, n))[0],
                                      headers=signed(text_event(sender, n))[1])).status == 200
        await channel.idle()
        await channel.stop()
        await client.close()
        for start in range(MAX_FAILURES + 2):  # the others are never held up, the poison is tried MAX_FAILURES times
            caplog.clear()
            await _start_once(any_db, api, recorder)
            assert _tracebacks(caplog) <= (1 if start < MAX_FAILURES - 1 else 0)
    assert recorder.received.count(POISON) == MAX_FAILURES
    assert recorder.received.count("8000000000000000001") == recorder.received.count("8000000000000000002") == 1
    async with any_db.session() as session:
        assert (await session.execute(select(ZaloEvent).where(ZaloEvent.processed_at.is_(None)))).first() is None
        (letter,) = await deadletters.listing(session)
    assert (letter.source, letter.failures, letter.summary) == ("zalo_oa", MAX_FAILURES, "zalo_oa event user_send_text")
    assert letter.error.startswith("RuntimeError: insert failed") and "0912" not in letter.error


async def test_a_500_character_sender_id_is_not_retried_forever(any_db, caplog):
    recorder = Recorder()
    async with FakeZaloOA() as api:
        channel = make_channel(any_db, api)
        hook, client = await open_hook(channel)
        await channel.stop()
        raw, headers = signed(text_event("9" * 500, 99))
        await client.post("/webhooks/zalo_oa", data=raw, headers=headers)  # stored, or refused at the door
        await client.close()
        caplog.clear()
        for _ in range(MAX_FAILURES + 1):
            await _start_once(any_db, api, recorder)
    assert _tracebacks(caplog) <= MAX_FAILURES
    async with any_db.session() as session:
        assert (await session.execute(select(ZaloEvent).where(ZaloEvent.processed_at.is_(None)))).first() is None


class Plain(Channel):
    """A channel that sends anything instantly."""

    code = "plain"
    limits = Limits(per_second=1000)

    def __init__(self):
        self.sent: list[str] = []

    async def send(self, external_id: str, message: Outbound) -> str:
        self.sent.append(message.text)
        return str(len(self.sent))


async def test_an_unreadable_outgoing_message_is_set_aside_and_the_rest_is_sent(any_db):
    channel = Plain()
    now = datetime.now(UTC)
    async with any_db.session() as session:
        queue.enqueue(session, "plain", "c1", Outbound("trước"), now=now)
        broken = Delivery(channel="plain", external_id="c1", payload={"no": "text"}, created_at=now)
        session.add(broken)
        queue.enqueue(session, "plain", "c2", Outbound("sau"), now=now)
        await session.commit()
    outbox = Outbox(any_db, {"plain": channel}, retry_base=0.01)
    await outbox.start()
    for _ in range(200):
        await asyncio.sleep(0.02)
        async with any_db.session() as session:
            status = await session.scalar(select(Delivery.status).where(Delivery.id == broken.id))
        if status == "failed":
            break
    await outbox.stop()
    assert status == "failed" and sorted(channel.sent) == ["sau", "trước"]
    async with any_db.session() as session:
        (letter,) = await deadletters.listing(session)
    assert (letter.source, letter.ref, letter.failures) == ("delivery", broken.id, MAX_FAILURES)
    async with any_db.session() as session:  # dropped: forgotten, and the message stays failed
        await deadletters.drop(session, letter.id)
        await session.commit()
        assert await deadletters.listing(session) == []
        assert await session.scalar(select(Delivery.status).where(Delivery.id == broken.id)) == "failed"


async def test_the_cli_lists_shows_retries_and_drops_dead_letters(any_db, tmp_path, caplog):
    caplog.set_level(logging.CRITICAL)
    async with FakeZaloOA() as api:
        channel = make_channel(any_db, api)
        hook, client = await open_hook(channel)
        await channel.stop()
        raw, headers = signed(text_event(POISON, 7))
        await client.post("/webhooks/zalo_oa", data=raw, headers=headers)
        await client.close()
        for _ in range(MAX_FAILURES):
            await _start_once(any_db, api, Recorder())
        cli = dict(CDSBOT_DATABASE_URL=any_db.url)
        listed = cdsbot(tmp_path, "deadletters", "list", **cli)
        assert listed.returncode == 0 and "zalo_oa event user_send_text" in listed.stdout, listed.stderr
        letter_id = listed.stdout.splitlines()[1].split(",")[0]
        shown = cdsbot(tmp_path, "deadletters", "show", letter_id, **cli)
        assert f"failures:     {MAX_FAILURES}" in shown.stdout and "phone ***" in shown.stdout
        assert cdsbot(tmp_path, "deadletters", "show", "999", **cli).stderr == "cdsbot: no dead letter 999\n"
        assert "put back" in cdsbot(tmp_path, "deadletters", "retry", letter_id, **cli).stdout
        received = []

        async def healed(inbound: Inbound) -> None:  # the cause was fixed: the event goes through once
            received.append(inbound.external_id)

        await _start_once(any_db, api, healed)
        assert received == [POISON]
        assert cdsbot(tmp_path, "deadletters", "list", **cli).stdout.splitlines()[1:] == []

