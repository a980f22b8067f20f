"""HTTP pieces the channel adapters share: one lazy client session, webhook secret checks."""

import hmac

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
