"""Incoming table: Zalo Bot update bodies (testdata/*.json) → Inbound; long polling and the webhook."""

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.base import Failure, SendError
from bot.channels.zalo_bot import ZaloBotChannel, to_inbound, updates_in
from bot.config import ConfigError
from bot.core.messages import Inbound, Outbound
from tests.fakes.zalo_bot_api import BOT_ID, FakeZaloBot

TESTDATA = Path(__file__).parent / "testdata"
CHAT = "a1b2c3d4e5f6a7b8c9d0"
SENT_AT = datetime.fromtimestamp(1760000000, UTC)
SECRET = "fake-zalo-bot-secret-01"
HOOK_URL = "https://cds.example.vn/webhooks/zalo_bot"


def body(name: str) -> dict:
    return json.loads((TESTDATA / f"{name}.json").read_text("utf-8"))


def fields(inbound: Inbound) -> dict:
    return {key: value for key, value in asdict(inbound).items() if value is not None}


CASES = [
    ("text", {"message_id": "2d0b1e5f0a0000000001", "text": "Xin chào"}),
    ("image", {"message_id": "2d0b1e5f0a0000000002", "photo": "https://photo-stal-1.zdn.vn/fake/photo-0002.jpg",
               "text": "Ảnh buổi tập huấn"}),  # as the docs show it: `photo`
    ("image_live", {"message_id": "2d0b1e5f0a0000000005", "photo": "https://photo-stal-1.zdn.vn/fake/photo-0005.jpg",
                    "text": "Ảnh buổi tập huấn"}),  # as live updates carry it: `photo_url`
    ("image_both", {"message_id": "2d0b1e5f0a0000000006",
                    "photo": "https://photo-stal-1.zdn.vn/fake/photo-0006.jpg"}),  # `photo_url` wins
    ("sticker", {"message_id": "2d0b1e5f0a0000000003"}),
    ("unsupported", {"message_id": "2d0b1e5f0a0000000004"}),
    ("unknown_event", None),
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "bare"])
def test_update_to_inbound(name, expected, wrapped):
    raw = body(name) if wrapped else body(name)["result"]
    (update,) = updates_in(raw)
    got = to_inbound(update)
    if expected is None:
        assert got is None
        return
    want = {"channel": "zalo_bot", "external_id": CHAT, "display_name": "Lan Nguyễn", "received_at": SENT_AT}
    assert fields(got) == want | expected


def test_echo_is_the_bots_own_message():
    """The redelivered echo is an ordinary-looking update; only the sender id (getMe's id) gives it away."""
    (update,) = updates_in(body("own_echo"))
    assert update["message"]["from"]["id"] == BOT_ID == body("get_me")["result"]["id"]


def test_not_an_update():
    assert updates_in({"ok": True, "result": {"url": ""}}) == [] and updates_in([1, "x"]) == []


# -- long polling --------------------------------------------------------------------------


@pytest.fixture
async def api():
    async with FakeZaloBot() as fake:
        yield fake


class Received(list):
    async def sink(self, inbound: Inbound) -> None:
        self.append(inbound)

    async def wait_for(self, count: int) -> None:
        for _ in range(200):
            if len(self) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"got {len(self)} inbounds, wanted {count}")


@pytest.fixture
async def polling(api):
    channel = ZaloBotChannel(api.token, api.url)
    channel.poll_timeout = 0.2  # the fake answers 408 after this, as Zalo does after 30 s
    received = Received()
    await channel.start(received.sink)
    yield channel, received
    await channel.stop()


async def test_polling_wrapped_bare_and_dedupe(polling, api):
    channel, received = polling
    api.push_update(body("text")["result"])  # the fake wraps it in {ok, result}
    api.push_update(body("image")["result"], bare=True)
    api.push_update(body("text")["result"])  # the same message again: no offset on Zalo, deduplicated here
    api.push_update(body("sticker")["result"])
    await received.wait_for(3)
    await asyncio.sleep(0.3)  # past an empty poll (408) too
    assert [i.message_id for i in received] == ["2d0b1e5f0a0000000001", "2d0b1e5f0a0000000002",
                                                "2d0b1e5f0a0000000003"]
    assert api.calls_to("deleteWebhook") and not api.calls_to("setWebhook")
    assert all(c.params == {"timeout": "0.2"} for c in api.calls_to("getUpdates"))


async def test_start_asks_getme_first_and_keeps_the_bots_id(polling, api):
    channel, _ = polling
    assert api.calls[0].method == "getMe" and channel.bot_id == BOT_ID


async def test_polling_drops_the_bots_own_messages(polling, api):
    channel, received = polling
    api.push_update(body("own_echo")["result"])
    api.push_update(body("text")["result"])
    await received.wait_for(1)
    await asyncio.sleep(0.1)
    assert [i.message_id for i in received] == ["2d0b1e5f0a0000000001"]


async def test_polling_a_live_photo_reaches_the_core_with_its_url(polling, api):
    _, received = polling
    api.push_update(body("image_live")["result"])
    await received.wait_for(1)
    assert received[0].photo == "https://photo-stal-1.zdn.vn/fake/photo-0005.jpg"


async def test_every_sent_message_echoed_back_is_dropped(polling, api):
    """The fake echoes like the live platform: what the bot sends never comes back to the core."""
    channel, received = polling
    api.echo = True
    await channel.send("a1b2c3d4e5f6a7b8c9d0", Outbound("Cảm ơn bạn!"))
    await channel.send("a1b2c3d4e5f6a7b8c9d0", Outbound("Ảnh", photo="https://cdn.example.vn/p.jpg"))
    api.push_update(body("text")["result"])
    await received.wait_for(1)
    await asyncio.sleep(0.1)
    assert len(api.echoes) == 2 and [i.text for i in received] == ["Xin chào"]


@pytest.mark.parametrize(("token", "api_path", "setting"), [
    ("999:wrong-token-000000", "", "CDSBOT_ZALO_BOT_TOKEN"),
    (None, "/not-the-bot-api", "CDSBOT_ZALO_BOT_API_URL"),
], ids=["wrong token", "wrong api url"])
async def test_start_refused_names_the_setting_and_never_the_token(api, token, api_path, setting):
    channel = ZaloBotChannel(token or api.token, api.url + api_path)
    with pytest.raises(ConfigError) as caught:
        await channel.start(Received().sink)
    message = str(caught.value)
    assert message.startswith(f"{setting}: ") and "\n" not in message
    assert (token or api.token) not in message and "wrong-token" not in message
    assert not api.calls_to("deleteWebhook") and not api.calls_to("getUpdates")
    await channel.stop()


async def test_sending_only_start_checks_the_token_and_reads_nothing(api):
    channel = ZaloBotChannel(api.token, api.url)
    await channel.start(None)
    await asyncio.sleep(0.05)
    assert [c.method for c in api.calls] == ["getMe"] and channel.bot_id == BOT_ID
    await channel.stop()


async def test_start_with_the_platform_down_is_retryable(api):
    channel = ZaloBotChannel(api.token, "http://127.0.0.1:9")
    with pytest.raises(SendError) as caught:
        await channel.start(Received().sink)
    assert caught.value.failure is Failure.RETRYABLE and api.token not in str(caught.value)
    await channel.stop()


async def test_polling_survives_errors_and_408(api):
    channel = ZaloBotChannel(api.token, api.url)
    channel.poll_timeout, channel.poll_backoff = 0.1, (0.05, 0.1)
    received = Received()
    api.fail_next("getUpdates", 502, "Bad Gateway")
    await channel.start(received.sink)
    await asyncio.sleep(0.3)  # a 502, then at least one empty poll ending in 408
    api.push_update(body("text")["result"])
    await received.wait_for(1)
    await channel.stop()
    assert len(api.calls_to("getUpdates")) >= 3


async def test_fetch_photo(api):
    api.photos["p2.jpg"] = b"\xff\xd8\xff\xe0photo"
    channel = ZaloBotChannel(api.token, api.url)
    assert await channel.fetch_photo(f"{api.url}/photos/p2.jpg") == b"\xff\xd8\xff\xe0photo"
    await channel.stop()


# -- webhook -------------------------------------------------------------------------------


@pytest.fixture
async def webhook(api):
    channel = ZaloBotChannel(api.token, api.url, webhook_url=HOOK_URL, webhook_secret=SECRET)
    app = web.Application()
    channel.setup_routes(app)
    received = Received()
    await channel.start(received.sink)
    async with TestClient(TestServer(app)) as client:
        yield client, received
    await channel.stop()


async def test_webhook_registered_with_secret(webhook, api):
    assert api.webhook == {"url": HOOK_URL, "secret_token": SECRET}
    assert not api.calls_to("deleteWebhook") and not api.calls_to("getUpdates")


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "bare"])
async def test_webhook_valid_secret_delivers_once(webhook, wrapped):
    client, received = webhook
    update = body("text") if wrapped else body("text")["result"]
    for _ in range(2):
        response = await client.post("/webhooks/zalo_bot", json=update, headers={"X-Bot-Api-Secret-Token": SECRET})
        assert response.status == 200
    assert [i.text for i in received] == ["Xin chào"]


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "bare"])
async def test_webhook_drops_the_bots_own_messages(webhook, wrapped):
    client, received = webhook
    for name in ("own_echo", "image_live"):
        update = body(name) if wrapped else body(name)["result"]
        response = await client.post("/webhooks/zalo_bot", json=update, headers={"X-Bot-Api-Secret-Token": SECRET})
        assert response.status == 200  # accepted, so the platform does not deliver the echo again
    assert [i.photo for i in received] == ["https://photo-stal-1.zdn.vn/fake/photo-0005.jpg"]


BAD = [
    ("forged secret", {"X-Bot-Api-Secret-Token": "not-the-secret"}, json.dumps(body("text")), 403),
    ("missing secret", {}, json.dumps(body("text")), 403),
    ("not json", {"X-Bot-Api-Secret-Token": SECRET}, '{"event_name": ', 400),
    ("no update", {"X-Bot-Api-Secret-Token": SECRET}, json.dumps({"ok": True, "result": {}}), 400),
    ("no message id", {"X-Bot-Api-Secret-Token": SECRET},
     json.dumps({"event_name": "message.text.received", "message": {"text": "x"}}), 400),
]


@pytest.mark.parametrize(("case", "headers", "raw", "status"), BAD, ids=[b[0] for b in BAD])
async def test_webhook_bad_requests(webhook, case, headers, raw, status):
    client, received = webhook
    response = await client.post("/webhooks/zalo_bot", data=raw, headers=headers)
    assert response.status == status and received == []


def test_webhook_needs_a_proper_secret():
    with pytest.raises(ConfigError, match="^CDSBOT_ZALO_BOT_WEBHOOK_SECRET: "):
        ZaloBotChannel("1:x", webhook_url=HOOK_URL, webhook_secret="short")
