"""The clock that fires schedules: APScheduler wakes us, `bot.services.schedules` does the work.

Jobs are rebuilt from the schedule rows at start and after every tick: one
DateTrigger per active schedule at its next fire time, plus a heartbeat each
minute that picks up rows changed by the CLI in another process. On
PostgreSQL only the process holding a session-level advisory lock (on a
connection kept for the process lifetime) fires anything; the others retry
each heartbeat and take over when the holder dies. `tick(now)` is the whole
behaviour, so tests drive it with a fake clock and no APScheduler at all.
"""

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.db.session import Database
from bot.services import schedules
from bot.services.schedule_rules import Policy
from bot.services.schedules import Fired

log = logging.getLogger(__name__)

# The advisory lock one scheduler per database holds: advisory locks are server-wide, so the key's first half is
# the database's (two cdsbot databases on one PostgreSQL server each have their scheduler).
LOCK_KEY = 0x7363_6864  # "schd": the second half
LOCK_ARGS = "hashtext(current_database()), :key"
JOB_PREFIX = "schedule-"


class Scheduler:
    """Fires due schedules exactly once; inactive until it holds the database's scheduler lock."""

    def __init__(self, db: Database, clock: Clock, policy: Policy | None = None, outbox=None,
                 heartbeat_seconds: float = 60.0):
        self.db = db
        self.clock = clock
        self.policy = policy or Policy()
        self.outbox = outbox  # woken after a firing queued deliveries
        self.heartbeat_seconds = heartbeat_seconds
        self.active = False
        self._lock_conn: AsyncConnection | None = None
        self._aps: AsyncIOScheduler | None = None
        self._ticking = asyncio.Lock()

    async def start(self) -> None:
        """Take the lead if free, fire what is due (the catch-up after downtime), start the clock."""
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.start()
        self._aps.add_job(self.heartbeat, IntervalTrigger(seconds=self.heartbeat_seconds), id="scheduler-heartbeat",
                          max_instances=1, coalesce=True)
        await self.heartbeat()

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        await self._release()

    async def heartbeat(self) -> None:
        """Keep or take the lead, then tick; a lost lock connection makes this process a follower."""
        if self.active and not await self._still_held():
            log.warning("lost the scheduler lock; another cdsbot may take over")
            await self._release()
        if not self.active:
            self.active = await self._acquire()
            if self.active:
                log.info("this process runs the schedules")
        await self.tick()

    async def tick(self, now: datetime | None = None) -> list[Fired]:
        """Fire everything due by `now` (default: the clock's now) if this process leads."""
        if not self.active:
            return []
        async with self._ticking:
            fired = await schedules.fire_due(self.db, now or self.clock.now(), self.policy)
            for item in fired:
                log.info("schedule %s due %s: %s (%s deliveries)", item.schedule_id, item.due_at.isoformat(),
                         item.status, item.deliveries)
            if fired and self.outbox is not None:
                for code in self.outbox.channels:
                    self.outbox.wake(code)
            await self.rebuild()
            return fired

    async def next_fire(self) -> datetime | None:
        """The earliest time any active schedule may fire (for APScheduler, tests, and `schedule list`)."""
        async with self.db.session() as session:
            upcoming = await schedules.upcoming(session, self.policy)
        return upcoming[0][1] if upcoming else None

    async def rebuild(self) -> None:
        """Replace the APScheduler jobs by one DateTrigger per active schedule's next fire time."""
        if self._aps is None:
            return
        async with self.db.session() as session:
            upcoming = await schedules.upcoming(session, self.policy)
        for job in self._aps.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                job.remove()
        for schedule_id, fire_at in upcoming:
            self._aps.add_job(self.tick, DateTrigger(run_date=fire_at), id=f"{JOB_PREFIX}{schedule_id}",
                              misfire_grace_time=None, coalesce=True, replace_existing=True)

    async def _acquire(self) -> bool:
        if self.db.is_sqlite:
            return True  # SQLite: one process by design
        conn = await self.db.engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text(f"SELECT pg_try_advisory_lock({LOCK_ARGS})"), {"key": LOCK_KEY})
        except Exception:
            await conn.close()
            raise
        if got:
            self._lock_conn = conn
        else:
            await conn.close()
        return bool(got)

    async def _still_held(self) -> bool:
        if self._lock_conn is None:
            return self.db.is_sqlite
        try:
            await self._lock_conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _release(self) -> None:
        self.active = False
        conn, self._lock_conn = self._lock_conn, None
        if conn is None:
            return
        try:
            await conn.execute(text(f"SELECT pg_advisory_unlock({LOCK_ARGS})"), {"key": LOCK_KEY})
        except Exception:  # a dead connection: dropping it (not pooling it) releases the lock server-side
            await conn.invalidate()
        await conn.close()
