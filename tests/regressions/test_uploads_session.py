"""Issue 19 item 3: `/chat/upload` took files from anyone, cross-origin, with no limit, and kept them forever.

(100 × 1 MB in 0.66 s, all kept.) Uploads now belong to the chat of the cookie, come only from our own
page, are limited per chat and per address, are capped per chat, and are deleted after a day.
"""

import asyncio
import os
import time

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import WebChannel
from bot.web import uploads
from bot.web.chat_identity import COOKIE
from tests.channels.web.conftest import RecordingSink

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CHATS = [f"{n:08d}-1111-4111-8111-aaaaaaaaaaaa" for n in range(10)]


@pytest.fixture
async def site(tmp_path):
    """(test client, channel, sink) of a started web channel."""
    sink = RecordingSink()
    channel = WebChannel(tmp_path / "media")
    app = web.Application()
    channel.setup_routes(app)
    await channel.start(sink)
    async with TestClient(TestServer(app)) as client:
        yield client, channel, sink
    await channel.stop()


def own_page(client: TestClient, channel: WebChannel, chat: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={channel.identity.sign(chat)}", "Origin": str(client.make_url("")).rstrip("/")}


async def post(client: TestClient, headers: dict[str, str]):
    form = FormData()
    form.add_field("photo", PNG, filename="p.png", content_type="image/png")
    return await client.post("/chat/upload", data=form, headers=headers)


@pytest.mark.parametrize("case", ["no-cookie", "forged-cookie", "other-origin", "no-origin"])
async def test_upload_without_our_page_and_its_chat_is_refused_and_nothing_kept(site, case):
    client, channel, _sink = site
    mine = own_page(client, channel, CHATS[0])
    headers = {"no-cookie": {"Origin": mine["Origin"]},
               "forged-cookie": {"Origin": mine["Origin"], "Cookie": f"{COOKIE}={CHATS[0]}.{'A' * 32}"},
               "other-origin": {**mine, "Origin": "https://evil.example"},
               "no-origin": {"Cookie": mine["Cookie"]}}[case]
    response = await post(client, headers)
    assert response.status == 403 and (await response.json())["reason"] == "no_chat"
    assert not any(channel.upload_dir.iterdir())


async def test_one_chat_may_upload_ten_a_minute(site, monkeypatch):
    client, channel, _sink = site
    statuses = [(await post(client, own_page(client, channel, CHATS[0]))).status for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert len(list(channel.upload_dir.iterdir())) == 10
    clock = time.monotonic() + 61
    monkeypatch.setattr(uploads.time, "monotonic", lambda: clock)
    assert (await post(client, own_page(client, channel, CHATS[0]))).status == 200


async def test_new_chats_from_one_address_share_its_limit(site):
    client, channel, _sink = site
    statuses = []
    for chat in CHATS[:7]:  # 7 chats × 9 uploads: under each chat's limit, over the address's 60 an hour
        statuses += [(await post(client, own_page(client, channel, chat))).status for _ in range(9)]
    assert statuses.count(200) == uploads.PER_SOURCE[0] and statuses[-1] == 429


async def test_a_chat_keeps_at_most_twenty_uploads(site, monkeypatch):
    client, channel, _sink = site
    clock = [time.monotonic()]
    monkeypatch.setattr(uploads.time, "monotonic", lambda: clock[0])
    statuses = []
    for _ in range(22):
        clock[0] += 7  # slow enough for the per-minute limit
        statuses.append((await post(client, own_page(client, channel, CHATS[0]))).status)
    assert statuses == [200] * uploads.KEPT_PER_CHAT + [429, 429]
    assert (await post(client, own_page(client, channel, CHATS[1]))).status == 200  # other chats are not held up


async def test_another_chat_cannot_send_my_upload(site):
    client, channel, sink = site
    ref = (await (await post(client, own_page(client, channel, CHATS[0]))).json())["ref"]
    ws = await client.ws_connect("/chat/ws", headers=own_page(client, channel, CHATS[1]))
    await ws.send_json({"type": "hello"})
    assert (await ws.receive_json(timeout=2))["type"] == "ready"
    await ws.send_json({"type": "photo", "ref": ref, "id": "m-00000001"})
    assert (await ws.receive_json(timeout=2))["error"] == "bad ref"
    assert sink.received == []


async def test_uploads_older_than_a_day_are_deleted_when_the_channel_starts_and_hourly(tmp_path):
    channel = WebChannel(tmp_path / "media")
    channel.upload_dir.mkdir(parents=True)
    old, fresh = channel.upload_dir / "old-upload-aaaaaaaa.png", channel.upload_dir / "new-upload-aaaaaaaa.png"
    for path in (old, fresh):
        path.write_bytes(PNG)
    day_ago = time.time() - uploads.KEEP_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    await channel.start(RecordingSink())
    try:
        for _ in range(200):
            if not old.exists():
                break
            await asyncio.sleep(0.01)
        assert not old.exists() and fresh.exists()
        assert channel._pruning is not None and not channel._pruning.done()  # and again every hour
    finally:
        await channel.stop()
