"""LISTEN on a PostgreSQL channel: one connection of the process, kept out of the pool, hears every NOTIFY."""

import logging
from collections.abc import Callable

from bot.db.session import Database

log = logging.getLogger(__name__)


class Listener:
    """Calls `heard(payload)` for each NOTIFY on `channel` while open."""

    def __init__(self, db: Database, channel: str, heard: Callable[[str], None]):
        self.db = db
        self.channel = channel
        self.heard = heard
        self._conn = None  # SQLAlchemy AsyncConnection, kept out of the pool while we listen
        self._pg = None  # its asyncpg connection

    async def open(self) -> None:
        """Connect and LISTEN (idempotent)."""
        if self._pg is not None:
            return
        conn = await self.db.engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            pg = (await conn.get_raw_connection()).driver_connection
            await pg.add_listener(self.channel, self._notified)
        except Exception:
            await conn.close()
            raise
        self._conn, self._pg = conn, pg

    def _notified(self, _conn, _pid: int, _name: str, payload: str) -> None:
        self.heard(payload)

    async def alive(self) -> bool:
        """Whether the connection is still there (a NOTIFY sent while it was not was missed)."""
        if self._pg is None:
            return False
        try:
            await self._pg.fetchval("SELECT 1")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        """Stop listening; the connection is dropped, never handed back to the pool with a listener on it."""
        conn, self._conn, self._pg = self._conn, None, None
        if conn is None:
            return
        try:
            await conn.invalidate()
            await conn.close()
        except Exception:
            log.debug("the listening connection was already gone")
