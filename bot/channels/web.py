"""Local web chat channel: a phone-like page in the browser talks to cdsbot over a WebSocket.

Each browser is one chat, identified by a chat id the server issues in a
signed, HttpOnly cookie (`bot.web.chat_identity`); the socket and uploads
accept only requests from our own page (`Origin`). A message reaches the
chat's open sockets in whichever process holds them; sent while the page is
closed, it waits and is flushed, in order, when the page reconnects
(`web_relay`). Photos are served under links in the database (`media_links`),
so any process serves them. A tab that opens with
nothing on screen is greeted at once (the `chat:opened:<lang>` payload), and
frames name the chat's language so the page's own labels follow the member's.
"""

import asyncio
import dataclasses
import json
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.media_links import MediaLinks
from bot.channels.web_relay import Backlog, Relay
from bot.core.messages import MAX_PAYLOAD, MAX_TEXT, Inbound, Outbound  # the core's door limits
from bot.db.session import Database
from bot.i18n import DEFAULT_LOCALE, LOCALES, N_
from bot.web import chat_page, uploads
from bot.web.chat_identity import CHAT_ID, ChatIdentity, source_of

log = logging.getLogger(__name__)

UPLOAD_REF = re.compile(r"[A-Za-z0-9_-]{16,64}\.(?:jpg|png|gif|webp)")
MAX_UPLOAD = uploads.MAX_UPLOAD
MAX_FRAME = 64 * 1024
PRUNE_SECONDS = 3600  # how often uploads older than a day are deleted
OPENED = "chat:opened"  # payload of the greeting a fresh tab asks for; `:<page language>` follows
LocaleOf = Callable[[str, str], Awaitable[str | None]]  # (channel, chat) -> the chat's language, None if unknown


async def _unknown_locale(channel: str, chat: str) -> str | None:
    """Without a database (tests, a bare channel) no chat's language is known: the page keeps its own."""
    return None


def _error(reason: str, ref_id: object = None) -> dict:
    """An error frame; the page logs it and the socket stays open."""
    return {"type": "error", "error": reason, "id": ref_id if isinstance(ref_id, str) else None}


class WebChannel(Channel):
    """The `web` channel: serves /chat, its WebSocket, photo uploads and outbound media."""

    code = "web"
    name = N_("Web chat")
    supports_buttons = True
    one_sender = False  # every process sends: a member's socket lives in one of them (no platform limit)
    limits = Limits(per_second=1000)

    def __init__(self, media_dir: Path, locale_of: LocaleOf = _unknown_locale, default_locale: str = DEFAULT_LOCALE,
                 secret: str | None = None, public_url: str = "", db: Database | None = None):
        self.upload_dir = Path(media_dir) / "web-uploads"
        self.uploads = uploads.Uploads(self.upload_dir)
        self.identity = ChatIdentity(secret, public_url)  # without a secret: a random key, chats end at a restart
        self._pruning: asyncio.Task | None = None
        self._locale_of = locale_of
        self.default_locale = default_locale
        self._sink: InboundSink | None = None
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        several = db is not None and not db.is_sqlite  # PostgreSQL: the chat's socket may be another process's
        self._relay = Relay(db, self._push, self._sockets) if several else Backlog(self._push)
        self._media = MediaLinks(self.code, db)  # token -> local file, the only files /chat/media serves
        self._parsers: dict[str, Callable[[str, dict], Inbound | str]] = {
            "text": self._parse_text,
            "button": self._parse_button,
            "photo": self._parse_photo,
        }

    def setup_routes(self, app: web.Application) -> None:
        """Add the chat page, its assets, the WebSocket, uploads and media; `/` redirects to the page."""
        app.router.add_get("/", chat_page.to_chat)
        app.router.add_get("/chat", self._page)
        app.router.add_get("/chat/static/{name}", chat_page.static)
        app.router.add_get("/chat/ws", self._websocket)
        app.router.add_post("/chat/upload", self._upload)
        app.router.add_get("/chat/media/{token}", self._serve_media)

    async def start(self, sink: InboundSink) -> None:
        """Accept member messages from now on and hand them to `sink`."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        await self._relay.start()
        self._sink = sink
        if self._pruning is None:  # old uploads are deleted now and every hour
            self._pruning = asyncio.create_task(self.uploads.prune_every(PRUNE_SECONDS), name="web-uploads-prune")

    async def stop(self) -> None:
        """Close every open chat socket; pages reconnect by themselves when the server is back."""
        self._sink = None
        if self._pruning is not None:
            self._pruning.cancel()
            self._pruning = None
        sockets = [ws for group in self._sockets.values() for ws in group]
        await asyncio.gather(*(ws.close(code=1001, message=b"server stopping") for ws in sockets))
        self._sockets.clear()
        await self._relay.stop()

    async def send(self, external_id: str, message: Outbound) -> str | None:
        """Push a message to every open tab of the chat (in whichever process), or keep it for its next connection."""
        if not CHAT_ID.fullmatch(external_id):
            raise SendError(Failure.PERMANENT, f"bad web chat id {external_id!r}")
        frame = await self._frame(message)
        if lang := await self._lang(external_id):
            frame["lang"] = lang
        await self._relay.deliver(external_id, frame)
        return frame["id"]

    async def _lang(self, chat: str) -> str | None:
        """The chat's language for the page's frame; a failed lookup only leaves the frame as it is."""
        try:
            return await self._locale_of(self.code, chat)
        except Exception:
            log.warning("could not look up the language of a web chat", exc_info=True)
            return None

    async def _frame(self, message: Outbound) -> dict:
        """Outbound as the page's JSON; the page has no share-contact button (`shares_contact` is False)."""
        buttons = [[{"payload": b.payload, "label": b.label} for b in row] for row in message.buttons]
        photo = await self._photo_url(message.photo) if message.photo else None
        return {"type": "message", "id": uuid.uuid4().hex, "text": message.text, "buttons": buttons, "photo": photo}

    async def _photo_url(self, photo: str) -> str:
        """Keep URLs as they are; map a local file to a random /chat/media token."""
        if photo.startswith(("http://", "https://")):
            return photo
        path = Path(photo).resolve()
        if not path.is_file():
            raise SendError(Failure.PERMANENT, f"photo not found: {photo}")
        return f"/chat/media/{await self._media.token_for(path)}"

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
        """One page's socket: only from our own page, as the chat of its cookie; a hello, then member messages."""
        if self._sink is None:  # stopped or not started: the page retries with backoff
            raise web.HTTPServiceUnavailable()
        chat = self._chat_of(request)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        source, greeted = source_of(request), False
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = _load(msg.data)
                if data is None:
                    await ws.send_json(_error("bad json"))
                elif not greeted:
                    greeted = await self._hello(ws, chat, data, source)
                else:
                    await self._receive(ws, chat, data, source)
        finally:
            self._forget(chat, ws)
        return ws

    def _chat_of(self, request: web.Request) -> str:
        """The chat of a request from our own page with a valid cookie; anything else is refused (403)."""
        if not self.identity.same_origin(request):
            log.info("refused a web chat request from another origin")
            raise web.HTTPForbidden(text="cross-origin request refused")
        chat = self.identity.chat_of(request)
        if chat is None:
            raise web.HTTPForbidden(text="no chat: open /chat first")
        return chat

    async def _hello(self, ws: web.WebSocketResponse, chat: str, data: dict, source: str) -> bool:
        """Register the socket under its chat, send what was kept while it was away, greet a blank page."""
        if data.get("type") != "hello":
            await ws.send_json(_error("expected hello"))
            return False
        ready: dict[str, Any] = {"type": "ready"}
        if lang := await self._lang(chat):
            ready["lang"] = lang
        await ws.send_json(ready)
        kept = await self._relay.opened(chat, ws, lambda: self._sockets[chat].add(ws))
        if kept is None:  # the socket dropped meanwhile: the rest waits for the next connection
            return False
        if data.get("fresh") is True and not kept:
            await self._greet(ws, chat, data.get("lang"), source)
        return True

    async def _greet(self, ws: web.WebSocketResponse, chat: str, page_lang: object, source: str) -> None:
        """A page opened with nothing on screen: the conversation greets it (in the page's language if new)."""
        lang = page_lang if page_lang in LOCALES else self.default_locale
        inbound = Inbound(channel=self.code, external_id=chat, payload=f"{OPENED}:{lang}", source=source)
        if self._sink is not None:
            await self._deliver(ws, chat, inbound, None)

    async def _receive(self, ws: web.WebSocketResponse, chat: str, data: dict, source: str) -> None:
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
        await self._deliver(ws, chat, dataclasses.replace(inbound, source=source), msg_id)

    async def _deliver(self, ws: web.WebSocketResponse, chat: str, inbound: Inbound, msg_id: str | None) -> None:
        """Hand one Inbound to the sink; a failing handler must not drop the member's connection."""
        try:
            await self._sink(inbound)
        except Exception:
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
        if not isinstance(ref, str) or not UPLOAD_REF.fullmatch(ref) or not self.uploads.owns(chat, ref):
            return "bad ref"  # not this chat's upload, or no longer kept
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

    async def _page(self, request: web.Request) -> web.StreamResponse:
        """The chat page in the visitor's language (`?lang=en`, else the default); a first visit gets its chat."""
        response = chat_page.page(request.query.get("lang", self.default_locale), MAX_UPLOAD // 2**20)
        self.identity.ensure(request, response)
        return response

    async def _upload(self, request: web.Request) -> web.Response:
        """Store one photo for the chat of the cookie (from our own page only) and return its ref."""
        if not self.identity.same_origin(request) or (chat := self.identity.chat_of(request)) is None:
            return uploads.refused(uploads.NO_CHAT)
        return await self.uploads.receive(request, chat, source_of(request))

    async def _serve_media(self, request: web.Request) -> web.StreamResponse:
        """Serve an outbound photo by token (any process made it); any other name is a 404."""
        path = await self._media.path_of(request.match_info["token"])
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)


def _load(raw: str) -> dict | None:
    """Parse a client frame; anything but a JSON object counts as malformed."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # a 64 KB frame can nest deeper than the parser recurses
        return None
    return data if isinstance(data, dict) else None
