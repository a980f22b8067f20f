"""The web chat with several processes on one PostgreSQL: a message reaches the process holding the socket.

Process 1 (tests/web_process.py `serve`) holds the members' sockets and sends nothing; process 2 (`send`)
sends a broadcast with a photo and holds no socket. The member connected to process 1 gets it exactly
once, and its photo (a link process 2 made) is served by process 1; members with no socket anywhere
get it when they connect, also exactly once.
"""

import asyncio
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.db.models import Delivery
from bot.db.shared import WebFrame
from bot.services import broadcast as bc
from bot.web.chat_identity import COOKIE, ChatIdentity
from tests import web_process
from tests.fakes.members import NOW, add_members
from tests.sender_process import wait

pytestmark = pytest.mark.parametrize("any_db", ["postgres"], indirect=True)

KEY = "a-test-key-for-the-web-chat-cookies-0123456789"
CONNECTED, AWAY, GONE = "10000000", "10000001", "10000002"  # the web chat ids add_members gives
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _broadcast(db, photo: Path) -> int:
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(), text_vi="Thông báo họp",
                                    photo=str(photo), now=NOW)
        assert await bc.expand(session, broadcast, NOW) == 3
        await session.commit()
        return broadcast.id


async def _port(port_file: Path) -> int:
    for _ in range(300):
        if port_file.exists() and port_file.read_text():
            return int(port_file.read_text())
        await asyncio.sleep(0.05)
    raise AssertionError("the web process did not start")


async def _open(http: aiohttp.ClientSession, base: str, chat: str) -> aiohttp.ClientWebSocketResponse:
    """A socket of `chat` (its signed cookie, our own origin) that said hello and got `ready` back."""
    cookie = f"{COOKIE}={ChatIdentity(KEY).sign(chat)}"
    ws = await http.ws_connect(f"{base}/chat/ws", headers={"Cookie": cookie, "Origin": base})
    await ws.send_json({"type": "hello"})
    assert await ws.receive_json(timeout=5) == {"type": "ready"}
    return ws


async def _nothing_more(ws: aiohttp.ClientWebSocketResponse) -> bool:
    try:
        await ws.receive_json(timeout=1.0)
    except TimeoutError:
        return True
    return False


async def _waiting(db) -> dict[str, int]:
    async with db.session() as session:
        return dict((await session.execute(select(WebFrame.chat, func.count()).group_by(WebFrame.chat))).all())


async def test_a_member_on_one_process_gets_a_broadcast_sent_by_another_once(any_db, demo_roster, tmp_path):
    db = demo_roster
    await add_members(db, 3, channel="web")
    photo = tmp_path / "poster.png"
    photo.write_bytes(PNG)
    port_file = tmp_path / "port"
    server = web_process.start("serve", db.url, KEY, tmp_path / "media-1", str(port_file))
    try:
        base = f"http://127.0.0.1:{await _port(port_file)}"
        async with aiohttp.ClientSession() as http:
            ws = await _open(http, base, CONNECTED)
            sender = web_process.start("send", db.url, KEY, tmp_path / "media-2", str(await _broadcast(db, photo)))
            assert await wait(sender, timeout=60) == 0
            frame = await ws.receive_json(timeout=5)
            assert frame["type"] == "message" and "Thông báo họp" in frame["text"]
            assert await _nothing_more(ws), "the member got the broadcast twice"
            served = await http.get(base + frame["photo"])
            assert served.status == 200 and await served.read() == PNG  # a link process 2 made
            async with db.session() as session:
                statuses = (await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)))
                assert dict(statuses.all()) == {"sent": 3}
            assert await _waiting(db) == {AWAY: 1, GONE: 1}  # nobody held their sockets: they wait

            later = await _open(http, base, AWAY)
            assert "Thông báo họp" in (await later.receive_json(timeout=5))["text"]
            assert await _nothing_more(later) and await _nothing_more(ws)
            assert await _waiting(db) == {GONE: 1}
    finally:
        server.terminate()
        assert await wait(server, timeout=15) == 0
