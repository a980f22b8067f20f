"""Zalo Bot Platform adapter: the Telegram-like Bot API (`/bot<token>/<method>`, JSON) in plain aiohttp.

No buttons (the core numbers the options), photos only by public URL (local
files are served from /media/zalo/<random token>), and no update offset:
updates are deduplicated on event name + message id.
"""

import asyncio
import contextlib
import json
import logging
import secrets
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.http import LazySession, require_secret
from bot.core.messages import Inbound, Outbound
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


def updates_in(body) -> list[dict]:
    """Updates from a poll answer or webhook body: wrapped in {ok, result} or bare, one or a list."""
    if isinstance(body, dict) and "ok" in body and "result" in body:
        body = body["result"]
    if isinstance(body, dict):
        return [body] if isinstance(body.get("event_name"), str) else []
    return [u for u in body if isinstance(u, dict) and isinstance(u.get("event_name"), str)] \
        if isinstance(body, list) else []


def to_inbound(update: dict) -> Inbound | None:
    """Translate one update; None for events the core does not handle."""
    name, message = update["event_name"], update["message"]
    sender = message.get("from") or {}
    chat_id = (message.get("chat") or {}).get("id") or sender["id"]
    common = {"channel": CODE, "external_id": str(chat_id), "message_id": str(message["message_id"]),
              "display_name": sender.get("display_name") or None}
    if isinstance(message.get("date"), int | float):
        common["received_at"] = datetime.fromtimestamp(message["date"] / 1000, UTC)
    if name == "message.text.received":
        return Inbound(**common, text=message.get("text") or "")
    if name == "message.image.received":
        return Inbound(**common, photo=message.get("photo"), text=message.get("caption") or None)
    if name in OTHER_EVENTS:
        return Inbound(**common)  # the core answers that it reads text and photos
    return None


class ZaloBotChannel(Channel):
    """A Zalo bot: long polling or webhook in, sendMessage / sendPhoto out."""

    code = CODE
    supports_buttons = False
    limits = Limits(per_second=20, chat_interval=0.5)  # undocumented (zalo-api.md Uncertain #13): cautious
    poll_timeout = 30
    poll_backoff = (1.0, 30.0)

    def __init__(self, token: str, api_url: str = "https://bot-api.zaloplatforms.com", webhook_url: str = "",
                 webhook_secret: str = "", public_url: str = "", *, timeout: float = 10.0):
        if webhook_url and not 8 <= len(webhook_secret) <= 256:
            raise ValueError("a Zalo bot webhook needs a secret token of 8 to 256 characters")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.webhook_url = webhook_url
        self._secret = webhook_secret
        self.public_url = public_url.rstrip("/")
        self._timeout = timeout
        self._client = LazySession(timeout)
        self._sink: InboundSink | None = None
        self._poller: asyncio.Task | None = None
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._media: dict[str, Path] = {}
        self._media_tokens: dict[Path, str] = {}

    def setup_routes(self, app: web.Application) -> None:
        """Photos we send are fetched by Zalo from /media/zalo/<token>; the webhook only in webhook mode."""
        app.router.add_get(MEDIA_PATH, self._serve_media)
        if self.webhook_url:
            app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def start(self, sink: InboundSink) -> None:
        """Register the webhook, or remove it and start long polling (the two exclude each other)."""
        self._sink = sink
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
            url = self._photo_url(message.photo)
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
        """Bot API error codes as outbox labels."""
        code = int(answer.get("error_code") or status)
        detail = self._redact(f"{code} {answer.get('description') or ''}".strip())
        if code == 429:
            retry = (answer.get("parameters") or {}).get("retry_after")
            return SendError(Failure.THROTTLED, detail, retry_after=float(retry) if retry else 5.0)
        if code in (401, 404):
            return SendError(Failure.CONFIG, detail)
        if code == 403:
            return SendError(Failure.GONE, detail)
        if code >= 500 or code == NO_NEWS:
            return SendError(Failure.RETRYABLE, detail)
        return SendError(Failure.PERMANENT, detail)

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***")

    def _photo_url(self, photo: str) -> str | None:
        """URLs as they are; a local file gets a random token under our public URL (None without one)."""
        if photo.startswith(("http://", "https://")):
            return photo
        path = Path(photo).resolve()
        if not path.is_file():
            raise SendError(Failure.PERMANENT, f"photo file not found: {path.name}")
        if not self.public_url:
            return None
        token = self._media_tokens.get(path)
        if token is None:
            token = secrets.token_urlsafe(18)
            self._media[token], self._media_tokens[path] = path, token
        return f"{self.public_url}/media/zalo/{token}"

    async def _serve_media(self, request: web.Request) -> web.StreamResponse:
        path = self._media.get(request.match_info["token"])
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    # -- receiving -----------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One update, accepted only with the secret given to setWebhook."""
        require_secret(request, SECRET_HEADER, self._secret)
        if self._sink is None:
            raise web.HTTPServiceUnavailable()
        try:
            updates = updates_in(json.loads(await request.read()))
        except ValueError:
            raise web.HTTPBadRequest() from None
        if not updates or not all(isinstance(u.get("message"), dict) and "message_id" in u["message"]
                                  for u in updates):
            raise web.HTTPBadRequest()
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
                    if int(answer.get("error_code") or status) == NO_NEWS:
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
        """Deliver one update unless seen before; a bad update or failing sink skips only that update."""
        try:
            key = (update["event_name"], str(update["message"]["message_id"]))
            if key in self._seen:
                return
            inbound = to_inbound(update)
            if inbound is not None:
                await self._sink(inbound)
            self._seen[key] = None
            while len(self._seen) > SEEN_KEEP:
                self._seen.popitem(last=False)
        except Exception:
            log.exception("zalo_bot update %s was not processed", update.get("event_name"))
