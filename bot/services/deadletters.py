"""Poison work: a stored OA event or an outgoing message that fails every time is set aside after a few tries.

Without this an event that fails on every start (a 500-character sender id on PostgreSQL) was queued again at
each start, forever, with its tracebacks. Each failure is counted in `dead_letter`; at `MAX_FAILURES` the item
is buried (its source row marked done, so nothing picks it up again) and waits for `retry` or `drop` from
`cdsbot deadletters` or the console. The stored error names the failure, never secrets or phone numbers.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.deadletters import DeadLetter
from bot.db.models import Delivery
from bot.db.session import Database
from bot.db.zalo import ZaloEvent
from bot.delivery.states import State
from bot.log_setup import redact

log = logging.getLogger(__name__)

MAX_FAILURES = 3  # failures (each on a different start, for stored events) before an item is set aside
FORGET_AFTER = timedelta(days=7)  # a count with no new failure this long belongs to an item that went through
ZALO_OA, DELIVERY = "zalo_oa", "delivery"
BURIED = "dead letter"  # the `error` of a source row set aside: kept (not pruned) until retried or dropped


@dataclass(frozen=True)
class Source:
    """How to name, bury and revive the rows of one source table."""

    summary: Callable[[AsyncSession, int], Awaitable[str]]
    bury: Callable[[AsyncSession, int, datetime], Awaitable[None]]
    revive: Callable[[AsyncSession, int], Awaitable[bool]]  # False when the row is no longer stored


async def _event_summary(session: AsyncSession, ref: int) -> str:
    body = await session.scalar(select(ZaloEvent.body).where(ZaloEvent.id == ref))
    name = body.get("event_name") if isinstance(body, dict) else None
    return f"zalo_oa event {name if isinstance(name, str) else '?'}"[:120]


async def _bury_event(session: AsyncSession, ref: int, now: datetime) -> None:
    await session.execute(update(ZaloEvent).where(ZaloEvent.id == ref).values(processed_at=now, error=BURIED))


async def _revive_event(session: AsyncSession, ref: int) -> bool:
    result = await session.execute(update(ZaloEvent).where(ZaloEvent.id == ref).values(processed_at=None, error=None))
    return result.rowcount == 1


async def _delivery_summary(session: AsyncSession, ref: int) -> str:
    channel = await session.scalar(select(Delivery.channel).where(Delivery.id == ref))
    return f"message on {channel or '?'}"


async def _bury_delivery(session: AsyncSession, ref: int, now: datetime) -> None:
    await session.execute(update(Delivery).where(Delivery.id == ref).values(status=State.FAILED, claimed_at=None,
                                                                            error=BURIED))


async def _revive_delivery(session: AsyncSession, ref: int) -> bool:
    result = await session.execute(update(Delivery).where(Delivery.id == ref).values(
        status=State.QUEUED, attempts=0, not_before=None, claimed_at=None, error=None))
    return result.rowcount == 1


SOURCES = {ZALO_OA: Source(_event_summary, _bury_event, _revive_event),
           DELIVERY: Source(_delivery_summary, _bury_delivery, _revive_delivery)}


def describe(exc: BaseException) -> str:
    """The error's kind and first line, without the SQL and its parameters (which may hold members' data)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return redact(f"{type(cause).__name__}: {first}" if first else type(cause).__name__)[:300]


async def record_failure(db: Database, source: str, ref: int, exc: BaseException, now: datetime) -> bool:
    """Count one failure of a stored item; at MAX_FAILURES bury it. True when it was set aside; never raises."""
    try:
        async with db.session() as session:
            await session.execute(delete(DeadLetter).where(DeadLetter.dead_at.is_(None),
                                                           DeadLetter.last_failed_at < now - FORGET_AFTER))
            letter = (await session.execute(select(DeadLetter).where(
                DeadLetter.source == source, DeadLetter.ref == ref))).scalar_one_or_none()
            if letter is None:
                letter = DeadLetter(source=source, ref=ref, summary=await SOURCES[source].summary(session, ref),
                                    error="", first_failed_at=now, last_failed_at=now)
                session.add(letter)
            letter.failures, letter.error, letter.last_failed_at = letter.failures + 1, describe(exc), now
            dead = letter.dead_at is None and letter.failures >= MAX_FAILURES
            if dead:
                letter.dead_at = now
                await SOURCES[source].bury(session, ref, now)
            await session.commit()
    except Exception:
        log.exception("could not count a failure of %s %s", source, ref)
        return False
    if dead:
        log.warning("%s %s failed %d times and was set aside as dead letter %s: %s", source, ref,
                    letter.failures, letter.id, letter.error)
    return dead


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
