"""Telegram adapter: Bot API updates become `Inbound`, `Outbound` becomes Bot API calls.

The one module that imports python-telegram-bot. It uses the bare `Bot`
(no Application, no ConversationHandler) to receive and for setup calls;
sends go through the lean `TelegramSender` (telegram_send.py). The core owns
conversation state and the outbox owns pacing and retries; this only translates.
"""

import asyncio
import contextlib
import json
import logging
import warnings
from datetime import UTC, datetime, timedelta

import telegram as tg
from aiohttp import web
from telegram import error
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.http import require_secret
from bot.channels.telegram_send import GONE_BAD_REQUESTS, TelegramSender
from bot.core.messages import Inbound, Outbound

log = logging.getLogger(__name__)

CODE = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATES = ["message", "callback_query", "my_chat_member"]
# Message kinds the core answers with "I can only read text and photos"; service messages are ignored.
OTHER_KINDS = ("sticker", "voice", "document", "audio", "video", "video_note", "animation", "location", "venue")
BLOCKING = {"kicked", "left"}
ACTIVE = {"member", "administrator", "restricted"}

# Telegram's command menu: client metadata, not chat messages, so not in content/locales.
COMMANDS = [  # (command, Vietnamese, English)
    ("start", "Bắt đầu", "Start"),
    ("menu", "Mở menu chính", "Open the main menu"),
    ("help", "Hướng dẫn sử dụng", "How to use the bot"),
    ("cancel", "Hủy thao tác đang làm", "Cancel the current step"),
    ("link", "Liên kết tài khoản", "Link your account"),
    ("language", "Đổi ngôn ngữ", "Change language"),
]


def to_inbound(update: dict) -> Inbound | None:
    """Translate one Bot API update; None for kinds the core does not handle (edits, channel posts…)."""
    for key, convert in _CONVERTERS.items():
        if key in update:
            return convert(update[key], str(update["update_id"]))
    return None


def _from_message(msg: dict, update_id: str) -> Inbound | None:
    """A member's message: text, photo, own contact, or another kind the core only acknowledges."""
    sender = msg.get("from") or {}
    common = _common(msg["chat"]["id"], update_id, sender, msg["date"])
    if "text" in msg:
        return Inbound(**common, text=_plain_command(msg["text"]))
    if "photo" in msg:
        return Inbound(**common, photo=_largest(msg["photo"]), text=msg.get("caption"))
    if "contact" in msg:
        return Inbound(**common, contact_phone=_own_phone(msg["contact"], sender))
    if any(kind in msg for kind in OTHER_KINDS):
        return Inbound(**common)
    return None


def _from_callback(query: dict, update_id: str) -> Inbound:
    """A tapped inline button: the payload, in the chat whose message carried the button."""
    sender = query["from"]
    chat_id = ((query.get("message") or {}).get("chat") or {}).get("id", sender["id"])
    return Inbound(**_common(chat_id, update_id, sender), payload=query.get("data"))


def _from_member(change: dict, update_id: str) -> Inbound | None:
    """The bot's own membership changed: blocked/removed, or allowed back."""
    old, new = change["old_chat_member"]["status"], change["new_chat_member"]["status"]
    event = "blocked" if new in BLOCKING else "unblocked" if old in BLOCKING and new in ACTIVE else None
    if event is None:
        return None
    return Inbound(**_common(change["chat"]["id"], update_id, change.get("from"), change["date"]), event=event)


_CONVERTERS = {"message": _from_message, "callback_query": _from_callback, "my_chat_member": _from_member}


def _common(chat_id: int, update_id: str, user: dict | None, date: int | None = None) -> dict:
    """Fields every Inbound has; the time is Telegram's when the update carries one (callbacks do not)."""
    user = user or {}
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part) or None
    common = {"channel": CODE, "external_id": str(chat_id), "message_id": update_id, "display_name": name}
    return common | ({"received_at": datetime.fromtimestamp(date, UTC)} if date is not None else {})


def _plain_command(text: str) -> str:
    """'/menu@cds_bot x' → '/menu x': in groups commands name the bot (privacy mode sends only ours)."""
    head, space, rest = text.partition(" ")
    return head.split("@", 1)[0] + space + rest if head.startswith("/") else text


def _largest(sizes: list[dict]) -> str:
    """Telegram sends several sizes of one photo; keep the biggest."""
    return max(sizes, key=lambda s: (s.get("width", 0) * s.get("height", 0), s.get("file_size", 0)))["file_id"]


def _own_phone(contact: dict, sender: dict) -> str | None:
    """The phone only when the member shared their own card; clients omit the '+' sometimes."""
    if not contact.get("user_id") or contact["user_id"] != sender.get("id"):
        return None
    phone = contact["phone_number"]
    return phone if phone.startswith("+") else f"+{phone}"


def _parse_update(body: bytes) -> dict:
    """A webhook body as an update dict, or 400 for anything that is not one."""
    try:
        update = json.loads(body)
    except ValueError:
        raise web.HTTPBadRequest() from None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise web.HTTPBadRequest()
    return update


def _retry_seconds(exc: error.RetryAfter) -> float:
    """PTB 22 gives retry_after as int or timedelta, depending on PTB_TIMEDELTA."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _quiet_loggers() -> None:
    """httpx logs request URLs (they hold the token); PTB's DEBUG logs hold URLs and message texts."""
    for name, level in (("httpx", logging.WARNING), ("httpcore", logging.WARNING), ("telegram", logging.INFO)):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < level:
            logger.setLevel(level)
    # PTB 22 warns on every RetryAfter that retry_after will become a timedelta; we handle both.
    warnings.filterwarnings("ignore", ".*attribute `retry_after` will be", PTBDeprecationWarning)


class TelegramChannel(Channel):
    """Telegram Bot API through PTB's bare `Bot`: webhook or long polling in, labelled sends out."""

    code = CODE
    supports_buttons = True
    poll_timeout = 25  # seconds Telegram holds a getUpdates call open
    poll_backoff = (1.0, 30.0)  # first and longest wait after a failed getUpdates

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.telegram.org",
        webhook_url: str = "",
        webhook_secret: str = "",
        paid_broadcast: bool = False,
        *,
        timeout: float = 10.0,
    ):
        if webhook_url and not webhook_secret:
            raise ValueError("a Telegram webhook needs a secret token")
        _quiet_loggers()  # before Bot(): PTB logs the API URL, token included, at DEBUG
        self.limits = Limits(per_second=1000 if paid_broadcast else 30, chat_interval=1.0, group_interval=3.0)
        self.paid_broadcast = paid_broadcast
        self.webhook_url = webhook_url
        self._secret = webhook_secret
        self._token = token
        api_url = api_url.rstrip("/")
        times = {"read_timeout": timeout, "write_timeout": timeout, "connect_timeout": timeout}
        request = HTTPXRequest(4, pool_timeout=timeout, **times)  # setup calls and file downloads only
        polling = HTTPXRequest(2, **times)  # PTB adds the long-poll timeout to read_timeout
        self._bot = tg.Bot(
            token, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot",
            request=request, get_updates_request=polling,
        )  # fmt: skip
        self._sender = TelegramSender(api_url, token, timeout, paid_broadcast)
        self._sink: InboundSink | None = None
        self._poller: asyncio.Task | None = None
        self._offset: int | None = None

    def chat_interval(self, external_id: str) -> float:
        """Groups (negative ids) take 20 messages a minute, private chats about one a second."""
        return self.limits.group_interval if external_id.startswith("-") else self.limits.chat_interval

    def setup_routes(self, app: web.Application) -> None:
        """Webhook mode only: Telegram posts updates to /webhooks/telegram."""
        if self.webhook_url:
            app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def start(self, sink: InboundSink) -> None:
        """Open the client, publish the command menu, then receive by webhook or long polling."""
        _quiet_loggers()
        self._sink = sink
        try:
            await self._bot.initialize()
            await self._set_commands()
            if self.webhook_url:
                await self._bot.set_webhook(self.webhook_url, secret_token=self._secret, allowed_updates=UPDATES)
            else:
                await self._bot.delete_webhook()
                self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        except error.TelegramError as exc:
            raise self._label(exc) from exc

    async def stop(self) -> None:
        """End polling, tell Telegram which updates we handled, close the HTTP clients."""
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            if self._offset is not None:  # confirm the last batch so a restart does not see it again
                with contextlib.suppress(error.TelegramError):
                    await self._bot.get_updates(offset=self._offset, timeout=0, read_timeout=2)
        await self._bot.shutdown()
        await self._sender.close()

    async def send(self, external_id: str, message: Outbound) -> str:
        """Send text (split if long), buttons or a contact request, and a photo; return the last message id."""
        return await self._sender.send(external_id, message)

    async def fetch_photo(self, reference: str) -> bytes:
        """Download a member's photo by its file_id."""
        try:
            file = await self._bot.get_file(reference)
            return bytes(await file.download_as_bytearray())
        except error.TelegramError as exc:
            raise self._label(exc) from exc

    async def _set_commands(self) -> None:
        """Vietnamese for 'vi' and as the default, English for 'en'."""
        vietnamese = [tg.BotCommand(name, vi) for name, vi, _ in COMMANDS]
        await self._bot.set_my_commands(vietnamese, language_code="vi")
        await self._bot.set_my_commands(vietnamese)
        await self._bot.set_my_commands([tg.BotCommand(name, en) for name, _, en in COMMANDS], language_code="en")

    def _label(self, exc: error.TelegramError) -> SendError:
        """Map PTB's exceptions (setup calls, photo downloads) to the outbox's failure labels."""
        detail = self._redact(exc.message)
        if isinstance(exc, error.RetryAfter):
            return SendError(Failure.THROTTLED, detail, retry_after=_retry_seconds(exc))
        if isinstance(exc, error.Forbidden | error.ChatMigrated):  # blocked, deactivated; group now a supergroup
            return SendError(Failure.GONE, detail)
        if isinstance(exc, error.BadRequest):  # subclass of NetworkError: test first
            gone = any(text in detail.lower() for text in GONE_BAD_REQUESTS)
            return SendError(Failure.GONE if gone else Failure.PERMANENT, detail)
        if isinstance(exc, error.InvalidToken | error.EndPointNotFound | error.Conflict):
            return SendError(Failure.CONFIG, detail)
        return SendError(Failure.RETRYABLE, detail)  # TimedOut, NetworkError (5xx), unreadable answers

    def _redact(self, text: str) -> str:
        """Error texts may quote the request URL, which holds the token."""
        return text.replace(self._token, "***")

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One update from Telegram, accepted only with the secret we gave to setWebhook."""
        require_secret(request, SECRET_HEADER, self._secret)
        if self._sink is None:
            raise web.HTTPServiceUnavailable()
        update = _parse_update(await request.read())
        try:
            inbound = to_inbound(update)
        except (KeyError, TypeError, ValueError):  # JSON, but not shaped like an Update
            raise web.HTTPBadRequest() from None
        await self._deliver(update, inbound)
        return web.Response()

    async def _poll(self) -> None:
        """Long-poll getUpdates until cancelled; failures back off and never end the loop."""
        delay = self.poll_backoff[0]
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=self._offset, timeout=self.poll_timeout, allowed_updates=UPDATES
                )
            except Exception as exc:  # the loop must survive anything but cancellation
                wait = _retry_seconds(exc) if isinstance(exc, error.RetryAfter) else delay
                detail = exc.message if isinstance(exc, error.TelegramError) else repr(exc)
                log.warning("telegram getUpdates failed, retry in %.0fs: %s", wait, self._redact(detail))
                await asyncio.sleep(wait)
                delay = min(delay * 2, self.poll_backoff[1])
                continue
            delay = self.poll_backoff[0]
            for update in updates:
                await self._handle(update.to_dict())
                self._offset = update.update_id + 1  # after handling: a stop mid-update sees it again

    async def _handle(self, update: dict) -> None:
        """Convert and deliver one polled update; a bad update or a failing sink skips only that update."""
        try:
            await self._deliver(update, to_inbound(update))
        except Exception:
            log.exception("telegram update %s was not processed", update.get("update_id"))

    async def _deliver(self, update: dict, inbound: Inbound | None) -> None:
        """Stop the button's spinner, then hand the Inbound to the core."""
        if "callback_query" in update:
            try:
                await self._bot.answer_callback_query(update["callback_query"]["id"])
            except error.TelegramError as exc:  # e.g. "query is too old" after downtime
                log.info("telegram answerCallbackQuery failed: %s", exc.message)
        if inbound is not None:
            await self._sink(inbound)
