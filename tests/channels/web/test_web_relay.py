"""The web chat on PostgreSQL: two channels (two processes' worth: each its own engine) share one database.

A message sent by one reaches the chat's socket on the other once and in order; a chat with no socket
anywhere keeps the newest messages for its next connection; a lost LISTEN connection is reopened and
what was missed meanwhile is sent. (tests/test_delivery_web_processes.py does it with real processes.)
"""

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, text

from bot.channels import web_relay
from bot.channels.web import WebChannel
from bot.core.messages import Outbound
from bot.db.session import Database
from bot.db.shared import WebFrame
from tests.channels.web.test_web_channel import CHANNEL, CHAT_A, CHAT_B, open_chat

pytestmark = pytest.mark.parametrize("any_db", ["postgres"], indirect=True)
KEY = "a-test-key-for-the-web-chat-cookies-0123456789"


@pytest.fixture
async def pair(any_db, tmp_path, sink):
    """(holding, sending): the first serves sockets, the second only sends; both started, separate engines."""
    other = Database(any_db.url)
    channels = [WebChannel(tmp_path / name, secret=KEY, db=db) for name, db in (("one", any_db), ("two", other))]
    for channel in channels:
        await channel.start(sink)
    yield channels
    for channel in channels:
        await channel.stop()
    await other.dispose()


@pytest.fixture
async def client(pair):
    app = web.Application()
    app[CHANNEL] = pair[0]
    pair[0].setup_routes(app)
    async with TestClient(TestServer(app)) as client:
        yield client


async def _silent(ws) -> bool:
    try:
        await ws.receive_json(timeout=0.5)
    except TimeoutError:
        return True
    return False


async def _waiting(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(WebFrame))


async def test_a_message_sent_by_another_process_reaches_the_socket_once_and_in_order(any_db, pair, client):
    ws_a, ws_b = await open_chat(client, CHAT_A), await open_chat(client, CHAT_B)
    sent = [await pair[1].send(CHAT_A, Outbound(f"tin {n}")) for n in range(5)]
    frames = [await ws_a.receive_json(timeout=5) for _ in sent]
    assert [(f["id"], f["text"]) for f in frames] == [(id_, f"tin {n}") for n, id_ in enumerate(sent)]
    assert await _silent(ws_a) and await _silent(ws_b)  # once, and only to its own chat
    assert await _waiting(any_db) == 0


async def test_a_chat_with_no_socket_gets_the_newest_when_it_connects(any_db, pair, client):
    for n in range(60):
        await pair[1].send(CHAT_A, Outbound(f"tin {n}"))
    assert await _waiting(any_db) == 60
    ws = await open_chat(client, CHAT_A)
    frames = [await ws.receive_json(timeout=5) for _ in range(50)]
    assert [f["text"] for f in frames] == [f"tin {n}" for n in range(10, 60)]
    assert await _silent(ws) and await _waiting(any_db) == 0


async def test_a_lost_listening_connection_is_reopened_and_nothing_is_missed(any_db, pair, client, monkeypatch):
    monkeypatch.setattr(web_relay, "CHECK_S", 0.2)
    await pair[0].stop()  # restart the holding channel so its keeper checks every 0.2 s
    await pair[0].start(lambda inbound: None)
    ws = await open_chat(client, CHAT_A)
    listening = pair[0]._relay._listener._pg.get_server_pid()
    async with any_db.session() as session:  # the server drops the holding process's listening connection
        assert await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": listening})
    await pair[1].send(CHAT_A, Outbound("trong lúc mất kết nối"))
    assert (await ws.receive_json(timeout=5))["text"] == "trong lúc mất kết nối"
    assert await _silent(ws)
