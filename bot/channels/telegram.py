"""Telegram adapter: Bot API updates become `Inbound`, `Outbound` becomes Bot API calls.

The one module that imports python-telegram-bot. It uses the bare `Bot`
(no Application, no ConversationHandler) to receive and for setup calls;
sends go through the lean `TelegramSender` (telegram_send.py). The core owns
conversation state and the outbox owns pacing and retries; this only translates.
"""

import asyncio
import contextlib
import logging
import warnings
from dataclasses import replace
from datetime import timedelta

import telegram as tg
from aiohttp import web
from telegram import error
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.http import Malformed, epoch, ident, read_json, require_secret, typed
from bot.channels.telegram_send import CAPTION_LIMIT, GONE_BAD_REQUESTS, TEXT_LIMIT, TelegramSender
from bot.config import ConfigError, unverifiable
from bot.core.messages import Inbound, Outbound
from bot.i18n import N_

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
    """Translate one Bot API update; None for kinds the core does not handle (edits, channel posts…).

    Raises Malformed when the update is not shaped as the Bot API documents (checked before anything is done)."""
    update_id = str(typed(update, "update_id", int))
    for key, convert in _CONVERTERS.items():
        if key in update:
            return convert(typed(update, key, dict), update_id)
    return None


def _from_message(msg: dict, update_id: str) -> Inbound | None:
    """A member's message: text, photo, own contact, or another kind the core only acknowledges."""
    sender = typed(msg, "from", dict, {})
    common = _common(ident(msg, "chat.id"), update_id, sender, typed(msg, "date", int))
    if "text" in msg:
        return Inbound(**common, text=_plain_command(typed(msg, "text", str)))
    if "photo" in msg:
        return Inbound(**common, photo=_largest(typed(msg, "photo", list)), text=typed(msg, "caption", str, None))
    if "contact" in msg:
        return Inbound(**common, contact_phone=_own_phone(typed(msg, "contact", dict), sender))
    if any(kind in msg for kind in OTHER_KINDS):
        return Inbound(**common)
    return None


def _from_callback(query: dict, update_id: str) -> Inbound:
    """A tapped inline button: the payload, in the chat whose message carried the button."""
    typed(query, "id", str)  # answered before the core sees the tap
    sender = typed(query, "from", dict)
    chat_id = ident(query, "message.chat.id", None) or ident(sender, "id")
    return Inbound(**_common(chat_id, update_id, sender), payload=typed(query, "data", str, None))


def _from_member(change: dict, update_id: str) -> Inbound | None:
    """The bot's own membership changed: blocked/removed, or allowed back."""
    old, new = typed(change, "old_chat_member.status", str), typed(change, "new_chat_member.status", str)
    common = _common(ident(change, "chat.id"), update_id, typed(change, "from", dict, None), typed(change, "date", int))
    event = "blocked" if new in BLOCKING else "unblocked" if old in BLOCKING and new in ACTIVE else None
    return Inbound(**common, event=event) if event else None


_CONVERTERS = {"message": _from_message, "callback_query": _from_callback, "my_chat_member": _from_member}


def _common(chat_id: str, update_id: str, user: dict | None, date: int | None = None) -> dict:
    """Fields every Inbound has; the time is Telegram's when the update carries one (callbacks do not)."""
    user = user or {}
    parts = (typed(user, "first_name", str, None), typed(user, "last_name", str, None))
    name = " ".join(part for part in parts if part) or None
    common = {"channel": CODE, "external_id": chat_id, "message_id": update_id, "display_name": name,
              "username": typed(user, "username", str, None)}
    return common | ({"received_at": epoch(date)} if date is not None else {})


def _plain_command(text: str) -> str:
    """'/menu@cds_bot x' → '/menu x': in groups commands name the bot (privacy mode sends only ours)."""
    head, space, rest = text.partition(" ")
    return head.split("@", 1)[0] + space + rest if head.startswith("/") else text


def _largest(sizes: list) -> str:
    """Telegram sends several sizes of one photo; keep the biggest."""
    if not sizes or not all(isinstance(size, dict) for size in sizes):
        raise Malformed("photo is not a list of sizes")
    area = [(typed(s, "width", int, 0) * typed(s, "height", int, 0), typed(s, "file_size", int, 0)) for s in sizes]
    return typed(sizes[area.index(max(area))], "file_id", str)


def _own_phone(contact: dict, sender: dict) -> str | None:
    """The phone only when the member shared their own card; clients omit the '+' sometimes."""
    owner = typed(contact, "user_id", int, None)
    if not owner or owner != typed(sender, "id", int, None):
        return None
    phone = typed(contact, "phone_number", str)
    return phone if phone.startswith("+") else f"+{phone}"


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
    name = N_("Telegram")
    limits = Limits(per_second=30, chat_interval=1.0, group_interval=3.0)
    text_limit, caption_limit = TEXT_LIMIT, CAPTION_LIMIT
    paid_per_second = 1000.0  # paid broadcasts (Telegram Stars): up to 1,000 messages a second
    supports_buttons = True
    shares_contact = True  # a reply-keyboard button sends the member's phone number
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
            raise ConfigError(unverifiable("CDSBOT_TELEGRAM_WEBHOOK_SECRET", "Telegram's webhook calls"))
        _quiet_loggers()  # before Bot(): PTB logs the API URL, token included, at DEBUG
        if paid_broadcast:
            self.limits = replace(self.limits, per_second=self.paid_per_second)
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

    async def start(self, sink: InboundSink | None) -> None:
        """Open the client, publish the command menu, then receive by webhook or long polling."""
        _quiet_loggers()
        self._sink = sink
        try:
            await self._bot.initialize()
            if sink is None:  # sending only: updates and the webhook stay for the serving process
                return
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
        """One update from Telegram, accepted only with the secret we gave to setWebhook.

        A body that is not an Update is answered 400 and nothing of it is done: Telegram itself never sends one
        (it comes from whoever holds the secret), and Telegram gives up on an update after a few failed tries."""
        require_secret(request, SECRET_HEADER, self._secret)
        if self._sink is None:
            raise web.HTTPServiceUnavailable()
        _raw, update = await read_json(request)  # 413 past the size limit, 400 for bad or too deeply nested JSON
        if not isinstance(update, dict):
            raise web.HTTPBadRequest()
        try:
            inbound = to_inbound(update)
        except Malformed:
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
        except Malformed as exc:
            log.warning("telegram update %s skipped: not shaped as the Bot API documents (%s)",
                        update.get("update_id"), exc)
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
