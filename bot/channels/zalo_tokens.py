"""The Zalo OA token pair: read from the database, refreshed before it expires, stored before it is used.

Zalo's access token lives 25 hours; each refresh token works exactly once. So
the pair returned by a refresh is committed to the database *before* the new
access token is used: a crash in between must not leave us holding only a dead
refresh token (that would need an OA admin to re-consent in a browser). Several processes may
send on one PostgreSQL database: a refresh holds the token row's lock, so only one of them spends it.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Failure, SendError
from bot.clock import Clock
from bot.db.session import Database
from bot.db.zalo import ZaloToken

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(hours=1)  # refresh when less than this is left
DEFAULT_LIFETIME = 90_000  # seconds (25 h), what Zalo gives and what we assume for configured tokens


class ZaloTokens:
    """Hands out a valid access token; one refresh at a time, in this process and across processes."""

    def __init__(self, db: Database, app_id: str, app_secret: str, oauth_url: str = "https://oauth.zaloapp.com",
                 access_token: str = "", refresh_token: str = "", clock: Clock | None = None):
        self.db = db
        self.app_id = app_id
        self._secret = app_secret
        self.oauth_url = oauth_url.rstrip("/")
        self._initial = (access_token, refresh_token)
        self.clock = clock or Clock()
        self._row: ZaloToken | None = None
        self._lock = asyncio.Lock()

    async def access_token(self, http: aiohttp.ClientSession) -> str:
        """A token with at least an hour left, refreshing first if needed."""
        row = self._row
        if row is None or self._expiring(row):
            row = await self._refreshed(http, self._expiring)
        return row.access_token

    async def refresh_after_rejection(self, http: aiohttp.ClientSession, rejected: str) -> str:
        """Zalo said `rejected` is invalid or expired: refresh, unless someone already replaced it."""
        return (await self._refreshed(http, lambda row: row.access_token == rejected)).access_token

    async def store(self, access_token: str, refresh_token: str, expires_in: int = DEFAULT_LIFETIME) -> None:
        """Commit a token pair (the CLI's set-tokens, configured tokens), then use it."""
        async with self.db.session() as session:
            row = await session.get(ZaloToken, 1) or ZaloToken(id=1)
            self._use(await self._commit(session, row, access_token, refresh_token, expires_in))

    async def _commit(self, session: AsyncSession, row: ZaloToken, access_token: str, refresh_token: str,
                      expires_in: int) -> ZaloToken:
        """Write the pair to the single row and commit: from here a crash loses nothing."""
        now = self.clock.now()
        row.access_token, row.refresh_token = access_token, refresh_token
        row.expires_at, row.updated_at = now + timedelta(seconds=expires_in), now
        session.add(row)
        await session.commit()
        return row

    def _use(self, row: ZaloToken) -> None:
        """Start using a committed pair in this process."""
        self._row = row

    def _expiring(self, row: ZaloToken | None) -> bool:
        return row is None or row.expires_at - self.clock.now() < REFRESH_MARGIN

    async def _refreshed(self, http: aiohttp.ClientSession, needed: Callable[[ZaloToken], bool]) -> ZaloToken:
        """The stored pair, refreshed first if `needed` still says so once this process holds the row's lock.

        The lock (`FOR UPDATE` on PostgreSQL; on SQLite, one process, the asyncio lock) is held until the new
        pair is committed, so another process waiting for it re-reads the new pair and refreshes nothing:
        the single-use refresh token is spent once."""
        async with self._lock:
            await self._seed()
            async with self.db.session() as session:
                query = select(ZaloToken).where(ZaloToken.id == 1).with_for_update()
                row = (await session.execute(query)).scalar_one()
                if not needed(row):
                    await session.commit()  # ends the transaction: the lock is released
                    self._use(row)
                    return row
                return await self._refresh(http, session, row)

    async def _seed(self) -> None:
        """Configured tokens seed an empty table (another process or the CLI may have stored a pair already)."""
        if self._row is not None:
            return
        async with self.db.session() as session:
            if await session.get(ZaloToken, 1) is not None:
                return
        access, refresh = self._initial
        if not refresh:
            raise SendError(Failure.CONFIG, "no Zalo OA tokens: run `cdsbot zalo-oa set-tokens`")
        try:
            await self.store(access, refresh, DEFAULT_LIFETIME if access else 0)
        except IntegrityError:  # another process seeded it at the same moment: theirs is as good
            log.debug("zalo_oa tokens were seeded by another process")

    async def _refresh(self, http: aiohttp.ClientSession, session: AsyncSession, row: ZaloToken) -> ZaloToken:
        """Trade the refresh token for a new pair and commit it before anyone uses the new access token."""
        form = {"refresh_token": row.refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        try:
            async with http.post(f"{self.oauth_url}/v4/oa/access_token", data=form,
                                 headers={"secret_key": self._secret}) as response:
                reply = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SendError(Failure.RETRYABLE, f"token refresh failed: {type(exc).__name__}") from None
        if not isinstance(reply, dict) or not reply.get("access_token") or not reply.get("refresh_token"):
            error = reply.get("error") if isinstance(reply, dict) else None
            log.error("zalo_oa token refresh refused (error %s); an OA admin may need to re-authorise", error)
            raise SendError(Failure.CONFIG, f"token refresh refused: {error}")
        lifetime = int(reply.get("expires_in") or DEFAULT_LIFETIME)  # Zalo sends it as a string
        row = await self._commit(session, row, reply["access_token"], reply["refresh_token"], lifetime)  # before use
        self._use(row)
        log.info("zalo_oa access token refreshed; valid until %s", row.expires_at.isoformat())
        return row

    @property
    def expires_at(self) -> datetime | None:
        return self._row.expires_at if self._row else None
