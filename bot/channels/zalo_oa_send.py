"""Zalo OA consultation sends: text, photos (uploaded once, reused while valid), query buttons; errors labelled.

Zalo answers errors with HTTP 200 and a negative `error` code; every answer is
checked and the code mapped to the outbox's labels. Button taps come back as
the member "sending" the button's payload, so payloads carry PAYLOAD_PREFIX.
"""

import asyncio
import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp

from bot.channels.base import Failure, SendError
from bot.channels.zalo_tokens import ZaloTokens
from bot.clock import LOCAL_TZ, Clock
from bot.core.messages import Button, Outbound
from bot.text import split_text

log = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"
UPLOAD_PATH = "/v2.0/oa/upload/image"
PAYLOAD_PREFIX = "#cds:"  # a text starting with this is a tap on one of our buttons
TEXT_LIMIT = 2000
MAX_BUTTONS = 5
TITLE_LIMIT = 100
PHOTO_LIMIT = 1024 * 1024  # JPG/PNG upload limit
ATTACHMENT_LIFE = timedelta(days=6, hours=12)  # Zalo keeps uploads ~7 days; stop reusing a bit before
# "Access token invalid or expired": production answers it with either sign and as 216 or 401 (zalo-api.md 1.9).
TOKEN_ERRORS = (-216, 216, -401, 401, -220)


class TokenRejected(Exception):
    """One of TOKEN_ERRORS: the access token is invalid or expired (refresh once, then retry)."""


class AttachmentExpired(Exception):
    """-100: an uploaded attachment_id is no longer valid."""


def _label(code: int, message: str, now: datetime) -> Exception:
    """Map a Zalo error code to a SendError (or to an internal exception the sender handles)."""
    detail = f"{code} {message}".strip()
    if code in TOKEN_ERRORS:
        return TokenRejected(detail)
    if code == -100:
        return AttachmentExpired(detail)
    if code == -32:
        return SendError(Failure.THROTTLED, detail, retry_after=60)
    if code == -218:  # this recipient's receive quota: skip them, the others still go
        return SendError(Failure.PERMANENT, f"recipient quota: {detail}")
    if code == -211:
        return SendError(Failure.THROTTLED, f"quota: {detail}", retry_after=3600)
    if code in (-230, -232):  # outside the 7-day consultation window: hold until the member writes again
        return SendError(Failure.OUT_OF_WINDOW, detail)
    if code == -234:  # no sends 22:00–06:00 for some message types
        return SendError(Failure.THROTTLED, f"night: {detail}", retry_after=_until_six(now))
    if code in (-213, -227):  # not following, or banned / inactive
        return SendError(Failure.GONE, detail)
    if code in (-209, -212, -221, -224, -242, -320, -321):
        return SendError(Failure.CONFIG, detail)
    return SendError(Failure.PERMANENT, detail)  # -201, -233, -244 and anything unknown


def _until_six(now: datetime) -> float:
    """Seconds until 06:00 in Vietnam."""
    local = now.astimezone(LOCAL_TZ)
    six = local.replace(hour=6, minute=0, second=0, microsecond=0)
    return ((six if six > local else six + timedelta(days=1)) - local).total_seconds()


def text_message(text: str) -> dict:
    return {"text": text}


def media_message(caption: str, element: dict) -> dict:
    """An image by `url` or `attachment_id`, with an optional caption."""
    payload = {"template_type": "media", "elements": [{"media_type": "image", **element}]}
    return ({"text": caption} if caption else {}) | {"attachment": {"type": "template", "payload": payload}}


def button_message(text: str, buttons: list[Button]) -> dict:
    """Text with query buttons, the only place that knows this shape: `message.text` plus a template
    attachment holding just `buttons` (no template_type), as Zalo's own PHP and .NET SDKs and live
    integrations send it (sources: docs/zalo-api.md, "Text with buttons")."""
    rows = [{"title": b.label[:TITLE_LIMIT], "type": "oa.query.hide", "payload": PAYLOAD_PREFIX + b.payload}
            for b in buttons]
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": rows}}}


def _with_numbered_extras(message: Outbound) -> tuple[str, list[Button]]:
    """At most five buttons per message: the rest become numbered lines under the text."""
    buttons = message.all_buttons()
    extra = [f"{n}. {b.label}" for n, b in enumerate(buttons[MAX_BUTTONS:], MAX_BUTTONS + 1)]
    text = message.text + ("\n\n" + "\n".join(extra) if extra else "")
    return text, buttons[:MAX_BUTTONS]


class OASender:
    """Consultation messages through the OA API, with the token refreshed once on rejection."""

    def __init__(self, api_url: str, tokens: ZaloTokens, clock: Clock):
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.clock = clock
        self._attachments: dict[str, tuple[str, datetime]] = {}  # content sha256 -> (attachment_id, uploaded)

    async def send(self, http: aiohttp.ClientSession, user_id: str, message: Outbound) -> str | None:
        """Photo first (captioned when it can be), then text pieces; buttons ride on the last piece."""
        text, buttons = _with_numbered_extras(message)
        message_id = None
        if message.photo:
            caption = text if len(text) <= TEXT_LIMIT and not buttons else ""
            message_id = await self._send_photo(http, user_id, message.photo, caption)
            if caption or not (text or buttons):
                return message_id
        pieces = split_text(text, TEXT_LIMIT)
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            body = button_message(piece, buttons) if last and buttons else text_message(piece)
            message_id = await self._cs(http, user_id, body)
        return message_id

    async def _send_photo(self, http, user_id: str, photo: str, caption: str) -> str | None:
        if photo.startswith(("http://", "https://")):
            return await self._cs(http, user_id, media_message(caption, {"url": photo}))
        content = await _read_photo(photo)
        for fresh in (False, True):  # an expired attachment_id is uploaded again, once
            attachment = await self._attachment(http, Path(photo).name, content, fresh)
            try:
                return await self._cs(http, user_id, media_message(caption, {"attachment_id": attachment}))
            except AttachmentExpired:
                log.info("zalo_oa attachment expired; uploading the photo again")
        raise SendError(Failure.PERMANENT, "photo attachment expired right after upload")

    async def _attachment(self, http, name: str, content: bytes, fresh: bool) -> str:
        """The attachment_id of this content, uploading when unknown, too old or known to be expired."""
        digest, now = hashlib.sha256(content).hexdigest(), self.clock.now()
        cached = self._attachments.get(digest)
        if cached and not fresh and now - cached[1] < ATTACHMENT_LIFE:
            return cached[0]
        data = await self._call(http, UPLOAD_PATH, upload=(name, content))
        attachment = data.get("attachment_id")
        if not attachment:
            raise SendError(Failure.RETRYABLE, "upload answered without attachment_id")
        self._attachments[digest] = (attachment, now)
        return attachment

    async def _cs(self, http, user_id: str, message: dict) -> str | None:
        data = await self._call(http, CS_PATH, json={"recipient": {"user_id": user_id}, "message": message})
        return str(data["message_id"]) if data.get("message_id") is not None else None

    async def _call(self, http, path: str, **body) -> dict:
        """One API call; a rejected token is refreshed once and the call repeated, then it is CONFIG."""
        token = await self.tokens.access_token(http)
        try:
            return await self._post(http, path, token, **body)
        except TokenRejected:
            token = await self.tokens.refresh_after_rejection(http, token)
        try:
            return await self._post(http, path, token, **body)
        except TokenRejected as exc:
            raise SendError(Failure.CONFIG, f"access token rejected after a refresh: {exc}") from None

    async def _post(self, http, path: str, token: str, json: dict | None = None,
                    upload: tuple[str, bytes] | None = None) -> dict:
        """POST and read Zalo's envelope; errors arrive with HTTP 200, so `error` decides."""
        form = None
        if upload is not None:
            form = aiohttp.FormData()
            form.add_field("file", upload[1], filename=upload[0], content_type=_image_type(upload[1]))
        try:
            async with http.post(self.api_url + path, json=json, data=form, headers={"access_token": token}) as r:
                if r.status >= 500:
                    raise SendError(Failure.RETRYABLE, f"HTTP {r.status}")
                try:
                    reply = await r.json(content_type=None)
                except ValueError:
                    failure = Failure.CONFIG if r.status >= 400 else Failure.RETRYABLE  # 4xx page: wrong URL
                    raise SendError(failure, f"HTTP {r.status}, not a Zalo answer") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendError(Failure.RETRYABLE, type(exc).__name__) from None
        if not isinstance(reply, dict):
            raise SendError(Failure.RETRYABLE, "not a Zalo answer")
        code = int(reply.get("error") or 0)
        if code == 0:
            return reply.get("data") or {}
        raise _label(code, str(reply.get("message") or ""), self.clock.now())


async def _read_photo(photo: str) -> bytes:
    path = Path(photo)
    if not await asyncio.to_thread(path.is_file):
        raise SendError(Failure.PERMANENT, f"photo file not found: {path.name}")
    content = await asyncio.to_thread(path.read_bytes)
    if len(content) > PHOTO_LIMIT:
        raise SendError(Failure.PERMANENT, f"photo over 1 MB: {path.name}")
    return content


def _image_type(content: bytes) -> str:
    return "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
