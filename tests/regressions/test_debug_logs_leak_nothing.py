"""Issue 15.9: at CDSBOT_LOG_LEVEL=DEBUG no log line carries a token, a secret or a phone number.

A member registers (sharing her phone), files a report with a photo and a note, and receives a
broadcast she acknowledges, all through the real Telegram channel (python-telegram-bot, httpx,
aiohttp) against the local Bot API, with logging set up as `cdsbot` sets it up. Every record
captured from every logger is then scanned.
"""

import asyncio
import logging
import re
import time

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Settings
from bot.db.models import Delivery, Member
from bot.db.reports import Report
from bot.log_setup import QUIET, configure_logging, redact, secrets_of
from bot.services import broadcast as bc
from bot.services.members import promote
from tests.e2e.test_telegram_registration import CHAT, message, register_flow, tap
from tests.fakes.members import add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.handlers.test_register import invite
from tests.report_images import photo

SECRET = "wh-secret-4f9a2c7e1b"
NOTE = "để nhận thêm ảnh"  # conversation data: the SQL parameter loggers must not print it either
PHONES = ("84905000001", "905000001", "0905 333 444", "0905333444", "0912.765.432", "0912765432")


@pytest.fixture
def cdsbot_logging():
    """Logging as `cdsbot` configures it, undone afterwards so other tests see the default."""
    root, factory = logging.getLogger(), logging.getLogRecordFactory()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET}
    yield configure_logging
    logging.setLogRecordFactory(factory)
    root.handlers[:], root.level = handlers, level
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


async def settle(app, timeout: float = 15.0) -> None:
    """Wait until the outbox has sent everything queued."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with app.db.session() as session:
            waiting = await session.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.status.in_(("queued", "sending"))))
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("deliveries still queued")


def texts_to_member(api) -> str:
    return "\n".join(c.params.get("text") or c.params.get("caption") or "" for c in api.calls
                     if c.params.get("chat_id") == CHAT)


async def file_report(app, api, deliver) -> None:
    """menu → type → today → 15 people → a photo → done → a note with a phone number → send."""
    api.add_file("photo-1", photo(1))
    sizes = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 1200, "height": 900, "file_size": 9000}]
    for update in (tap("menu:report"), tap("report:type:public_services"), tap("report:date:today"),
                   message(text="15"), message(photo=sizes), tap("report:photos_done"),
                   message(text=f"Gọi anh Tư 0905 333 444 {NOTE}"), tap("report:send")):
        await deliver(update)
        await settle(app)


async def send_broadcast(app, api, deliver) -> None:
    """A commune-wide broadcast quoting a phone number, acknowledged by the member."""
    await add_members(app.db, 5, channel="telegram", under="21409")
    async with app.db.session() as session:
        draft = await bc.create(session, sender=None, audience=bc.Audience(units=["21409"]), ack=True,
                                text_vi="Họp tổ 8 giờ. Cần hỏi gọi 0912.765.432.", now=app.clock.now())
        await bc.expand(session, draft, app.clock.now())
        await session.commit()
    app.outbox.wake("telegram")
    await settle(app)
    await deliver(tap(f"ack:{draft.id}:ok"))
    await settle(app)


async def test_registration_report_and_broadcast_at_debug_log_no_secret(any_db, demo_roster, caplog, cdsbot_logging):
    async with FakeTelegramAPI() as api, aiohttp.ClientSession() as http:
        settings = Settings(database_url=demo_roster.url, web_port=0, web_chat=False, telegram_token=DEFAULT_TOKEN,
                            quiet_start="00:00", quiet_end="00:00",  # no quiet hours: the broadcast goes at any hour
                            telegram_api_url=api.url, telegram_webhook_secret=SECRET,
                            telegram_webhook_url="https://cds.example.org/webhooks/telegram", log_level="DEBUG")
        cdsbot_logging(settings.log_level, secrets_of(settings))
        caplog.set_level(logging.DEBUG)
        api.invite = await invite(demo_roster, "21409-03")
        app = create_app(settings)
        await app.start()

        async def deliver(update):
            async with http.post(f"{app.url}/webhooks/telegram", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 200

        try:
            await register_flow(api, deliver)
            await settle(app)
            async with demo_roster.session() as session:
                lan = (await session.execute(select(Member).where(Member.phone == "+84905000001"))).scalar_one()
                await promote(session, lan.id, "leader")
                await session.commit()
            await file_report(app, api, deliver)
            await send_broadcast(app, api, deliver)
        finally:
            await app.stop()
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 1
    assert "0912.765.432" in texts_to_member(api)  # the broadcast reached her, phone and all

    records = caplog.records
    assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)  # cdsbot's own loggers do log at DEBUG
    assert any(r.name == "bot.app" for r in records), "records were captured"
    lines = [caplog.handler.format(r) for r in records]
    leaked = [line for line in lines if DEFAULT_TOKEN.split(":")[1] in line or SECRET in line or NOTE in line
              or any(re.sub(r"\D", "", phone) in re.sub(r"\D", "", line) for phone in PHONES if len(phone) > 10)
              or any(phone in line for phone in PHONES)]
    assert leaked == []


@pytest.mark.parametrize(("line", "kept"), [
    ("POST https://api.telegram.org/bot123456789:AAFakeTokenForTests-000000000000000000/sendMessage", "/bot***/"),
    ("token 123456789:AAFakeTokenForTests-000000000000000000 refused", "token ***"),
    ("contact +84905000001, typed 0905 123 456, 0905.123.456 or 84905123456", "contact ***, typed ***"),
    ('{"secret_token": "wh-secret", "access_token": "abc.def"}', '"secret_token": "***"'),
    ("update 900001 of chat 700000001 took 0.25 s", "update 900001 of chat 700000001 took 0.25 s"),
])
def test_redaction(line, kept):
    redacted = redact(line)
    assert kept in redacted
    assert not re.search(r"AAFake|905\D?\d{3}\D?\d{3}|wh-secret|abc\.def", redacted)
