"""A CLI broadcast sent from its own process must not swallow members' messages (issue 15, item 6).

`cdsbot broadcast send` with no server running used to start its Telegram channel like a server: it
long-polled getUpdates, handed what it got to a sink that ignored it, and confirmed the offset, so a member's
message written meanwhile was never answered. A sending-only process (`create_app(receive=False)`) now reads
no update on any channel: no polling, no webhook set or removed, no stored Zalo OA event taken.
"""

import asyncio
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.db.zalo import ZaloEvent
from tests.fakes.members import add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, FakeZaloOA
from tests.test_broadcast_cli import ROOT, cdsbot, free_port

WEBHOOK = "https://cds.example.org/webhooks/telegram"
READS = ("getUpdates", "setWebhook", "deleteWebhook")


def member_text(chat: int, text: str) -> dict:
    """A member's private message as the Bot API delivers it."""
    user = {"id": chat, "is_bot": False, "first_name": "Lan"}
    return {"message": {"message_id": 7, "date": 1764400000, "chat": {"id": chat, "type": "private"},
                        "from": user, "text": text}}


async def push_when_sending(api: FakeTelegramAPI, update: dict) -> None:
    """Queue a member's message once the broadcast is going out."""
    while not api.sent:
        await asyncio.sleep(0.01)
    api.push_update(update)


async def test_member_messages_stay_queued_at_telegram_during_a_cli_broadcast(demo_roster):
    db = demo_roster
    await add_members(db, 12, under="533", first_external=1000)
    async with FakeTelegramAPI() as api:
        api.webhook = {"url": WEBHOOK}  # the server (down now) uses a webhook: it must stay registered
        before = api.push_update(member_text(1000, "Tổ em họp lúc mấy giờ?"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
        env |= {"CDSBOT_DATABASE_URL": db.url, "CDSBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
                "CDSBOT_TELEGRAM_API_URL": api.url, "CDSBOT_WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT),
                "CDSBOT_QUIET_START": "00:00", "CDSBOT_QUIET_END": "00:00"}  # no quiet hours: any time of day
        during = asyncio.create_task(push_when_sending(api, member_text(1001, "Em cần hỗ trợ")))
        code, out, err = await cdsbot(env, "broadcast", "send", "--unit", "533", "--text-vi", "Họp tổ tối nay",
                                      "--yes")
        during.cancel()
    assert code == 0, err
    assert len(api.sent) == 12, "the broadcast went out"
    pending = [u["message"]["text"] for u in api.pending_updates]
    assert pending[0] == before["message"]["text"] and "Em cần hỗ trợ" in pending, "members' messages still wait"
    assert [c.method for c in api.calls if c.method in READS] == [], "no update read, webhook untouched"
    assert api.webhook["url"] == WEBHOOK
    assert "reads no member's message" in out


async def test_a_sending_only_app_reads_nothing_on_any_channel(db):
    async with FakeTelegramAPI() as telegram, FakeZaloBot() as zalo_bot, FakeZaloOA() as zalo_oa:
        telegram.push_update(member_text(1000, "Xin chào"))
        zalo_bot.push_update({"event_name": "message.text.received", "message": {
            "message_id": "m1", "date": 1764400000000, "text": "Xin chào",
            "chat": {"id": "c1", "chat_type": "PRIVATE"}, "from": {"id": "c1", "display_name": "Bình"}}})
        async with db.session() as session:
            session.add(ZaloEvent(event_key="user_send_text:m1", received_at=datetime.now(UTC), body={
                "event_name": "user_send_text", "app_id": APP_ID, "timestamp": "1764400000000",
                "sender": {"id": "u1"}, "recipient": {"id": OA_ID}, "message": {"msg_id": "m1", "text": "Xin chào"}}))
            await session.commit()
        port = free_port()
        app = create_app(Settings(
            database_url=db.url, web_port=port, telegram_token=DEFAULT_TOKEN, telegram_api_url=telegram.url,
            zalo_bot_token=zalo_bot.token, zalo_bot_api_url=zalo_bot.url,
            zalo_oa_app_id=APP_ID, zalo_oa_app_secret=APP_SECRET, zalo_oa_oa_id=OA_ID,
            zalo_oa_secret_key=OA_SECRET_KEY, zalo_oa_api_url=zalo_oa.url, zalo_oa_oauth_url=zalo_oa.url,
            zalo_oa_access_token=zalo_oa.access_token, zalo_oa_refresh_token=zalo_oa.refresh_token,
        ), receive=False)
        assert sorted(app.channels) == ["telegram", "zalo_bot", "zalo_oa"], "no web chat: its pages need the server"
        await app.start()
        try:
            await asyncio.sleep(0.3)
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0, "no web server: nobody takes it for a server"
        finally:
            await app.stop()
    assert [c.method for c in telegram.calls if c.method in READS + ("setMyCommands",)] == []
    assert len(telegram.pending_updates) == 1
    assert [c.method for c in zalo_bot.calls if c.method in READS] == []
    async with db.session() as session:
        (event,) = (await session.execute(select(ZaloEvent))).scalars().all()
    assert event.processed_at is None, "the stored OA event waits for the serving process"
