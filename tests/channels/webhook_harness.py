"""One running cdsbot (`create_app`) with all three webhooks and the web chat, its platforms faked on loopback.

Shared by the forged-webhook table, the Hypothesis fuzzer and bench/fuzz.py: valid bodies to start from,
posting over real HTTP, what has been processed so far, and the tracebacks logged meanwhile.
"""

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import text

from bot.app import App, create_app
from bot.channels.base import Limits
from bot.channels.zalo_oa_events import mac
from bot.config import Settings
from bot.db.migrate import upgrade
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, FakeZaloOA

TELEGRAM_SECRET = "forged-table-telegram-secret_01"
ZALO_BOT_SECRET = "forged-table-zalo-bot-secret-01"
TELEGRAM, ZALO_OA, ZALO_BOT = "/webhooks/telegram", "/webhooks/zalo_oa", "/webhooks/zalo_bot"
TELEGRAM_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
ZALO_BOT_HEADERS = {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET, "Content-Type": "application/json"}
# What processing leaves behind; a refused call must change none of it.
TABLES = ("conversation", "inbound_seen", "zalo_event", "zalo_oa_user", "delivery")
_ids = itertools.count(int(time.time() * 1000) % 10**9)


def now_ms() -> int:
    return int(time.time() * 1000)


def telegram_text(chat: int = 700000001, text: str = "Xin chào") -> dict:
    """A member's text message as the Bot API posts it."""
    n = next(_ids)
    return {"update_id": n, "message": {
        "message_id": n, "date": int(time.time()), "text": text,
        "from": {"id": chat, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
        "chat": {"id": chat, "first_name": "Lan", "type": "private"}}}


def zalo_oa_text(user: str = "8000000000000000001", text: str = "Xin chào", at_ms: int | None = None) -> dict:
    """A member's text event as Zalo posts it to the OA webhook (sign it with `signed`)."""
    return {"app_id": APP_ID, "user_id_by_app": "5000000000000000001", "event_name": "user_send_text",
            "sender": {"id": user}, "recipient": {"id": OA_ID},
            "message": {"msg_id": f"fz{next(_ids):016x}", "text": text},
            "timestamp": str(at_ms if at_ms is not None else now_ms())}


def zalo_bot_text(chat: str = "a1b2c3d4e5f6a7b8c9d0", text: str = "Xin chào") -> dict:
    """A member's text update as the Bot Platform posts it, wrapped in {ok, result}."""
    return {"ok": True, "result": {"event_name": "message.text.received", "message": {
        "message_id": f"fz{next(_ids):018x}", "date": now_ms(), "text": text,
        "chat": {"id": chat, "chat_type": "PRIVATE"},
        "from": {"id": chat, "display_name": "Lan Nguyễn", "is_bot": False}}}}


def encode(body: object) -> bytes:
    """UTF-8 JSON as platforms post it; half a surrogate pair stays escaped (`\\ud800`), as JSON allows."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")


class Tracebacks(logging.Handler):
    """Every log record that carries a traceback (or is an error), wherever it was logged."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)

    def lines(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()[:200]}" for r in self.records]


@dataclass
class Running:
    """The running app, its fake platforms and an HTTP client to it."""

    app: App
    telegram: FakeTelegramAPI
    zalo_oa: FakeZaloOA
    zalo_bot: FakeZaloBot
    http: aiohttp.ClientSession
    tracebacks: Tracebacks = field(default_factory=Tracebacks)

    async def post(self, path: str, raw: bytes, headers: dict) -> int:
        """Post one call and wait until what it queued has been processed; the HTTP status."""
        async with self.http.post(self.app.url + path, data=raw, headers=headers) as response:
            await response.read()
        await self.settled()
        return response.status

    async def settled(self) -> None:
        """Zalo OA events are processed after the 200: wait for them."""
        await self.app.channels["zalo_oa"].idle()

    async def processed(self) -> dict[str, int]:
        """Rows in the tables processing writes, and callback queries answered on Telegram."""
        async with self.app.db.session() as session:
            counts = {t: (await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in TABLES}
        return counts | {"telegram_answered": len(self.telegram.answered)}

    async def replies_to(self, channel: str, external_id: str) -> int:
        """Replies queued for one chat (the outbox's rows), sent or not."""
        async with self.app.db.session() as session:
            return (await session.execute(text(
                "SELECT count(*) FROM delivery WHERE channel = :c AND external_id = :e AND broadcast_id IS NULL"),
                {"c": channel, "e": external_id})).scalar_one()


def settings_for(folder: Path, telegram: FakeTelegramAPI, zalo_oa: FakeZaloOA, zalo_bot: FakeZaloBot) -> Settings:
    """All three webhooks on, with their secrets; nothing read from the environment's .env."""
    return Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'cdsbot.db'}", web_port=0,
        media_dir=folder / "media", console=False,
        telegram_token=telegram.token, telegram_api_url=telegram.url,
        telegram_webhook_url="https://cds.example.vn/webhooks/telegram", telegram_webhook_secret=TELEGRAM_SECRET,
        zalo_oa_app_id=APP_ID, zalo_oa_app_secret=APP_SECRET, zalo_oa_oa_id=OA_ID, zalo_oa_secret_key=OA_SECRET_KEY,
        zalo_oa_api_url=zalo_oa.url, zalo_oa_oauth_url=zalo_oa.url, zalo_oa_access_token=zalo_oa.access_token,
        zalo_oa_refresh_token=zalo_oa.refresh_token,
        zalo_bot_token=zalo_bot.token, zalo_bot_api_url=zalo_bot.url,
        zalo_bot_webhook_url="https://cds.example.vn/webhooks/zalo_bot", zalo_bot_webhook_secret=ZALO_BOT_SECRET,
    )


@contextlib.asynccontextmanager
async def running(folder: Path) -> AsyncIterator[Running]:
    """Start cdsbot with every webhook and the web chat against fake platforms; stop it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    async with FakeTelegramAPI() as telegram, FakeZaloOA() as zalo_oa, FakeZaloBot() as zalo_bot:
        app = create_app(settings_for(folder, telegram, zalo_oa, zalo_bot))
        for channel in app.channels.values():
            channel.limits = Limits(per_second=100_000)  # no pacing: replies are not held back between cases
        root = logging.getLogger()
        handler = Tracebacks()
        root.addHandler(handler)
        try:
            await upgrade(app.db.engine)  # as `cdsbot db upgrade` before `cdsbot run`
            await app.start()
            async with aiohttp.ClientSession() as http:
                yield Running(app, telegram, zalo_oa, zalo_bot, http, handler)
        finally:
            await app.stop()
            root.removeHandler(handler)



def refreshed(channel: str, template: dict, chat: object) -> dict:
    """A template made current before mutating: a new message id, today's time, one of the fuzzers' chats."""
    body, n = json.loads(json.dumps(template)), next(_ids)
    rules = {  # key -> new value, wherever the key appears
        "telegram": {"update_id": n, "message_id": n, "date": int(time.time()), "id": chat},
        "zalo_oa": {"msg_id": f"fz{n:016x}", "timestamp": str(now_ms()), "id": chat},
        "zalo_bot": {"message_id": f"fz{n:018x}", "date": now_ms(), "id": chat},
        "web": {"id": f"m{n:010d}"},
    }[channel]
    stack = [body]
    while stack:
        node = stack.pop()
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(value, dict | list):
                stack.append(value)
            elif key in rules and not (key == "id" and channel == "telegram" and isinstance(value, str)):
                node[key] = rules[key]  # Telegram's callback query id stays a string
    return body


def oa_signature(raw: bytes) -> dict:
    """Headers Zalo would send for these exact bytes (the body's timestamp when it has a readable one)."""
    try:
        event = json.loads(raw)
        stamp = str(event.get("timestamp", "")) if isinstance(event, dict) else ""
    except (ValueError, RecursionError):
        stamp = ""
    return {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac(APP_ID, raw, stamp, OA_SECRET_KEY)}"}


WEBHOOKS = {"telegram": (TELEGRAM, lambda raw: TELEGRAM_HEADERS), "zalo_oa": (ZALO_OA, oa_signature),
            "zalo_bot": (ZALO_BOT, lambda raw: ZALO_BOT_HEADERS)}


class WebChat:
    """One web chat tab, through the page's public interface: the page (which issues the chat's cookie), then
    its WebSocket from the page's origin; `label` only names the tab in reports."""

    BARRIER = '{"type": "fuzz-barrier", "id": "barrier-0001"}'  # answered with an error frame, in order

    def __init__(self, bot: Running, label: str):
        self.bot, self.label = bot, label
        self.browser: aiohttp.ClientSession | None = None  # its own cookie jar: one browser, one chat
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.closed = 0  # sockets the server closed (e.g. a frame over its size limit): a refusal, not a failure

    async def connect(self) -> None:
        if self.browser is None:
            self.browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # cookies for 127.0.0.1
            async with self.browser.get(self.bot.app.url + "/chat") as page:
                await page.read()
        self.ws = await self.browser.ws_connect(self.bot.app.url + "/chat/ws", headers={"Origin": self.bot.app.url})
        await self.ws.send_str(json.dumps({"type": "hello", "fresh": False}))
        await self._until(lambda frame: frame.get("type") == "ready")

    async def send(self, text_frame: str) -> list[dict]:
        """Send one frame and wait until the server has dealt with it; the frames it answered with."""
        if self.ws is None or self.ws.closed:
            await self.connect()
        try:
            await self.ws.send_str(text_frame)
            await self.ws.send_str(self.BARRIER)
            return await self._until(lambda frame: frame.get("id") == "barrier-0001")
        except (ConnectionError, aiohttp.ClientError, RuntimeError):
            self.closed += 1
            self.ws = None
            await asyncio.sleep(0.05)  # whatever the server logs about the dropped socket lands in this case
            return []

    async def _until(self, done, timeout: float = 10.0) -> list[dict]:
        frames = []
        while True:
            message = await self.ws.receive(timeout=timeout)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket ended: {message.type}")
            frames.append(json.loads(message.data))
            if done(frames[-1]):
                return frames

    async def answered(self, text_: str) -> bool:
        """Whether a genuine message gets a reply (a message frame) on a fresh socket."""
        self.ws = None
        frames = await self.send(json.dumps({"type": "text", "id": f"m{next(_ids):010d}", "text": text_}))
        for _ in range(50):
            if any(f.get("type") == "message" for f in frames):
                return True
            try:
                frames += await self._until(lambda frame: frame.get("type") == "message", timeout=0.2)
            except (TimeoutError, ConnectionError):
                pass
        return False

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.browser is not None:
            await self.browser.close()


async def fuzz_once(bot: Running, channel: str, raw: bytes, web: dict[str, WebChat]) -> int:
    """Deliver one mutated body the way its platform would; the HTTP status (200 for a web chat frame)."""
    if channel == "web":
        chat = web[next(iter(web))] if len(raw) % 2 else web[list(web)[-1]]
        await chat.send(raw.decode("utf-8", "replace"))
        return 200
    path, headers = WEBHOOKS[channel]
    return await bot.post(path, raw, headers(raw))


async def stuck(bot: Running, channel: str, chats: list, web: dict[str, WebChat]) -> list[str]:
    """The fuzzers' chats on a channel that no longer answer a genuine message."""
    from tests.channels.mutations import TEMPLATES

    unanswered = []
    for chat in chats:
        if channel == "web":
            if not await web[chat].answered("/menu"):
                unanswered.append(chat)
            continue
        before = await bot.replies_to(channel, str(chat))
        body = refreshed(channel, TEMPLATES[channel][0], chat)
        await fuzz_once(bot, channel, encode(body), web)
        if await bot.replies_to(channel, str(chat)) <= before:
            unanswered.append(str(chat))
    return unanswered
