"""Issue 19 item 12: invite-code guessing was limited per chat only, so every new web chat got fresh tries.

Wrong codes are now counted per source address too (the web channel tells the core where a message came
from), and a right link code still binds nothing without its member's confirmation
(test_web_identity_link.py).
"""

import asyncio
import itertools

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import WebChannel
from bot.core.messages import Inbound
from bot.services.members import MAX_WRONG_CODES, MAX_WRONG_PER_SOURCE
from bot.web.chat_identity import COOKIE
from tests.channels.web.conftest import RecordingSink
from tests.chat import Harness
from tests.handlers.test_register import invite

_ids = itertools.count(1)
LOCKED = "nhập sai mã quá nhiều lần"


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def typed(harness, chat: str, text: str, source: str | None) -> None:
    """A chat types `text`, coming from `source`; what it saw is kept in `harness.last_text`."""
    inbound = Inbound("fake", chat, text=text, message_id=f"g{next(_ids)}", source=source,
                      received_at=harness.clock.now())
    await harness.core.handle(inbound)
    view = harness.chat(chat)
    view.last = await view.replies()
    harness.last_text = view.text


async def guess_from(harness, source: str, chats: range) -> None:
    """Every chat in `chats` types all its wrong codes."""
    for n in chats:
        for _ in range(MAX_WRONG_CODES):
            await typed(harness, f"web-{n}", "/start ZZZZZZZZ", source)


async def test_new_chats_from_one_address_get_no_fresh_tries(harness):
    await guess_from(harness, "203.0.113.7", range(MAX_WRONG_PER_SOURCE // MAX_WRONG_CODES))
    good = await invite(harness.db, "21409-03")
    await typed(harness, "web-new", f"/start {good}", "203.0.113.7")  # even the right code: the address waits
    assert LOCKED in harness.last_text
    await typed(harness, "web-elsewhere", f"/start {good}", "198.51.100.9")  # another address is not held up
    assert "Thôn 3" in harness.last_text
    harness.clock.advance(minutes=61)
    await typed(harness, "web-later", f"/start {good}", "203.0.113.7")
    assert "Thôn 3" in harness.last_text


async def test_tries_left_count_the_address_too(harness):
    await guess_from(harness, "203.0.113.8", range(3))  # 15 of the address's 20
    await typed(harness, "web-fresh", "/start ZZZZZZZZ", "203.0.113.8")
    assert "Còn 4 lần thử" in harness.last_text
    await typed(harness, "web-fresh", "/start ZZZZZZZZ", "203.0.113.8")
    assert "Còn 3 lần thử" in harness.last_text
    for _ in range(3):
        await typed(harness, "web-other", "/start ZZZZZZZZ", "203.0.113.8")
    assert "Còn 0 lần thử" in harness.last_text


async def test_messengers_without_an_address_keep_the_per_chat_limit(harness):
    for n in range(5):
        for _ in range(MAX_WRONG_CODES):
            await typed(harness, f"tg-{n}", "/start ZZZZZZZZ", None)
    await typed(harness, "tg-new", "/start ZZZZZZZZ", None)
    assert "Còn 4 lần thử" in harness.last_text


@pytest.mark.parametrize(("forwarded", "source"), [
    (None, "127.0.0.1"),
    ("203.0.113.5", "203.0.113.5"),  # a reverse proxy on this machine forwards the client's address
    ("not-an-address", "127.0.0.1"),
])
async def test_the_web_channel_tells_the_core_where_a_message_came_from(tmp_path, forwarded, source):
    sink = RecordingSink()
    channel = WebChannel(tmp_path / "media")
    app = web.Application()
    channel.setup_routes(app)
    await channel.start(sink)
    chat = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa"
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        headers = {"Cookie": f"{COOKIE}={channel.identity.sign(chat)}", "Origin": str(client.make_url("")).rstrip("/")}
        if forwarded:
            headers["X-Forwarded-For"] = f"10.9.9.9, {forwarded}"  # only the proxy's own entry is believed
        ws = await client.ws_connect("/chat/ws", headers=headers)
        await ws.send_json({"type": "hello"})
        await ws.receive_json(timeout=2)
        await ws.send_json({"type": "text", "text": "ABCD1234", "id": "m-00000001"})
        for _ in range(200):
            if sink.received:
                break
            await asyncio.sleep(0.01)
        await ws.close()
    await channel.stop()
    assert sink.received[0].source == source
