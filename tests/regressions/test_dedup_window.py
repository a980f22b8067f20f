"""Issue 15.7: de-duplication of platform update ids is bounded in time, so a restarted id sequence
does not drop real messages, and old ids are pruned."""

from sqlalchemy import select

from bot.core.dispatcher import DEDUP_WINDOW
from bot.db.models import InboundSeen
from tests.chat import Harness


async def seen_ids(db) -> list[str]:
    async with db.session() as session:
        return sorted((await session.execute(select(InboundSeen.message_id))).scalars())


async def test_an_update_id_seen_days_ago_is_a_new_message(any_db):
    harness = Harness(any_db)
    chat = harness.chat("4242")
    await chat.send("xin chào", message_id="7")
    assert "mã mời" in chat.text.lower()
    await chat.send("xin chào", message_id="7")  # the platform re-delivers it an hour later
    assert chat.last == []
    harness.clock.advance(hours=49)  # the id sequence restarted: update 7 is another message
    await chat.send("xin chào", message_id="7")
    assert "mã mời" in chat.text.lower()
    await chat.send("xin chào", message_id="7")  # and its own re-delivery is dropped again
    assert chat.last == []


async def test_ids_older_than_the_window_are_pruned(any_db):
    harness = Harness(any_db)
    chat = harness.chat("4243")
    await chat.send("một", message_id="1")
    harness.clock.advance(hours=1)
    await chat.send("hai", message_id="2")
    assert await seen_ids(any_db) == ["1", "2"]
    harness.clock.advance(seconds=DEDUP_WINDOW.total_seconds() - 1800)  # "1" is past the window, "2" not yet
    await chat.send("ba", message_id="3")
    assert await seen_ids(any_db) == ["2", "3"]
