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

from bot.db.listen import Listener
from bot.db.session import Database
from bot.delivery.queue import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

# Advisory locks are server-wide: the first half of the two-part key is the database's (two cdsbot databases on one
# PostgreSQL server each have their senders), the second the channel's.
LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext(current_database()), $1)"


def lock_key(channel: str) -> int:
    """The channel's half of the lock key: a signed 32-bit hash of its code."""
    return zlib.crc32(channel.encode()) - 2**31


class Lead(Listener):
    """One PostgreSQL connection holding this process's channel locks and listening for new delivery rows:
    closing it (or the process dying) releases every lock server-side."""

    def __init__(self, db: Database, wake: Callable[[str], None]):
        super().__init__(db, NOTIFY_CHANNEL, wake)

    async def take(self, channel: str) -> bool:
        """Try to become the channel's sender; True when this process now holds its lock."""
        return bool(await self._pg.fetchval(LOCK_SQL, lock_key(channel)))
