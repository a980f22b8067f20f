"""Local web chat channel: a phone-like page in the browser talks to cdsbot over a WebSocket.

Each browser tab is one chat, identified by a random id the page keeps in
sessionStorage. Messages sent while a tab is closed wait in a small backlog
and are flushed, in order, when the tab reconnects.
"""

import asyncio
import json
import logging
import re
import secrets
import uuid
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable
from pathlib import Path

from aiohttp import WSMsgType, web

from bot.channels.base import MAX_PHOTO_BYTES, Channel, Failure, InboundSink, Limits, SendError
from bot.core.messages import Inbound, Outbound
from bot.i18n import DEFAULT_LOCALE
from bot.web import STATIC_DIR, chat_page

log = logging.getLogger(__name__)

CHAT_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
UPLOAD_REF = re.compile(r"[A-Za-z0-9_-]{16,64}\.(?:jpg|png|gif|webp)")
MAX_UPLOAD = MAX_PHOTO_BYTES
MAX_TEXT = 4000
MAX_PAYLOAD = 256
MAX_FRAME = 64 * 1024
BACKLOG_PER_CHAT = 50
BACKLOG_CHATS = 1000
STATIC_FILES = {"chat.css": "text/css", "chat.js": "text/javascript"}
IMAGE_MAGIC = [(b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif")]
NO_CACHE = {"Cache-Control": "no-cache"}


def sniff_image(head: bytes) -> str | None:
    """The extension for a JPEG/PNG/GIF/WebP header, else None: the browser's content type is not trusted."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((ext for magic, ext in IMAGE_MAGIC if head.startswith(magic)), None)


def _error(reason: str, ref_id: object = None) -> dict:
    """An error frame; the page logs it and the socket stays open."""
    return {"type": "error", "error": reason, "id": ref_id if isinstance(ref_id, str) else None}


class WebChannel(Channel):
    """The `web` channel: serves /chat, its WebSocket, photo uploads and outbound media."""

    code = "web"
    supports_buttons = True
    limits = Limits(per_second=1000)

    def __init__(self, media_dir: Path):
        self.upload_dir = Path(media_dir) / "web-uploads"
        self._sink: InboundSink | None = None
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self._backlog: OrderedDict[str, deque[dict]] = OrderedDict()
        self._media: dict[str, Path] = {}  # token -> local file, the only files /chat/media serves
        self._media_tokens: dict[Path, str] = {}
        self._parsers: dict[str, Callable[[str, dict], Inbound | str]] = {
            "text": self._parse_text,
            "button": self._parse_button,
            "photo": self._parse_photo,
        }

    def setup_routes(self, app: web.Application) -> None:
        """Add the chat page, its assets, the WebSocket, uploads and media; `/` redirects to the page."""
        app.router.add_get("/", self._root)
        app.router.add_get("/chat", self._page)
        app.router.add_get("/chat/static/{name}", self._static)
        app.router.add_get("/chat/ws", self._websocket)
        app.router.add_post("/chat/upload", self._upload)
        app.router.add_get("/chat/media/{token}", self._serve_media)

    async def start(self, sink: InboundSink) -> None:
        """Accept member messages from now on and hand them to `sink`."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self._sink = sink

    async def stop(self) -> None:
        """Close every open chat socket; pages reconnect by themselves when the server is back."""
        self._sink = None
        sockets = [ws for group in self._sockets.values() for ws in group]
        await asyncio.gather(*(ws.close(code=1001, message=b"server stopping") for ws in sockets))
        self._sockets.clear()

    async def send(self, external_id: str, message: Outbound) -> str | None:
        """Push a message to every open tab of the chat, or keep it for the chat's next connection."""
        if not CHAT_ID.fullmatch(external_id):
            raise SendError(Failure.PERMANENT, f"bad web chat id {external_id!r}")
        frame = self._frame(message)
        if not await self._push(external_id, frame):
            queue = self._backlog.pop(external_id, None) or deque(maxlen=BACKLOG_PER_CHAT)
            queue.append(frame)
            self._backlog[external_id] = queue  # re-inserted last: the oldest idle chat is dropped first
            while len(self._backlog) > BACKLOG_CHATS:
                self._backlog.popitem(last=False)
        return frame["id"]

    def _frame(self, message: Outbound) -> dict:
        """Outbound as the page's JSON; `request_contact` means nothing here, the text already asks."""
        buttons = [[{"payload": b.payload, "label": b.label} for b in row] for row in message.buttons]
        photo = self._photo_url(message.photo) if message.photo else None
        return {"type": "message", "id": uuid.uuid4().hex, "text": message.text, "buttons": buttons, "photo": photo}

    def _photo_url(self, photo: str) -> str:
        """Keep URLs as they are; map a local file to a random /chat/media token."""
        if photo.startswith(("http://", "https://")):
            return photo
        path = Path(photo).resolve()
        if not path.is_file():
            raise SendError(Failure.PERMANENT, f"photo not found: {photo}")
        token = self._media_tokens.get(path)
        if token is None:
            token = secrets.token_urlsafe(16)
            self._media[token] = path
            self._media_tokens[path] = token
        return f"/chat/media/{token}"

    async def _push(self, chat: str, frame: dict) -> bool:
        """Send a frame to the chat's open sockets; True if at least one took it."""
        delivered = False
        for ws in list(self._sockets.get(chat, ())):
            try:
                await ws.send_json(frame)
                delivered = True
            except (ConnectionError, RuntimeError):
                self._forget(chat, ws)
        return delivered

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab's socket: a hello naming the chat, then member messages."""
        if self._sink is None:  # stopped or not started: the page retries with backoff
            raise web.HTTPServiceUnavailable()
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        chat: str | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = _load(msg.data)
                if data is None:
                    await ws.send_json(_error("bad json"))
                elif chat is None:
                    chat = await self._hello(ws, data)
                else:
                    await self._receive(ws, chat, data)
        finally:
            if chat:
                self._forget(chat, ws)
        return ws

    async def _hello(self, ws: web.WebSocketResponse, data: dict) -> str | None:
        """Register the socket under its chat id and flush what was kept while it was away."""
        chat = data.get("chat")
        if data.get("type") != "hello" or not isinstance(chat, str) or not CHAT_ID.fullmatch(chat):
            await ws.send_json(_error("expected hello with a chat id"))
            return None
        await ws.send_json({"type": "ready", "chat": chat})
        while queue := self._backlog.pop(chat, None):
            while queue:
                try:
                    await ws.send_json(queue[0])
                except (ConnectionError, RuntimeError):  # dropped mid-flush: keep the rest for next time
                    queue.extend(self._backlog.pop(chat, ()))
                    self._backlog[chat] = queue
                    return None
                queue.popleft()
        self._sockets[chat].add(ws)  # no await since the last empty pop, so no send can slip in between
        return chat

    async def _receive(self, ws: web.WebSocketResponse, chat: str, data: dict) -> None:
        """Validate one member message and pass it to the sink, answering mistakes with an error frame."""
        kind, msg_id = data.get("type"), data.get("id")
        parser = self._parsers.get(kind) if isinstance(kind, str) else None
        if parser is None:
            return await ws.send_json(_error("unknown type", msg_id))
        if not isinstance(msg_id, str) or not CHAT_ID.fullmatch(msg_id):
            return await ws.send_json(_error("missing or bad id", msg_id))
        inbound = parser(chat, data)
        if isinstance(inbound, str):
            return await ws.send_json(_error(inbound, msg_id))
        if self._sink is None:
            return await ws.send_json(_error("not ready", msg_id))
        try:
            await self._sink(inbound)
        except Exception:  # a failing handler must not drop the member's connection
            log.exception("web inbound failed for chat %s", chat)
            await ws.send_json(_error("internal", msg_id))

    def _parse_text(self, chat: str, data: dict) -> Inbound | str:
        """A typed message: non-empty text up to MAX_TEXT characters."""
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return "bad text"
        return Inbound(channel=self.code, external_id=chat, text=text, message_id=data["id"])

    def _parse_button(self, chat: str, data: dict) -> Inbound | str:
        """A tapped button: its payload id, never its label."""
        payload = data.get("payload")
        if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD:
            return "bad payload"
        return Inbound(channel=self.code, external_id=chat, payload=payload, message_id=data["id"])

    def _parse_photo(self, chat: str, data: dict) -> Inbound | str:
        """A photo uploaded first through /chat/upload, with an optional caption."""
        ref, caption = data.get("ref"), data.get("text")
        if not isinstance(ref, str) or not UPLOAD_REF.fullmatch(ref) or not (self.upload_dir / ref).is_file():
            return "bad ref"
        if caption is not None and (not isinstance(caption, str) or len(caption) > MAX_TEXT):
            return "bad caption"
        return Inbound(channel=self.code, external_id=chat, photo=ref, text=caption or None, message_id=data["id"])

    def _forget(self, chat: str, ws: web.WebSocketResponse) -> None:
        """Drop a closed socket, and the chat's entry once it has none."""
        group = self._sockets.get(chat)
        if group is not None:
            group.discard(ws)
            if not group:
                del self._sockets[chat]

    async def fetch_photo(self, reference: str) -> bytes:
        """The bytes of a photo a member uploaded; refs are bare random names, never paths."""
        if not UPLOAD_REF.fullmatch(reference):
            raise ValueError(f"bad web photo reference {reference!r}")
        return await asyncio.to_thread((self.upload_dir / reference).read_bytes)

    async def _upload(self, request: web.Request) -> web.Response:
        """Store one multipart `photo` (an image up to MAX_UPLOAD) under a random name and return its ref."""
        if (request.content_length or 0) > MAX_UPLOAD + 64 * 1024:
            return _bad_upload("too large")
        try:
            data = await _read_photo_field(request)
        except (ValueError, AssertionError, KeyError):
            return _bad_upload("expected multipart/form-data with a photo field")
        if isinstance(data, str):
            return _bad_upload(data)
        ext = sniff_image(data[:16])
        if ext is None:
            return _bad_upload("not an image (JPEG, PNG, GIF or WebP)")
        ref = f"{secrets.token_urlsafe(18)}.{ext}"
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread((self.upload_dir / ref).write_bytes, data)
        return web.json_response({"ref": ref})

    async def _serve_media(self, request: web.Request) -> web.StreamResponse:
        """Serve an outbound photo by token; any other name is a 404."""
        path = self._media.get(request.match_info["token"])
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def _root(self, request: web.Request) -> web.StreamResponse:
        """Send visitors of the bare address to the chat."""
        raise web.HTTPFound("/chat")

    async def _page(self, request: web.Request) -> web.StreamResponse:
        """The chat page, its labels in the visitor's language (`?lang=en`, else Vietnamese)."""
        html = chat_page.render(request.query.get("lang", DEFAULT_LOCALE))
        return web.Response(text=html, content_type="text/html", headers=NO_CACHE)

    async def _static(self, request: web.Request) -> web.StreamResponse:
        """The page's CSS and JS; only the listed names, so no path can escape the folder."""
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC_DIR / name, headers={**NO_CACHE, "Content-Type": STATIC_FILES[name]})


def _load(raw: str) -> dict | None:
    """Parse a client frame; anything but a JSON object counts as malformed."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _read_photo_field(request: web.Request) -> bytes | str:
    """The `photo` field's bytes, read in chunks so an oversize file stops early; a str says what was wrong."""
    reader = await request.multipart()
    part = await reader.next()
    while part is not None and part.name != "photo":
        part = await reader.next()
    if part is None or not hasattr(part, "read_chunk"):
        return "missing photo"
    data = bytearray()
    while chunk := await part.read_chunk(256 * 1024):
        data += chunk
        if len(data) > MAX_UPLOAD:
            return "too large"
    return bytes(data)


def _bad_upload(reason: str) -> web.Response:
    """The 400 answer for a rejected upload."""
    return web.json_response({"error": reason}, status=400)
