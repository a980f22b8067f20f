"""Who a web chat is: a chat id the server issues in a signed, HttpOnly cookie, and where requests may come from.

The page never names its own chat: whatever a browser sends as an id is ignored, so a second browser
cannot act as a member. The socket and uploads also check `Origin`, so another site's page cannot use
a member's cookie through their browser.
"""

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import uuid
from urllib.parse import urlsplit

from aiohttp import web

COOKIE = "cdsbot_chat"
COOKIE_PATH = "/chat"
COOKIE_DAYS = 400  # the longest a browser keeps a cookie; a member's phone stays registered
CHAT_ID = re.compile(r"[A-Za-z0-9-]{8,64}")  # what a web chat id may look like (we issue UUIDs)


def _origin(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-cased, or None when it has none."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme in ("http", "https") and parts.netloc else None


class ChatIdentity:
    """Issues and checks chat cookies; the key comes from configuration (a random one when none is given)."""

    def __init__(self, secret: str | None = None, public_url: str = ""):
        seed = secret.encode() if secret else secrets.token_bytes(32)  # random: chats last until a restart
        self._key = hashlib.sha256(b"cdsbot-web-chat:" + seed).digest()
        self.public_origin = _origin(public_url)

    def sign(self, chat: str) -> str:
        """The cookie value for a chat id: the id and its MAC (tests use it to be a given chat)."""
        mac = hmac.new(self._key, chat.encode(), hashlib.sha256).digest()[:24]
        return f"{chat}.{base64.urlsafe_b64encode(mac).decode()}"

    def chat_of(self, request: web.Request) -> str | None:
        """The chat id of a request's valid cookie, else None (a missing, forged or malformed cookie)."""
        value = request.cookies.get(COOKIE, "")
        chat, _, _mac = value.partition(".")
        if not CHAT_ID.fullmatch(chat) or not hmac.compare_digest(self.sign(chat), value):
            return None
        return chat

    def ensure(self, request: web.Request, response: web.StreamResponse) -> str:
        """The request's chat, or a new one whose cookie is set on `response` (the page's first visit)."""
        chat = self.chat_of(request)
        if chat is None:
            chat = str(uuid.uuid4())
            secure = request.secure or (self.public_origin or "").startswith("https:")
            response.set_cookie(COOKIE, self.sign(chat), max_age=COOKIE_DAYS * 86400, path=COOKIE_PATH,
                                httponly=True, samesite="Lax", secure=secure)
        return chat

    def same_origin(self, request: web.Request) -> bool:
        """The request comes from our own page: `Origin` is CDSBOT_PUBLIC_URL's, or the host it was sent to."""
        origin = _origin(request.headers.get("Origin", ""))
        if origin is None:
            return False
        return origin == self.public_origin or urlsplit(origin).netloc == request.host.lower()


def source_of(request: web.Request) -> str:
    """The client's address, for limits; behind a reverse proxy on this machine, the address it forwards."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    try:
        if forwarded and ipaddress.ip_address(remote).is_loopback:
            return str(ipaddress.ip_address(forwarded))
    except ValueError:
        pass
    return remote[:64]  # what the attempt table keeps
