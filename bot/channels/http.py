"""HTTP pieces the channel adapters share: one lazy client session, webhook secret checks, and the one
place webhook bodies are read: a size limit, a nesting limit, and typed access to the fields."""

import hmac
import json
import re
from datetime import UTC, datetime
from itertools import accumulate

import aiohttp
from aiohttp import web

from bot.channels.base import MAX_PHOTO_BYTES


class LazySession:
    """One aiohttp client session, created on first use (never at import or construction)."""

    def __init__(self, timeout: float, connections: int = 100):
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session

    async def download(self, url: str) -> bytes:
        """A member's photo from the URL the platform gave (HTTP errors raise).

        Reading stops one byte past the photo limit, so a huge file never fills memory and
        is still refused as too large where photos are checked."""
        data = bytearray()
        async with self.session.get(url) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > MAX_PHOTO_BYTES:
                    return bytes(data[: MAX_PHOTO_BYTES + 1])
        return bytes(data)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def require_secret(request: web.Request, header: str, secret: str) -> None:
    """A webhook call must carry the secret we registered (compared in constant time), else 403."""
    given = request.headers.get(header, "").encode()
    if not hmac.compare_digest(given, secret.encode()):
        raise web.HTTPForbidden()


MAX_BODY = 256 * 1024  # a platform update is a few kilobytes; a larger webhook body is refused (413)
MAX_DEPTH = 32  # updates nest about six deep; deeper JSON is refused before it is parsed
MAX_ID = 64  # the longest chat or user id stored (channel_account, conversation, zalo_oa_user)
# A JSON string, or an unterminated one up to the end: every quote starts a match, so the scan stays linear.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_REQUIRED = object()
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)  # a platform's time


class Malformed(ValueError):
    """JSON that is not shaped as the platform documents: a wrong type, a missing field, a time out of range."""


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, counted without parsing it (brackets in strings skipped)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> object:
    """Strict JSON (no NaN or Infinity) nested at most `max_depth` deep; ValueError otherwise."""
    if json_depth(raw) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth}")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError:  # not reached below the depth limit; kept so no input can make it a 500
        raise ValueError("JSON nested too deep") from None


async def read_json(request: web.Request, max_bytes: int = MAX_BODY) -> tuple[bytes, object]:
    """A webhook body and its JSON value; 413 when larger than `max_bytes`, 400 when not JSON or too deep."""
    if (request.content_length or 0) > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_bytes, request.content_length)
    raw = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        raw += chunk
        if len(raw) > max_bytes:
            raise web.HTTPRequestEntityTooLarge(max_bytes, len(raw))
    try:
        return bytes(raw), parse_json(bytes(raw))
    except ValueError:
        raise web.HTTPBadRequest() from None


def typed(obj: object, path: str, kinds: type | tuple[type, ...], default: object = _REQUIRED) -> object:
    """The value at a dotted `path` when it has one of `kinds`; absent or null gives `default`, else Malformed.

    Booleans do not pass for numbers, integers must fit 64 bits and strings must be storable text."""
    value = obj
    for key in path.split("."):
        if not isinstance(value, dict):
            raise Malformed(f"{path}: {key!r} is not inside an object")
        value = value.get(key)
        if value is None:
            if default is _REQUIRED:
                raise Malformed(f"{path} missing")
            return default
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise Malformed(f"{path} is {type(value).__name__}")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise Malformed(f"{path} out of range")
    if isinstance(value, str) and not _storable(value):
        raise Malformed(f"{path} has a NUL or a lone surrogate")
    return value


def _storable(text: str) -> bool:
    """Text every database takes: JSON may escape a NUL (PostgreSQL refuses it) or half a surrogate pair."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def ident(obj: object, path: str, default: object = _REQUIRED) -> str | None:
    """A chat, user or message id (a string or an integer) as a string that fits the id columns; "" is absent."""
    value = typed(obj, path, (str, int), default)
    if value is default or value == "":
        if default is _REQUIRED:
            raise Malformed(f"{path} empty")
        return default
    if len(str(value)) > MAX_ID or not str(value).isprintable():
        raise Malformed(f"{path} too long or not printable")
    return str(value)


def epoch(value: object, per_second: int = 1) -> datetime:
    """A platform time (seconds, or milliseconds with `per_second=1000`, maybe a numeric string) as UTC."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Malformed(f"time is {type(value).__name__}")
    try:
        moment = datetime.fromtimestamp(float(value) / per_second, UTC)
    except (ValueError, OverflowError, OSError):
        raise Malformed(f"time {str(value)[:32]!r} unreadable") from None
    if not EARLIEST <= moment < LATEST:
        raise Malformed(f"time {str(value)[:32]!r} out of range")
    return moment
