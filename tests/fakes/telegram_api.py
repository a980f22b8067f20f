"""A local fake of the Telegram Bot API, answering with Telegram's own JSON shapes and HTTP statuses.

Used by the channel tests and the broadcast benchmark: it records every call,
counts what was delivered per chat, and can be scripted to fail, to be slow,
to rate-limit like Telegram (429 with retry_after), or to be blocked by a member.
"""

import asyncio
import json
import math
import re
import time
from collections import Counter, deque
from dataclasses import dataclass

from aiohttp import web

from tests.fakes.local_server import serve_locally

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests-000000000000000000"
TOKEN_SHAPE = re.compile(r"^\d+:[\w-]{30,}$")  # a well-formed token that is wrong gets 401, anything else 404
JSON_KEYS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities"}
JSON_KEYS |= {"link_preview_options", "reply_parameters"}
INT_KEYS = {"chat_id", "offset", "limit", "timeout", "message_id", "cache_time", "max_connections"}
BOOL_PREFIXES = ("allow_", "disable_", "drop_", "protect_", "show_", "is_", "has_")
COMMAND_SHAPE = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass(frozen=True)
class Call:
    """One request the fake received: method as called, decoded params, monotonic time."""

    method: str
    params: dict
    time: float


class ApiError(Exception):
    """An error answer, shaped like Telegram's."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


@dataclass
class _Script:
    error: ApiError
    times: int


def _decode(key: str, value):
    """Form fields arrive as strings; turn them into what Telegram would read them as."""
    if not isinstance(value, str):
        return value
    if key in JSON_KEYS:
        return json.loads(value)
    if key in INT_KEYS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key.startswith(BOOL_PREFIXES) and value in ("true", "false"):
        return value == "true"
    return value


def _chat_id(value):
    """Telegram accepts chat ids as numbers or numeric strings (or @usernames)."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def _chat(chat_id) -> dict:
    if isinstance(chat_id, int) and chat_id < 0:
        return {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": "Group"}
    return {"id": chat_id, "type": "private", "first_name": "Member"}


class FakeTelegramAPI:
    """`async with FakeTelegramAPI() as api:` then point the channel at `api.url`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        limit_per_s: int | None = None,
        chat_interval: float | None = None,
        group_interval: float | None = None,
        latency: float = 0.0,
    ):
        self.token = token
        self.bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1
        self.limit_per_s = limit_per_s  # messages per second per bot, sliding one-second window
        self.chat_interval = chat_interval  # seconds between two messages to one chat
        self.group_interval = group_interval  # same for groups (negative ids); falls back to chat_interval
        self.latency = latency  # seconds added before every answer
        self.url = ""
        self.calls: list[Call] = []
        self.sent: list[tuple[int | str, str, float]] = []  # (chat_id, text or caption, monotonic time)
        self.delivered: Counter = Counter()  # (chat_id, text) -> times delivered
        self.throttled = 0  # 429 answers given
        self.blocked: set = set()  # chat ids that blocked the bot -> 403
        self.unknown_chats: set = set()  # chat ids Telegram does not know -> 400 chat not found
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.commands: dict[tuple[str, str], list[dict]] = {}  # (scope type, language_code) -> commands
        self.answered: list[str] = []  # callback_query ids answered
        self.webhook: dict = {"url": ""}
        self._updates: list[dict] = []
        self._next_update_id = 1
        self._message_id = 0
        self._scripts: dict[str, deque[_Script]] = {}
        self._window: deque[float] = deque()
        self._last_to_chat: dict = {}
        self._new_update: asyncio.Event | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._handlers = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
            }.items()
        }

    # -- test controls ---------------------------------------------------------------------

    def push_update(self, update: dict) -> dict:
        """Queue an update for getUpdates; an update_id is assigned when missing."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._updates.append(update)
        if self._new_update:
            self._new_update.set()
        return update

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None, times: int = 1):
        """Answer the next `times` calls of `method` with this error instead of doing the work."""
        script = _Script(ApiError(status, description, retry_after), times)
        self._scripts.setdefault(method.lower(), deque()).append(script)

    def add_file(self, file_id: str, content: bytes, file_path: str | None = None) -> None:
        """Make a file downloadable through getFile and /file/bot<token>/<path>."""
        self.files[file_id] = (file_path or f"photos/file_{len(self.files)}.jpg", content)

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method (case-insensitive, as Telegram)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by an offset."""
        return list(self._updates)

    # -- server ------------------------------------------------------------------------------

    async def __aenter__(self) -> "FakeTelegramAPI":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1, on a free port unless one is given."""
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner, self.url = await serve_locally(app, port)

    async def close(self) -> None:
        """Release pending long polls and stop the server."""
        self._closing = True
        if self._new_update:
            self._new_update.set()
        if self._runner:
            await self._runner.cleanup()

    # -- plumbing ----------------------------------------------------------------------------

    def _token_error(self, token: str) -> web.Response | None:
        if token == self.token:
            return None
        if TOKEN_SHAPE.match(token):
            return self._error(ApiError(401, "Unauthorized"))
        return self._error(ApiError(404, "Not Found"))

    def _error(self, exc: ApiError) -> web.Response:
        body = {"ok": False, "error_code": exc.status, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        if exc.status == 429:
            self.throttled += 1
        return web.json_response(body, status=exc.status)

    def _scripted(self, method: str) -> ApiError | None:
        queue = self._scripts.get(method)
        if not queue:
            return None
        script = queue[0]
        script.times -= 1
        if script.times <= 0:
            queue.popleft()
        return script.error

    async def _params(self, request: web.Request) -> dict:
        """Telegram takes query strings, url-encoded or multipart forms, and JSON bodies."""
        raw: dict = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            raw.update(await request.json())
        elif request.can_read_body:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    raw[key] = {"filename": value.filename, "content_type": value.content_type, "size": len(content)}
                else:
                    raw[key] = value
        return {key: _decode(key, value) for key, value in raw.items()}

    async def _api(self, request: web.Request) -> web.Response:
        if denied := self._token_error(request.match_info["token"]):
            return denied
        method = request.match_info["method"]
        try:
            params = await self._params(request)
        except ValueError:
            return self._error(ApiError(400, "Bad Request: can't parse request parameters"))
        self.calls.append(Call(method, params, time.monotonic()))
        handler = self._handlers.get(method.lower())
        if handler is None:
            return self._error(ApiError(404, "Not Found: method not found"))
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            if failure := self._scripted(method.lower()):
                raise failure
            result = await handler(params)
        except ApiError as exc:
            return self._error(exc)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if denied := self._token_error(request.match_info["token"]):
            return denied
        for file_path, content in self.files.values():
            if file_path == request.match_info["path"]:
                return web.Response(body=content)
        return self._error(ApiError(404, "Not Found"))

    # -- methods -----------------------------------------------------------------------------

    def _me(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "CDS Bot", "username": "cds_test_bot"}

    async def _get_me(self, params: dict) -> dict:
        return {**self._me(), "can_join_groups": True, "can_read_all_group_messages": False}

    async def _get_updates(self, params: dict) -> list[dict]:
        """Long poll: answer at once when updates are pending, else wait up to `timeout` seconds."""
        if self.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                           "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset, limit = params.get("offset") or 0, params.get("limit") or 100
        allowed = params.get("allowed_updates") or []
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # an offset confirms earlier ones
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            pending = [u for u in self._updates if not allowed or any(kind in u for kind in allowed)]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._closing:
                return pending[:limit]
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                pass

    async def _set_webhook(self, params: dict) -> bool:
        url = params.get("url", "")
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token"), **params}
        return True

    async def _delete_webhook(self, params: dict) -> bool:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict) -> dict:
        return {"url": self.webhook["url"], "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    async def _set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not COMMAND_SHAPE.match(command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code", ""))] = commands
        return True

    async def _answer_callback_query(self, params: dict) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answered.append(params["callback_query_id"])
        return True

    async def _get_file(self, params: dict) -> dict:
        if params.get("file_id") not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        file_path, content = self.files[params["file_id"]]
        return {"file_id": params["file_id"], "file_unique_id": f"u-{params['file_id'][:8]}",
                "file_size": len(content), "file_path": file_path}  # fmt: skip

    async def _send_message(self, params: dict) -> dict:
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._deliver(params, text, {"text": text})

    async def _send_photo(self, params: dict) -> dict:
        if not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        caption = params.get("caption") or ""
        if len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        sizes = [
            {"file_id": f"photo-{self._message_id + 1}-{w}", "file_unique_id": f"p{w}", "width": w, "height": w}
            for w in (90, 320, 800)
        ]
        return self._deliver(params, caption, {"photo": sizes, **({"caption": caption} if caption else {})})

    def _deliver(self, params: dict, text: str, content: dict) -> dict:
        """Checks every message send goes through, in Telegram's order, then record the delivery."""
        chat_id = _chat_id(params.get("chat_id"))
        if chat_id in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self.unknown_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            group = isinstance(chat_id, int) and chat_id < 0
            raise ApiError(403, "Forbidden: bot was kicked from the group chat" if group
                           else "Forbidden: bot was blocked by the user")  # fmt: skip
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        now = time.monotonic()
        self._check_rate(chat_id, now)
        self._message_id += 1
        self.sent.append((chat_id, text, now))
        self.delivered[(chat_id, text)] += 1
        message = {"message_id": self._message_id, "from": self._me(), "chat": _chat(chat_id), "date": int(time.time())}
        if "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return {**message, **content}

    def _check_rate(self, chat_id, now: float) -> None:
        """Telegram's flood limits: per bot per second, and per chat; breaking them costs a 429."""
        if self.limit_per_s:
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.limit_per_s:
                wait = max(1, math.ceil(self._window[0] + 1.0 - now))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        group = isinstance(chat_id, int) and chat_id < 0
        interval = self.group_interval if group and self.group_interval is not None else self.chat_interval
        last = self._last_to_chat.get(chat_id)
        if interval and last is not None and now - last < interval:
            wait = max(1, math.ceil(last + interval - now))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        if self.limit_per_s:
            self._window.append(now)
        self._last_to_chat[chat_id] = now
