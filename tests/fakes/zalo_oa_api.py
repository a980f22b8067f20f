"""A local fake of the Zalo OA Open API and OAuth server, answering with Zalo's envelopes.

Errors come back as HTTP 200 with a negative `error`, like Zalo. Refresh
tokens are single use: a used one is refused. Also builds correctly signed
webhook requests for the channel's incoming tests.
"""

import asyncio
import hashlib
import itertools
import json
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from tests.fakes.local_server import serve_locally

APP_ID = "1234567890123456789"
APP_SECRET = "fakeAppSecret0000000"
OA_ID = "4318000000000000001"
OA_SECRET_KEY = "fakeOASecretKey00000"
MESSAGES = {
    -32: "The application has reached the limit call API",
    -100: "Attachment id is invalid or expired",
    -201: "Parameter is invalid",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    216: "Access token is invalid",
    -401: "Access token is invalid",
    401: "Access token is invalid",
    -218: "Out of quota receive",
    -220: "Access token has expired or has been removed",
    -227: "User is banned or inactive more than 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted or the interaction has expired",
    -233: "Type of the message is not supported or invalid",
}


@dataclass(frozen=True)
class Call:
    """One request: path, the access_token header, JSON body (or form / upload summary)."""

    path: str
    token: str | None
    body: dict


def signed(event: dict | bytes, *, ident: str = APP_ID, secret: str = OA_SECRET_KEY,
           timestamp: str | None = None, prefix: str = "mac=") -> tuple[bytes, dict]:
    """(raw body, headers) as Zalo would post them; the timestamp defaults to the body's."""
    raw = event if isinstance(event, bytes) else json.dumps(event, ensure_ascii=False).encode()
    stamp = timestamp if timestamp is not None else str(json.loads(raw).get("timestamp", ""))
    digest = hashlib.sha256(ident.encode() + raw + stamp.encode() + secret.encode()).hexdigest()
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": prefix + digest}
    if timestamp is not None:
        headers["X-ZEvent-Timestamp"] = timestamp
    return raw, headers


TEMPLATE_TYPES = ("media", "list", "request_user_info", "promotion", "transaction_order")


def _known_shape(message: dict) -> bool:
    """Only shapes with evidence pass (docs/zalo-api.md): a template attachment names a template_type Zalo's
    SDKs send, or is text with a bare `buttons` payload. Anything else, such as Messenger's
    `template_type: "button"`, gets -201 here (an assumption: what the live API does with it is unverified)."""
    attachment = message.get("attachment")
    if not attachment or attachment.get("type") != "template":
        return True
    payload = attachment.get("payload") or {}
    if "template_type" in payload:
        return payload["template_type"] in TEMPLATE_TYPES
    return bool(payload.get("buttons")) and bool(message.get("text"))


class FakeZaloOA:
    """`async with FakeZaloOA() as api:` then use `api.url` as both api_url and oauth_url."""

    def __init__(self, access_token: str = "access-0", refresh_token: str = "refresh-0"):
        self.url = ""
        self.access_token = access_token  # the one valid token
        self.refresh_token = refresh_token  # the one usable refresh token
        self.expired_tokens: set[str] = set()  # these answer -220
        self.invalid_token_error = -216  # what a wrong token gets; production also answers 216, -401 or 401
        self.calls: list[Call] = []
        self.delivered: list[dict] = []  # accepted CS bodies
        self.refresh_calls: list[dict] = []
        self.uploads: dict[str, bytes] = {}  # attachment_id -> content
        self.expired_attachments: set[str] = set()
        self.photos: dict[str, bytes] = {}  # name -> bytes served at /photos/<name> (members' image URLs)
        self.not_following: set[str] = set()  # -213
        self.outside_window: set[str] = set()  # -230
        self.refresh_delay = 0.0
        self._scripts: dict[str, deque[int]] = {}
        self._http_errors: dict[str, deque[int]] = {}
        self._ids = itertools.count(1)
        self._generation = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # -- test controls ---------------------------------------------------------------------

    def fail_next(self, path: str, error: int, times: int = 1) -> None:
        """Answer the next `times` calls to `path` with this Zalo error code."""
        self._scripts.setdefault(path, deque()).extend([error] * times)

    def fail_http(self, path: str, status: int) -> None:
        """Answer the next call to `path` with a bare HTTP error (a proxy or server failure)."""
        self._http_errors.setdefault(path, deque()).append(status)

    def expire_access_token(self) -> None:
        self.expired_tokens.add(self.access_token)

    def calls_to(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    @property
    def sent(self) -> list[dict]:
        """The `message` objects of the CS calls that were accepted."""
        return [body["message"] for body in self.delivered]

    # -- server ------------------------------------------------------------------------------

    async def __aenter__(self) -> "FakeZaloOA":
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v2.0/oa/upload/image", self._upload)
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_get("/photos/{name}", self._photo)
        self._runner, self.url = await serve_locally(app)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._runner.cleanup()

    @staticmethod
    def _answer(error: int = 0, data: dict | None = None) -> web.Response:
        body = {"error": error, "message": MESSAGES.get(error, "Success" if error == 0 else "Error")}
        return web.json_response(body | ({"data": data} if data is not None else {}))

    def _auth(self, request: web.Request, path: str, body: dict) -> web.Response | None:
        """Record the call; the token check and scripted errors, like Zalo, before any work."""
        token = request.headers.get("access_token")
        self.calls.append(Call(path, token, body))
        if self._http_errors.get(path):
            return web.Response(status=self._http_errors[path].popleft(), text="Bad Gateway")
        if token in self.expired_tokens:
            return self._answer(-220)
        if token != self.access_token:
            return self._answer(self.invalid_token_error)
        if self._scripts.get(path):
            return self._answer(self._scripts[path].popleft())
        return None

    async def _cs(self, request: web.Request) -> web.Response:
        body = await request.json()
        if denied := self._auth(request, "/v3.0/oa/message/cs", body):
            return denied
        user, message = (body.get("recipient") or {}).get("user_id"), body.get("message") or {}
        if not user or not message:
            return self._answer(-201)
        if user in self.not_following:
            return self._answer(-213)
        if user in self.outside_window:
            return self._answer(-230)
        if len(message.get("text", "")) > 2000:
            return self._answer(-201)
        payload = (message.get("attachment") or {}).get("payload") or {}
        for element in payload.get("elements") or []:
            attachment = element.get("attachment_id")
            if attachment and (attachment not in self.uploads or attachment in self.expired_attachments):
                return self._answer(-100)
        if len(payload.get("buttons") or []) > 5 or not _known_shape(message):
            return self._answer(-201)
        self.delivered.append(body)
        return self._answer(0, {"message_id": f"msg{next(self._ids):04d}", "user_id": user})

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        field = form.get("file")
        summary = {"filename": getattr(field, "filename", None)}
        if denied := self._auth(request, "/v2.0/oa/upload/image", summary):
            return denied
        if not isinstance(field, web.FileField):
            return self._answer(-201)
        content = field.file.read()
        if len(content) > 1024 * 1024:
            return self._answer(-201)
        attachment = f"att{next(self._ids):04d}"
        self.uploads[attachment] = content
        return self._answer(0, {"attachment_id": attachment})

    async def _token(self, request: web.Request) -> web.Response:
        """Single-use refresh tokens: the used one is refused; a fresh pair replaces both tokens."""
        form = dict(await request.post())
        self.refresh_calls.append(form | {"secret_key": request.headers.get("secret_key")})
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return web.json_response({"error": -14002, "error_name": "Invalid app", "error_reason": "secret"})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token",
                                      "error_reason": "refresh token is invalid or has been used"})
        n = next(self._generation)
        self.access_token, self.refresh_token = f"access-{n}", f"refresh-{n}"
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})

    async def _photo(self, request: web.Request) -> web.Response:
        """A member's photo: the bytes put in `photos`, else a stub that only starts like a JPEG."""
        name = request.match_info["name"]
        content = self.photos.get(name, b"\xff\xd8\xff\xe0zalo-photo-" + name.encode())
        return web.Response(body=content, content_type="image/jpeg")
