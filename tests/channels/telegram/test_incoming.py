"""Incoming table: Telegram update bodies (testdata/*.json) → the Inbound the core sees; webhook and polling."""

import asyncio
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram import TelegramChannel, to_inbound
from bot.config import ConfigError
from bot.core.messages import Inbound
from tests.fakes.telegram_api import FakeTelegramAPI

TESTDATA = Path(__file__).parent / "testdata"
LAN = "Lan Nguyễn Thị"
SENT_AT = datetime.fromtimestamp(1760000000, UTC)
SECRET = "fake-webhook-secret_0123"
HOOK_URL = "https://cds.example.vn/webhooks/telegram"


def body(name: str) -> dict:
    return json.loads((TESTDATA / f"{name}.json").read_text("utf-8"))


def fields(inbound: Inbound) -> dict:
    """Everything but received_at, which is 'now' for callbacks."""
    return {key: value for key, value in asdict(inbound).items() if key != "received_at"}


CASES = [
    ("text", {"external_id": "700000001", "text": "Xin chào"}),
    ("start_code", {"external_id": "700000001", "text": "/start ABCD2345"}),
    ("callback_query", {"external_id": "700000001", "payload": "menu:report"}),
    ("photo", {"external_id": "700000001", "photo": "AgACAgIAAxkBAAFAKE-large", "text": "Buổi tập huấn ở thôn 3"}),
    ("contact_own", {"external_id": "700000001", "contact_phone": "+84900000000"}),
    ("contact_other", {"external_id": "700000001"}),  # someone else's card: no phone, no text
    ("my_chat_member_kicked", {"external_id": "700000001", "event": "blocked"}),
    ("my_chat_member_unblocked", {"external_id": "700000001", "event": "unblocked"}),
    ("sticker", {"external_id": "700000001"}),
    ("voice", {"external_id": "700000001"}),
    ("text_username", {"external_id": "700000001", "text": "/menu", "username": "Lan_CDS"}),  # as typed; stored lower
    ("group_text", {"external_id": "-1001234567890", "text": "/menu", "display_name": "Hùng", "username": None}),
    ("edited_message", None),
    ("channel_post", None),
    ("group_member_joined", None),  # service message
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[case[0] for case in CASES])
def test_update_to_inbound(name, expected):
    update = body(name)
    got = to_inbound(update)
    if expected is None:
        assert got is None
        return
    defaults = {"display_name": LAN, "username": "lan_cds"}
    want = Inbound("telegram", message_id=str(update["update_id"]), **{**defaults, **expected})
    assert fields(got) == fields(want)


def test_message_time_is_telegrams():
    assert to_inbound(body("text")).received_at == SENT_AT


def test_callback_from_inline_message_without_chat_falls_back_to_user():
    update = body("callback_query")
    del update["callback_query"]["message"]
    assert to_inbound(update).external_id == "700000001"


# -- webhook -------------------------------------------------------------------------------


@pytest.fixture
async def api():
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
async def webhook(api):
    """The channel in webhook mode behind a test server; yields (client, received inbounds)."""
    channel = TelegramChannel(api.token, api.url, webhook_url=HOOK_URL, webhook_secret=SECRET)
    app = web.Application()
    channel.setup_routes(app)
    received: list[Inbound] = []

    async def sink(inbound: Inbound) -> None:
        received.append(inbound)

    await channel.start(sink)
    async with TestClient(TestServer(app)) as client:
        yield client, received
    await channel.stop()


async def test_webhook_start_registers_url_secret_and_update_kinds(webhook, api):
    (call,) = api.calls_to("setWebhook")
    assert call.params["url"] == HOOK_URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert not api.calls_to("deleteWebhook")


async def test_webhook_valid_secret_delivers(webhook):
    client, received = webhook
    response = await client.post(
        "/webhooks/telegram", json=body("text"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status == 200
    assert [fields(i) for i in received] == [fields(to_inbound(body("text")))]


async def test_webhook_callback_is_answered(webhook, api):
    client, received = webhook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/webhooks/telegram", json=body("callback_query"), headers=headers)
    assert response.status == 200
    assert received[0].payload == "menu:report"
    assert api.answered == ["4382173930000000001"]


async def test_webhook_ignored_update_is_accepted_and_dropped(webhook):
    client, received = webhook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/webhooks/telegram", json=body("edited_message"), headers=headers)
    assert response.status == 200
    assert received == []


BAD_REQUESTS = [
    ("wrong secret", {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}, json.dumps(body("text")), 403),
    ("missing secret", {}, json.dumps(body("text")), 403),
    ("not json", {"X-Telegram-Bot-Api-Secret-Token": SECRET}, "{update_id: 1", 400),
    ("json list", {"X-Telegram-Bot-Api-Secret-Token": SECRET}, "[1, 2]", 400),
    ("no update_id", {"X-Telegram-Bot-Api-Secret-Token": SECRET}, json.dumps({"message": {}}), 400),
    ("message without chat", {"X-Telegram-Bot-Api-Secret-Token": SECRET},
     json.dumps({"update_id": 5, "message": {"message_id": 1, "date": 1, "text": "x"}}), 400),
]  # fmt: skip


@pytest.mark.parametrize(("case", "headers", "data", "status"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
async def test_webhook_rejects(webhook, api, case, headers, data, status):
    client, received = webhook
    response = await client.post("/webhooks/telegram", data=data, headers=headers)
    assert response.status == status
    assert received == []
    assert api.answered == []


async def test_webhook_before_start_is_unavailable(api):
    channel = TelegramChannel(api.token, api.url, webhook_url=HOOK_URL, webhook_secret=SECRET)
    app = web.Application()
    channel.setup_routes(app)
    async with TestClient(TestServer(app)) as client:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        response = await client.post("/webhooks/telegram", json=body("text"), headers=headers)
    assert response.status == 503
    await channel.stop()


def test_webhook_without_secret_is_refused():
    with pytest.raises(ConfigError, match="^CDSBOT_TELEGRAM_WEBHOOK_SECRET: "):
        TelegramChannel("1:x", webhook_url=HOOK_URL)


def test_no_route_in_polling_mode():
    app = web.Application()
    TelegramChannel("1:x").setup_routes(app)
    assert not list(app.router.routes())


# -- polling -------------------------------------------------------------------------------


@pytest.fixture
async def polling(api):
    """The channel in polling mode; yields (channel, queue of received inbounds)."""
    channel = TelegramChannel(api.token, api.url)
    channel.poll_backoff = (0.05, 0.2)
    received: asyncio.Queue[Inbound] = asyncio.Queue()
    await channel.start(received.put)
    yield channel, received
    await channel.stop()


async def test_polling_delivers_each_update_once(polling, api):
    channel, received = polling
    first = api.push_update(body("text"))
    assert (await asyncio.wait_for(received.get(), 5)).text == "Xin chào"
    second = api.push_update(body("start_code"))
    assert (await asyncio.wait_for(received.get(), 5)).text == "/start ABCD2345"
    await asyncio.sleep(0.2)
    assert received.empty()  # nothing delivered twice
    offsets = [call.params.get("offset") for call in api.calls_to("getUpdates")]
    assert first["update_id"] + 1 in offsets and offsets[-1] == second["update_id"] + 1
    assert api.pending_updates == []  # the last offset confirmed both


async def test_polling_start_deletes_webhook_and_asks_for_needed_kinds(polling, api):
    channel, received = polling
    api.push_update(body("text"))
    await asyncio.wait_for(received.get(), 5)
    assert len(api.calls_to("deleteWebhook")) == 1
    call = api.calls_to("getUpdates")[0]
    assert call.params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert call.params["timeout"] == 25


async def test_polling_answers_callback(polling, api):
    channel, received = polling
    api.push_update(body("callback_query"))
    assert (await asyncio.wait_for(received.get(), 5)).payload == "menu:report"
    assert api.answered == ["4382173930000000001"]


async def test_polling_survives_server_errors(polling, api):
    channel, received = polling
    api.fail_next("getUpdates", 502, "Bad Gateway", times=2)
    api.push_update(body("text"))
    assert (await asyncio.wait_for(received.get(), 5)).text == "Xin chào"


async def test_polling_survives_a_failing_sink(api):
    channel = TelegramChannel(api.token, api.url)
    got: asyncio.Queue[Inbound] = asyncio.Queue()

    async def sink(inbound: Inbound) -> None:
        if inbound.text == "Xin chào":
            raise RuntimeError("core bug")
        await got.put(inbound)

    await channel.start(sink)
    api.push_update(body("text"))
    api.push_update(body("start_code"))
    assert (await asyncio.wait_for(got.get(), 5)).text == "/start ABCD2345"
    await channel.stop()


async def test_stop_ends_long_poll_quickly_and_confirms_offset(polling, api):
    channel, received = polling
    api.push_update(body("text"))
    await asyncio.wait_for(received.get(), 5)
    await asyncio.sleep(0.1)  # the loop is now inside a 25 s long poll
    began = time.monotonic()
    await channel.stop()
    assert time.monotonic() - began < 2
    assert api.pending_updates == []


async def test_start_publishes_commands_in_vietnamese_and_english(polling, api):
    assert set(api.commands) == {("default", "vi"), ("default", ""), ("default", "en")}
    names = [c["command"] for c in api.commands[("default", "en")]]
    assert names == ["start", "menu", "help", "cancel", "link", "language"]
    assert api.commands[("default", "")] == api.commands[("default", "vi")]
    assert api.commands[("default", "vi")][0]["description"] != api.commands[("default", "en")][0]["description"]
