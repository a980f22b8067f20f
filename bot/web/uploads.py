"""Photo uploads from the chat page: one chat's own, limited, checked by their first bytes, kept for a day.

An upload belongs to the chat (cookie) that sent it: its name starts with the chat's tag, and no other
chat can send it as a photo. Each chat and each address may upload only so many in a while, and a
chat keeps only so many at once. A report that uses an upload stores its own re-encoded copy, so every
upload older than a day is deleted (`prune`, run hourly by the web channel).

A refused upload answers 400 (429 when over a limit, 403 without a chat) with a `reason` code the page
turns into a message in the member's language.
"""

import asyncio
import hashlib
import logging
import secrets
import time
from collections import OrderedDict, deque
from pathlib import Path

from aiohttp import web

from bot.channels.base import MAX_PHOTO_BYTES

log = logging.getLogger(__name__)

MAX_UPLOAD = MAX_PHOTO_BYTES
KEEP_SECONDS = 24 * 3600  # an upload no message used by then is deleted
PER_CHAT = (10, 60.0)  # at most 10 uploads a minute from one chat
PER_SOURCE = (60, 3600.0)  # and 60 an hour from one address, however many chats it opens
KEPT_PER_CHAT = 20  # uploads one chat may have stored at once (a report takes at most 5 photos)
IMAGE_MAGIC = [(b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif")]
TOO_LARGE, NOT_IMAGE, NO_PHOTO, TOO_MANY, NO_CHAT = "too_large", "not_image", "no_photo", "too_many", "no_chat"
UPLOAD_ERRORS = {TOO_LARGE: (400, "too large"), NOT_IMAGE: (400, "not an image (JPEG, PNG, GIF or WebP)"),
                 NO_PHOTO: (400, "expected multipart/form-data with a photo field"),
                 TOO_MANY: (429, "too many uploads: wait a little"), NO_CHAT: (403, "open the chat page first")}


def sniff_image(head: bytes) -> str | None:
    """The extension for a JPEG/PNG/GIF/WebP header, else None: the browser's content type is not trusted."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((ext for magic, ext in IMAGE_MAGIC if head.startswith(magic)), None)


class Window:
    """At most `limit` events per key in the last `seconds` (in memory; the oldest idle keys are forgotten)."""

    MAX_KEYS = 10_000

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        """Count one event for `key` if it is within the limit; False (nothing counted) when it is not."""
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self.seconds:
            events.popleft()
        self._events[key] = events
        while len(self._events) > self.MAX_KEYS:
            self._events.popitem(last=False)
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True


class Uploads:
    """The upload folder of the web chat, with its limits."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._per_chat, self._per_source = Window(*PER_CHAT), Window(*PER_SOURCE)

    @staticmethod
    def tag(chat: str) -> str:
        """The prefix of a chat's upload names: ties a ref to the chat that uploaded it."""
        return hashlib.sha256(chat.encode()).hexdigest()[:12]

    def owns(self, chat: str, ref: str) -> bool:
        """The ref is one of this chat's uploads and still kept."""
        return ref.startswith(self.tag(chat) + "-") and (self.folder / ref).is_file()

    async def receive(self, request: web.Request, chat: str, source: str) -> web.Response:
        """Store one multipart `photo` (an image up to MAX_UPLOAD) for `chat` and return its ref."""
        if (request.content_length or 0) > MAX_UPLOAD + 64 * 1024:
            return refused(TOO_LARGE)
        now = time.monotonic()
        if not self._per_chat.allow(chat, now) or not self._per_source.allow(source, now) or self._full(chat):
            log.info("refused a web chat upload over the limits")
            return refused(TOO_MANY)
        try:
            data = await _read_photo_field(request)
        except (ValueError, AssertionError, KeyError):
            return refused(NO_PHOTO)
        if isinstance(data, str):
            return refused(data)
        ext = sniff_image(data[:16])
        if ext is None:
            return refused(NOT_IMAGE)
        ref = f"{self.tag(chat)}-{secrets.token_urlsafe(18)}.{ext}"
        self.folder.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread((self.folder / ref).write_bytes, data)
        return web.json_response({"ref": ref})

    def _full(self, chat: str) -> bool:
        """The chat already keeps KEPT_PER_CHAT uploads."""
        return sum(1 for _ in self.folder.glob(self.tag(chat) + "-*")) >= KEPT_PER_CHAT

    async def prune_every(self, seconds: float) -> None:
        """Prune now and then every `seconds`, off the event loop; a failure is logged and tried again next time."""
        while True:
            try:
                if removed := await asyncio.to_thread(self.prune):
                    log.info("deleted %d web chat uploads older than a day", removed)
            except OSError:
                log.warning("could not delete old web chat uploads", exc_info=True)
            await asyncio.sleep(seconds)

    def prune(self, now: float | None = None) -> int:
        """Delete uploads older than KEEP_SECONDS; returns how many (a report keeps its own copy of a photo)."""
        cutoff = (time.time() if now is None else now) - KEEP_SECONDS
        removed = 0
        for path in self.folder.glob("*") if self.folder.is_dir() else ():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # deleted meanwhile by another process
                continue
        return removed


async def _read_photo_field(request: web.Request) -> bytes | str:
    """The `photo` field's bytes, read in chunks so an oversize file stops early; a str is the reason it failed."""
    reader = await request.multipart()
    part = await reader.next()
    while part is not None and part.name != "photo":
        part = await reader.next()
    if part is None or not hasattr(part, "read_chunk"):
        return NO_PHOTO
    data = bytearray()
    while chunk := await part.read_chunk(256 * 1024):
        data += chunk
        if len(data) > MAX_UPLOAD:
            return TOO_LARGE
    return bytes(data)


def refused(reason: str) -> web.Response:
    """The answer for a rejected upload: `reason` picks the page's message, `error` is for people reading logs."""
    status, error = UPLOAD_ERRORS[reason]
    return web.json_response({"reason": reason, "error": error}, status=status)
