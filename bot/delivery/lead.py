"""Which process sends on each channel, when several share one PostgreSQL database.

Each channel has one sender at a time: the process holding the channel's
session-level advisory lock. The lock lives on one connection of that process;
when the process dies its connection closes, the lock is free and another
process takes the channel over (within `TAKEOVER_S`), first putting back in the
queue the rows the dead sender had claimed. One sender per channel keeps the
platform's limits however many processes run: the budget is shared by having
one spender. The same connection LISTENs for new rows, so senders wake at once.
"""

import logging
import zlib
from collections.abc import Callable

from bot.db.session import Database
from bot.delivery.queue import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

# Advisory locks are server-wide: the first half of the two-part key is the database's (two cdsbot databases on one
# PostgreSQL server each have their senders), the second the channel's.
LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext(current_database()), $1)"


def lock_key(channel: str) -> int:
    """The channel's half of the lock key: a signed 32-bit hash of its code."""
    return zlib.crc32(channel.encode()) - 2**31


class Lead:
    """One PostgreSQL connection holding this process's channel locks and listening for new delivery rows."""

    def __init__(self, db: Database, wake: Callable[[str], None]):
        self.db = db
        self.wake = wake
        self._conn = None  # SQLAlchemy AsyncConnection, kept out of the pool while we lead
        self._pg = None  # its asyncpg connection

    async def open(self) -> None:
        """Connect and LISTEN (idempotent)."""
        if self._pg is not None:
            return
        conn = await self.db.engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            pg = (await conn.get_raw_connection()).driver_connection
            await pg.add_listener(NOTIFY_CHANNEL, self._heard)
        except Exception:
            await conn.close()
            raise
        self._conn, self._pg = conn, pg

    def _heard(self, _conn, _pid: int, _name: str, channel: str) -> None:
        self.wake(channel)

    async def take(self, channel: str) -> bool:
        """Try to become the channel's sender; True when this process now holds its lock."""
        return bool(await self._pg.fetchval(LOCK_SQL, lock_key(channel)))

    async def alive(self) -> bool:
        """Whether the connection (and with it every lock held) is still there."""
        if self._pg is None:
            return False
        try:
            await self._pg.fetchval("SELECT 1")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        """Give up every lock and stop listening: closing the connection releases them server-side."""
        conn, self._conn, self._pg = self._conn, None, None
        if conn is None:
            return
        try:
            await conn.invalidate()  # never hand a connection holding locks back to the pool
            await conn.close()
        except Exception:
            log.debug("the lock connection was already gone")

