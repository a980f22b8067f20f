"""Zalo Bot Platform adapter: the Telegram-like Bot API (`/bot<token>/<method>`, JSON) in plain aiohttp.

No buttons (the core numbers the options), photos only by public URL (local
files are served from /media/zalo/<random token>, a link in the database so any
process serves it: see media_links), and no update offset:
updates are deduplicated on event name + message id. The platform redelivers
the bot's own messages as updates, so `getMe` at start learns the bot's id
(and checks the token) and updates from that id are dropped.
"""

import asyncio
import contextlib
import logging
from collections import OrderedDict
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.http import LazySession, Malformed, epoch, ident, read_json, require_secret, typed
from bot.channels.media_links import MediaLinks
from bot.config import ConfigError, unverifiable
from bot.core.messages import Inbound, Outbound
from bot.db.session import Database
from bot.i18n import N_
from bot.text import split_text

log = logging.getLogger(__name__)

CODE = "zalo_bot"
WEBHOOK_PATH = "/webhooks/zalo_bot"
MEDIA_PATH = "/media/zalo/{token}"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000
NO_NEWS = 408  # a long poll that ended without an update
OTHER_EVENTS = ("message.sticker.received", "message.unsupported.received", "message.voice.received")
SEEN_KEEP = 5000
# Every code on the platform's error-code page (docs/zalo-api.md 2.5) and what the outbox does with it.
ERRORS = {
    400: Failure.PERMANENT,  # bad request: this message can never be sent as is
    401: Failure.CONFIG,  # the token expired or is invalid
    403: Failure.RETRYABLE,  # the page calls 403 "internal server error", not "forbidden": retry
    404: Failure.PERMANENT,  # not found: the request is not valid
    408: Failure.RETRYABLE,  # the platform took too long (also how an empty long poll ends)
    429: Failure.THROTTLED,  # quota exceeded
}
THROTTLE_WAIT = 5.0  # seconds, when a 429 names no retry_after


def updates_in(body, strict: bool = False) -> list[dict]:
    """Updates from a poll answer or webhook body: wrapped in {ok, result} or bare, one or a list.

    Polling skips whatever is not an update; `strict` (the webhook) raises Malformed for it instead."""
    if isinstance(body, dict) and "ok" in body and "result" in body:
        body = body["result"]
    items = body if isinstance(body, list) else [body]
    updates = [u for u in items if isinstance(u, dict) and isinstance(u.get("event_name"), str)]
    if strict and (not updates or len(updates) != len(items)):
        raise Malformed("not an update, or a list with something else in it")
    return updates


def to_inbound(update: dict) -> Inbound | None:
    """Translate one update; None for events the core does not handle.

    Raises Malformed when the update is not shaped as the platform documents (a number as text, a date
    out of range…), so nothing of it is handled."""
    name, message = typed(update, "event_name", str), typed(update, "message", dict)
    sender = typed(message, "from", dict, {})
    common = {"channel": CODE, "external_id": ident(message, "chat.id", None) or ident(sender, "id"),
              "message_id": ident(message, "message_id"),
              "display_name": typed(sender, "display_name", str, None) or None}
    if message.get("date") is not None:  # epoch milliseconds
        common["received_at"] = epoch(message["date"], 1000)
    if name == "message.text.received":
        return Inbound(**common, text=typed(message, "text", str, ""))
    if name == "message.image.received":  # live updates carry `photo_url`; the docs show `photo`
        photo = typed(message, "photo_url", str, None) or typed(message, "photo", str, None)
        return Inbound(**common, photo=photo, text=typed(message, "caption", str, None) or None)
    if name in OTHER_EVENTS:
        return Inbound(**common)  # the core answers that it reads text and photos
    return None


def sender_id(update: dict) -> str | None:
    """Who sent the update's message (`message.from.id`), as a string."""
    sender = (update.get("message") or {}).get("from")
    return str(sender["id"]) if isinstance(sender, dict) and sender.get("id") is not None else None


def error_code(status: int, answer: dict) -> int:
    """The Bot API's `error_code`, else the HTTP status."""
    try:
        return int(answer.get("error_code") or status)
    except (TypeError, ValueError):
        return status


class ZaloBotChannel(Channel):
    """A Zalo bot: long polling or webhook in, sendMessage / sendPhoto out."""

    code = CODE
    name = N_("Zalo Bot")
    supports_buttons = False
    text_limit = TEXT_LIMIT
    limits = Limits(per_second=20, chat_interval=0.5)  # undocumented (zalo-api.md Uncertain #13): cautious
    poll_timeout = 30
    poll_backoff = (1.0, 30.0)

    def __init__(self, token: str, api_url: str = "https://bot-api.zaloplatforms.com", webhook_url: str = "",
                 webhook_secret: str = "", public_url: str = "", *, timeout: float = 10.0, db: Database | None = None):
        if webhook_url and not webhook_secret:
            raise ConfigError(unverifiable("CDSBOT_ZALO_BOT_WEBHOOK_SECRET", "the Zalo Bot Platform's webhook calls"))
        if webhook_url and not 8 <= len(webhook_secret) <= 256:
            raise ConfigError("CDSBOT_ZALO_BOT_WEBHOOK_SECRET: must be 8 to 256 characters (Zalo's limit)")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.webhook_url = webhook_url
        self._secret = webhook_secret
        self.public_url = public_url.rstrip("/")
        self._timeout = timeout
        self._client = LazySession(timeout)
        self._sink: InboundSink | None = None
        self._poller: asyncio.Task | None = None
        self.bot_id: str | None = None  # from getMe; updates sent by this id are the bot's own echoes
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._media = MediaLinks(CODE, db)

    def setup_routes(self, app: web.Application) -> None:
        """Photos we send are fetched by Zalo from /media/zalo/<token>; the webhook only in webhook mode."""
        app.router.add_get(MEDIA_PATH, self._serve_media)
        if self.webhook_url:
            app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def start(self, sink: InboundSink | None) -> None:
        """Check the token (getMe), then register the webhook, or remove it and long-poll (they exclude each other)."""
        self._sink = sink
        await self._identify()
        if sink is None:  # sending only: updates and the webhook stay for the serving process
            return
        if self.webhook_url:
            await self._call("setWebhook", {"url": self.webhook_url, "secret_token": self._secret})
        else:
            await self._call("deleteWebhook", {})
            self._poller = asyncio.create_task(self._poll(), name="zalo_bot-poll")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self._client.close()

    async def send(self, external_id: str, message: Outbound) -> str | None:
        """Photo (captioned when the text fits), then the text in pieces of 2,000 characters."""
        text, message_id = message.text, None
        if message.photo:
            url = await self._photo_url(message.photo)
            if url is None:
                log.warning("zalo_bot: CDSBOT_PUBLIC_URL is empty, so a photo is sent as its text only")
            else:
                fits = len(text) <= TEXT_LIMIT
                body = {"chat_id": external_id, "photo": url} | ({"caption": text} if fits and text else {})
                message_id = (await self._call("sendPhoto", body)).get("message_id")
                if fits:
                    return str(message_id) if message_id is not None else None
        for piece in split_text(text, TEXT_LIMIT) if text else []:
            message_id = (await self._call("sendMessage", {"chat_id": external_id, "text": piece})).get("message_id")
        return str(message_id) if message_id is not None else None

    async def fetch_photo(self, reference: str) -> bytes:
        """Download a member's photo from the URL in the image update."""
        return await self._client.download(reference)

    # -- API -----------------------------------------------------------------------------------

    async def _identify(self) -> None:
        """getMe: a refused token stops start-up with one line naming the setting; the bot's id is kept."""
        status, answer = await self._request("getMe", {})
        answer = answer if isinstance(answer, dict) else {}
        if answer.get("ok") is not True:
            error = self._label(status, answer)
            if error.failure is not Failure.CONFIG:
                raise error
            setting = "CDSBOT_ZALO_BOT_TOKEN" if error_code(status, answer) == 401 else "CDSBOT_ZALO_BOT_API_URL"
            raise ConfigError(f"{setting}: the Zalo Bot Platform refused getMe ({error.detail})")
        me = answer.get("result") if isinstance(answer.get("result"), dict) else {}
        self.bot_id = str(me["id"]) if me.get("id") is not None else None
        log.info("zalo_bot: signed in as %s", me.get("account_name") or "?")

    async def _request(self, method: str, body: dict, timeout: float | None = None) -> tuple[int, object]:
        """POST one method; (HTTP status, decoded answer). Network trouble is RETRYABLE."""
        extra = {"timeout": aiohttp.ClientTimeout(total=timeout)} if timeout else {}
        try:
            async with self._client.session.post(f"{self.api_url}/bot{self._token}/{method}", json=body, **extra) as r:
                try:
                    return r.status, await r.json(content_type=None)
                except ValueError:
                    return r.status, {}
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendError(Failure.RETRYABLE, self._redact(f"{type(exc).__name__} {exc}")) from None

    async def _call(self, method: str, body: dict) -> dict:
        """One method call; its `result`, or a labelled SendError."""
        status, answer = await self._request(method, body)
        if isinstance(answer, dict) and answer.get("ok") is True:
            result = answer.get("result")
            return result if isinstance(result, dict) else {}
        raise self._label(status, answer if isinstance(answer, dict) else {})

    def _label(self, status: int, answer: dict) -> SendError:
        """A failed call as an outbox label, by the platform's error-code page (ERRORS)."""
        if not isinstance(answer.get("ok"), bool):  # a proxy or web server answered, not the Bot API
            failure = Failure.CONFIG if 400 <= status < 500 else Failure.RETRYABLE  # 4xx: a wrong API URL
            return SendError(failure, f"HTTP {status}, not a Zalo Bot API answer")
        code = error_code(status, answer)
        detail = self._redact(f"{code} {answer.get('description') or ''}".strip())
        failure = ERRORS.get(code, Failure.RETRYABLE if code >= 500 else Failure.PERMANENT)
        if failure is not Failure.THROTTLED:
            return SendError(failure, detail)
        retry = (answer.get("parameters") or {}).get("retry_after")
        return SendError(failure, detail, retry_after=float(retry) if retry else THROTTLE_WAIT)

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***")

    async def _photo_url(self, photo: str) -> str | None:
        """URLs as they are; a local file gets a random token under our public URL (None without one)."""
        if photo.startswith(("http://", "https://")):
            return photo
        path = Path(photo).resolve()
        if not path.is_file():
            raise SendError(Failure.PERMANENT, f"photo file not found: {path.name}")
        if not self.public_url:
            return None
        return f"{self.public_url}/media/zalo/{await self._media.token_for(path)}"

    async def _serve_media(self, request: web.Request) -> web.StreamResponse:
        """A photo we sent, by its link's token (any process made it); any other name is a 404."""
        path = await self._media.path_of(request.match_info["token"])
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    # -- receiving -----------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One update (or a list), accepted only with the secret given to setWebhook.

        Every update is checked before any is handled; a malformed one makes the call a 400 with nothing done.
        The platform sends well-formed updates, so such a body comes from whoever holds the secret, not Zalo."""
        require_secret(request, SECRET_HEADER, self._secret)
        if self._sink is None:
            raise web.HTTPServiceUnavailable()
        _raw, body = await read_json(request)  # 413 past the size limit, 400 for bad or too deeply nested JSON
        try:
            updates = updates_in(body, strict=True)
            for update in updates:
                to_inbound(update)
        except Malformed:
            raise web.HTTPBadRequest() from None
        for update in updates:
            await self._handle(update)
        return web.json_response({"ok": True})

    async def _poll(self) -> None:
        """Long-poll getUpdates (one update per call) until cancelled; failures back off."""
        delay = self.poll_backoff[0]
        while True:
            try:
                status, answer = await self._request("getUpdates", {"timeout": str(self.poll_timeout)},
                                                     timeout=self.poll_timeout + 10)
                if isinstance(answer, dict) and answer.get("ok") is False:
                    if error_code(status, answer) == NO_NEWS:
                        continue
                    raise self._label(status, answer)
            except SendError as exc:
                log.warning("zalo_bot getUpdates failed, retry in %.0fs: %s", delay, exc)
                await asyncio.sleep(exc.retry_after or delay)
                delay = min(delay * 2, self.poll_backoff[1])
                continue
            delay = self.poll_backoff[0]
            for update in updates_in(answer):
                await self._handle(update)

    async def _handle(self, update: dict) -> None:
        """Deliver one update unless malformed, seen before or sent by the bot itself; a bad one skips only itself."""
        try:
            inbound = to_inbound(update)
        except Malformed as exc:
            log.warning("zalo_bot %r update skipped: not shaped as the platform documents (%s)",
                        str(update.get("event_name"))[:40], exc)
            return
        try:
            key = (update["event_name"], str(update["message"]["message_id"]))
            if key in self._seen:
                return
            if self.bot_id is not None and sender_id(update) == self.bot_id:
                log.debug("zalo_bot: dropped the bot's own message %s", key[1])
                return
            if inbound is not None:
                await self._sink(inbound)
            self._seen[key] = None
            while len(self._seen) > SEEN_KEEP:
                self._seen.popitem(last=False)
        except Exception:
            log.exception("zalo_bot update %s was not processed", update.get("event_name"))
