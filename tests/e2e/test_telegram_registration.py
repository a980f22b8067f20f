"""A member registers through Telegram against a local Bot API server, in polling and in webhook mode."""

import asyncio
import itertools
import time

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.db.models import Member
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.handlers.test_register import invite

CHAT = 700000001
SECRET = "s3cret-webhook-token"
_ids = itertools.count(1)


def user() -> dict:
    return {"id": CHAT, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn Thị", "language_code": "vi"}


def message(**content) -> dict:
    return {"update_id": 900000 + next(_ids), "message": {
        "message_id": next(_ids), "from": user(), "chat": {"id": CHAT, "type": "private", "first_name": "Lan"},
        "date": int(time.time()), **content}}


def tap(data: str) -> dict:
    return {"update_id": 900000 + next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": user(), "chat_instance": "1", "data": data,
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": CHAT, "type": "private"},
                    "text": "…"}}}


def settings_for(db, api, **extra) -> Settings:
    return Settings(database_url=db.url, web_port=0, web_chat=False, telegram_token=DEFAULT_TOKEN,
                    telegram_api_url=api.url, **extra)


async def next_reply(api, seen: int, timeout: float = 10.0) -> dict:
    """Wait for the bot's next sendMessage to the member; returns its params."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = [c for c in api.calls_to("sendMessage") if c.params.get("chat_id") == CHAT]
        if len(sent) > seen:
            return sent[seen].params
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not answer")


async def register_flow(api, deliver) -> None:
    """The member's side of registration; `deliver` hands one update to the bot."""
    code = api.invite
    await deliver(message(text=f"/start {code}", entities=[{"type": "bot_command", "offset": 0, "length": 6}]))
    assert "Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức" in (await next_reply(api, 0))["text"]
    await deliver(message(text="Nguyễn Thị Lan"))
    ask_phone = await next_reply(api, 1)
    assert ask_phone["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    await deliver(message(contact={"phone_number": "84905000001", "first_name": "Lan", "user_id": CHAT}))
    confirm = await next_reply(api, 2)
    assert "+84905000001" in confirm["text"]
    buttons = [b["callback_data"] for row in confirm["reply_markup"]["inline_keyboard"] for b in row]
    assert "register:confirm" in buttons
    await deliver(tap("register:confirm"))
    welcome = await next_reply(api, 3)
    assert "Chào mừng Nguyễn Thị Lan gia nhập tổ" in welcome["text"]
    assert any(b["callback_data"] == "menu:team" for row in welcome["reply_markup"]["inline_keyboard"] for b in row)


async def registered(db) -> list[str]:
    async with db.session() as session:
        return list((await session.execute(select(Member.full_name))).scalars())


async def test_register_by_long_polling(demo_roster):
    async with FakeTelegramAPI() as api:
        api.invite = await invite(demo_roster, "21409-03")
        app = create_app(settings_for(demo_roster, api))
        await app.start()
        try:
            await register_flow(api, lambda update: asyncio.sleep(0, api.push_update(update)))
            assert api.answered, "the callback query was answered so the button stops spinning"
            assert {lang for _, lang in api.commands} >= {"vi", "en"}
        finally:
            await app.stop()
    assert await registered(demo_roster) == ["Nguyễn Thị Lan"]


async def test_register_by_webhook_and_refuse_forged_calls(demo_roster):
    async with FakeTelegramAPI() as api, aiohttp.ClientSession() as http:
        api.invite = await invite(demo_roster, "21409-03")
        app = create_app(settings_for(demo_roster, api, telegram_webhook_url="https://cds.example.org/webhooks/telegram",
                                      telegram_webhook_secret=SECRET))
        await app.start()
        try:
            assert api.webhook["url"] == "https://cds.example.org/webhooks/telegram"
            url = f"{app.url}/webhooks/telegram"
            forged = await http.post(url, json=message(text="/start X"), headers={
                "X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert forged.status == 403

            async def deliver(update):
                response = await http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert response.status == 200

            await register_flow(api, deliver)
        finally:
            await app.stop()
    assert await registered(demo_roster) == ["Nguyễn Thị Lan"]


@pytest.mark.parametrize("limit", [None])
async def test_replies_respect_the_per_chat_limit(demo_roster, limit):
    async with FakeTelegramAPI(chat_interval=1.0) as api:
        app = create_app(settings_for(demo_roster, api))
        await app.start()
        try:
            for text in ("a", "b", "c"):
                api.push_update(message(text=text))
            await next_reply(api, 2, timeout=15)
        finally:
            await app.stop()
    assert api.throttled == 0
