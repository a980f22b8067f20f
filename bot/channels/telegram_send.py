"""Sending to the Telegram Bot API with one lean aiohttp client.

Receiving stays with python-telegram-bot (telegram.py). Sending goes straight to
the Bot API's JSON endpoints: PTB's per-call overhead (request objects, httpx's
connection pool scan, parsing the returned Message) measured about 1.6 ms of CPU
per message, which caps a broadcast far below the paid-broadcast rate of 1,000/s.
Error answers are labelled here from Telegram's own JSON (`error_code`,
`description`, `parameters.retry_after`).
"""

import asyncio
import json
from pathlib import Path

import aiohttp

from bot.channels.base import Failure, SendError
from bot.channels.http import LazySession
from bot.core.messages import Outbound
from bot.text import split_text

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
GONE_BAD_REQUESTS = ("chat not found", "user not found", "peer_id_invalid", "group chat was upgraded")


def markup(message: Outbound) -> dict | None:
    """A contact request becomes a one-time reply keyboard (other buttons become its text keys,
    which the core maps back to their payloads); otherwise inline buttons, or nothing."""
    if message.request_contact:
        rows = [[{"text": message.request_contact, "request_contact": True}]]
        rows += [[{"text": b.label} for b in row] for row in message.buttons]
        return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
    if not message.buttons:
        return None
    for button in message.all_buttons():
        if len(button.payload.encode()) > CALLBACK_DATA_LIMIT:
            raise SendError(Failure.PERMANENT, f"button payload over 64 bytes: {button.payload[:20]}…")
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.payload} for b in row]
                                for row in message.buttons]}


def label(status: int, answer: dict) -> SendError:
    """Telegram's error answer → one of the outbox's failure labels."""
    code = answer.get("error_code", status)
    detail = str(answer.get("description", f"HTTP {status}"))[:200]
    parameters = answer.get("parameters") or {}
    if code == 429:
        return SendError(Failure.THROTTLED, detail, retry_after=float(parameters.get("retry_after", 1)))
    if code == 403 or "migrate_to_chat_id" in parameters:
        return SendError(Failure.GONE, detail)
    if code == 400:
        gone = any(text in detail.lower() for text in GONE_BAD_REQUESTS)
        return SendError(Failure.GONE if gone else Failure.PERMANENT, detail)
    if code in (401, 404, 409):
        return SendError(Failure.CONFIG, detail)
    return SendError(Failure.RETRYABLE, detail)


class TelegramSender:
    """sendMessage / sendPhoto over one keep-alive aiohttp session; local photos uploaded once."""

    def __init__(self, api_url: str, token: str, timeout: float, paid_broadcast: bool):
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._extra = {"allow_paid_broadcast": True} if paid_broadcast else {}
        self._client = LazySession(timeout)
        self._uploaded: dict[tuple[str, float], str] = {}  # (path, mtime) -> Telegram file_id

    async def close(self) -> None:
        await self._client.close()

    async def send(self, chat_id: str, message: Outbound) -> str:
        """Text (split if long) with its keyboard, or a photo with the text as caption."""
        keyboard = markup(message)
        if message.photo:
            return await self._send_photo(chat_id, message, keyboard)
        return await self._send_texts(chat_id, message.text, keyboard)

    async def _send_texts(self, chat_id: str, text: str, keyboard: dict | None) -> str:
        """The keyboard goes with the last piece, under the end of the text."""
        pieces = split_text(text, TEXT_LIMIT)
        for index, piece in enumerate(pieces):
            params = {"chat_id": chat_id, "text": piece, **self._extra}
            if keyboard and index == len(pieces) - 1:
                params["reply_markup"] = keyboard
            result = await self._call("sendMessage", json=params)
        return str(result["message_id"])

    async def _send_photo(self, chat_id: str, message: Outbound, keyboard: dict | None) -> str:
        """Photo with the text as caption, or the photo first and the text after when it is too long."""
        fits = len(message.text) <= CAPTION_LIMIT
        params = {"chat_id": chat_id, **self._extra}
        if fits and message.text:
            params["caption"] = message.text
        if fits and keyboard:
            params["reply_markup"] = keyboard
        result = await self._send_photo_file(message.photo, params)
        if fits:
            return str(result["message_id"])
        return await self._send_texts(chat_id, message.text, keyboard)

    async def _send_photo_file(self, photo: str, params: dict) -> dict:
        """URLs and file_ids go as strings; a local file is uploaded once, then sent by its file_id."""
        path = Path(photo)
        if photo.startswith(("http://", "https://")):
            return await self._call("sendPhoto", json=params | {"photo": photo})
        if not await asyncio.to_thread(path.is_file):
            if "/" in photo or "\\" in photo:
                raise SendError(Failure.PERMANENT, f"photo file not found: {path.name}")
            return await self._call("sendPhoto", json=params | {"photo": photo})  # a Telegram file_id
        key = (str(path), (await asyncio.to_thread(path.stat)).st_mtime)
        if key in self._uploaded:
            return await self._call("sendPhoto", json=params | {"photo": self._uploaded[key]})
        form = aiohttp.FormData()
        for name, value in params.items():
            form.add_field(name, json.dumps(value) if isinstance(value, dict | bool) else str(value))
        form.add_field("photo", await asyncio.to_thread(path.read_bytes), filename=path.name)
        result = await self._call("sendPhoto", data=form)
        self._uploaded[key] = result["photo"][-1]["file_id"]
        return result

    async def _call(self, method: str, **body) -> dict:
        """One Bot API call; network trouble and unreadable answers are retryable."""
        try:
            async with self._client.session.post(self._base + method, **body) as response:
                status = response.status
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SendError(Failure.RETRYABLE, type(exc).__name__) from None
        if not isinstance(answer, dict):
            raise SendError(Failure.RETRYABLE, f"unreadable answer (HTTP {status})")
        if answer.get("ok"):
            return answer["result"]
        raise label(status, answer)
