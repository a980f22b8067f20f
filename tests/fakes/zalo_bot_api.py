"""A local fake of the Zalo Bot Platform API (`/bot<token>/<method>`, JSON), with Zalo's shapes.

getUpdates hands out one update per call (wrapped in {ok, result}, or bare
when queued with `bare=True`) and answers 408 when a long poll ends empty.
Like production it answers getMe, builds image updates with `photo_url` (not
the documented `photo`), and with `echo = True` redelivers every message the
bot sends as an update from the bot's own id. It also serves the photo URLs
used in image updates.
"""

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from tests.fakes.local_server import serve_locally

BOT_ID = "1234567890"
TOKEN = f"{BOT_ID}:fakeZaloBotSecret000000000000"
BOT_NAME = "bot.cds_test"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict


class FakeZaloBot:
    """`async with FakeZaloBot() as api:` then point the channel at `api.url`."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self.bot_id = token.split(":")[0]
        self.echo = False  # redeliver the bot's own sends as updates, as the live platform may
        self.echoes: list[dict] = []  # those echoed updates, for webhook tests to post
        self.url = ""
        self.calls: list[Call] = []
        self.webhook = {"url": "", "secret_token": None}
        self.photos: dict[str, bytes] = {}
        self._updates: deque[tuple[dict, bool]] = deque()
        self._new = asyncio.Event()
        self._errors: dict[str, deque[tuple[int, str, dict | None]]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # -- test controls ---------------------------------------------------------------------

    def push_update(self, update: dict, bare: bool = False) -> None:
        """Queue an update for getUpdates; `bare` answers it without the {ok, result} wrapper."""
        self._updates.append((update, bare))
        self._new.set()

    def image_update(self, message_id: str, chat_id: str, url: str, caption: str = "", date: int = 0) -> dict:
        """A member's photo as live updates carry it: `photo_url` and `message_type`, no `photo`."""
        message = {"message_id": message_id, "date": date or int(time.time() * 1000),
                   "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                   "from": {"id": chat_id, "display_name": "Thành viên", "is_bot": False},
                   "message_type": "CHAT_PHOTO", "photo_url": url}
        return {"event_name": "message.image.received", "message": message | ({"caption": caption} if caption else {})}

    def fail_next(self, method: str, code: int, description: str, parameters: dict | None = None) -> None:
        self._errors.setdefault(method, deque()).append((code, description, parameters))

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # -- server ------------------------------------------------------------------------------

    async def __aenter__(self) -> "FakeZaloBot":
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/photos/{name}", self._photo)
        self._runner, self.url = await serve_locally(app)
        return self

    async def __aexit__(self, *exc) -> None:
        self._new.set()
        await self._runner.cleanup()

    @staticmethod
    def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
        body = {"ok": False, "error_code": code, "description": description}
        return web.json_response(body | ({"parameters": parameters} if parameters else {}), status=code)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await request.json() if request.can_read_body else {}
        self.calls.append(Call(method, params))
        if self._errors.get(method):
            return self._error(*self._errors[method].popleft())
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:  # the error-code page: 400 is also a wrong path or API name
            return self._error(400, "Bad request")
        return await handler(params)

    async def _photo(self, request: web.Request) -> web.Response:
        content = self.photos.get(request.match_info["name"])
        return web.Response(body=content, content_type="image/jpeg") if content else web.Response(status=404)

    # -- methods -----------------------------------------------------------------------------

    @staticmethod
    def _ok(result) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params: dict) -> web.Response:
        return self._ok({"id": self.bot_id, "account_name": BOT_NAME, "account_type": "BASIC",
                         "can_join_groups": False})

    def _sent(self, params: dict, fields: dict) -> web.Response:
        """Answer a send; with `echo` on, the message also comes back as an update from the bot."""
        result = {"message_id": f"m{next(self._ids)}", "date": int(time.time() * 1000)}
        if self.echo:
            chat = str(params["chat_id"])
            message = {"message_id": result["message_id"], "date": result["date"],
                       "chat": {"id": chat, "chat_type": "PRIVATE"},
                       "from": {"id": self.bot_id, "display_name": BOT_NAME, "is_bot": True}} | fields
            kind = "image" if "photo_url" in fields else "text"
            update = {"event_name": f"message.{kind}.received", "message": message}
            self.echoes.append(update)
            self.push_update(update)
        return self._ok(result)

    async def _m_getUpdates(self, params: dict) -> web.Response:
        """One update per call; an empty long poll ends with 408."""
        if self.webhook["url"]:
            return self._error(400, "Webhook is active")
        deadline = time.monotonic() + float(params.get("timeout") or 30)
        while not self._updates:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._error(408, "Request timeout")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except TimeoutError:
                pass
        update, bare = self._updates.popleft()
        return web.json_response(update) if bare else self._ok(update)

    async def _m_setWebhook(self, params: dict) -> web.Response:
        url, secret = params.get("url", ""), params.get("secret_token") or ""
        if not url.startswith("https://") or not 8 <= len(secret) <= 256:
            return self._error(400, "Bad Request: invalid url or secret_token")
        self.webhook = {"url": url, "secret_token": secret}
        return self._ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _m_deleteWebhook(self, params: dict) -> web.Response:
        self.webhook = {"url": "", "secret_token": None}
        return self._ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _m_sendMessage(self, params: dict) -> web.Response:
        text = params.get("text") or ""
        if not params.get("chat_id") or not 1 <= len(text) <= 2000:
            return self._error(400, "Bad Request: text must be 1-2000 characters")
        return self._sent(params, {"text": text})

    async def _m_sendPhoto(self, params: dict) -> web.Response:
        if not params.get("chat_id") or not str(params.get("photo", "")).startswith(("http://", "https://")):
            return self._error(400, "Bad Request: photo must be a URL")
        caption = params.get("caption") or ""
        if len(caption) > 2000:
            return self._error(400, "Bad Request: caption too long")
        return self._sent(params, {"photo_url": params["photo"]} | ({"caption": caption} if caption else {}))

    async def _m_sendChatAction(self, params: dict) -> web.Response:
        return self._ok(True)
