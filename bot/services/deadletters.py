"""Poison work: a stored OA event or an outgoing message that fails every time is set aside after a few tries.

Without this an event that fails on every start (a 500-character sender id on PostgreSQL) was queued again at
each start, forever, with its tracebacks. The counting and the delivery rows' part are in
bot/delivery/deadletters.py (the delivery package writes delivery rows); here are the OA events' part and
what `cdsbot deadletters` and the console do: list, show, retry, drop.
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.deadletters import DeadLetter
from bot.db.session import Database
from bot.db.zalo import ZaloEvent
from bot.delivery.deadletters import BURIED, DELIVERIES, DELIVERY, MAX_FAILURES, Source, count_failure

__all__ = ["BURIED", "DELIVERY", "MAX_FAILURES", "ZALO_OA", "drop", "get", "listing", "record_failure", "retry"]

ZALO_OA = "zalo_oa"


async def _event_summary(session: AsyncSession, ref: int) -> str:
    body = await session.scalar(select(ZaloEvent.body).where(ZaloEvent.id == ref))
    name = body.get("event_name") if isinstance(body, dict) else None
    return f"zalo_oa event {name if isinstance(name, str) else '?'}"[:120]


async def _bury_event(session: AsyncSession, ref: int, now: datetime) -> None:
    await session.execute(update(ZaloEvent).where(ZaloEvent.id == ref).values(processed_at=now, error=BURIED))


async def _revive_event(session: AsyncSession, ref: int) -> bool:
    result = await session.execute(update(ZaloEvent).where(ZaloEvent.id == ref).values(processed_at=None, error=None))
    return result.rowcount == 1


SOURCES = {ZALO_OA: Source(_event_summary, _bury_event, _revive_event), DELIVERY: DELIVERIES}


async def record_failure(db: Database, source: str, ref: int, exc: BaseException, now: datetime) -> bool:
    """Count one failure of a stored item; at MAX_FAILURES bury it. True when it was set aside; never raises."""
    return await count_failure(db, source, SOURCES[source], ref, exc, now)


async def listing(session: AsyncSession) -> list[DeadLetter]:
    """Items set aside, newest first (items that failed fewer times are still being retried, so not listed)."""
    query = select(DeadLetter).where(DeadLetter.dead_at.is_not(None)).order_by(DeadLetter.id.desc())
    return list((await session.execute(query)).scalars())


async def get(session: AsyncSession, letter_id: int) -> DeadLetter:
    """One dead letter; LookupError when there is none with that id."""
    letter = await session.get(DeadLetter, letter_id)
    if letter is None:
        raise LookupError(f"no dead letter {letter_id}")
    return letter


async def retry(session: AsyncSession, letter_id: int) -> DeadLetter:
    """Put the item back to be processed (events at the serving process's next start, messages at once)."""
    letter = await get(session, letter_id)
    if not await SOURCES[letter.source].revive(session, letter.ref):
        raise LookupError(f"the {letter.source} row {letter.ref} of dead letter {letter_id} is no longer stored")
    await session.delete(letter)
    return letter


async def drop(session: AsyncSession, letter_id: int) -> DeadLetter:
    """Forget a dead letter; its item stays done and is never processed."""
    letter = await get(session, letter_id)
    await session.delete(letter)
    return letter
