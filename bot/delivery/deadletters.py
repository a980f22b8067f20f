"""Dead letters: stored work (an OA event, an outgoing message) that fails every time is set aside after a few tries.

Each failure is counted in `dead_letter`; at `MAX_FAILURES` the item is buried (its source row marked done,
so nothing picks it up again) and waits for `retry` or `drop` (bot/services/deadletters.py). The counting is
the same for every source; each source says how its rows are named, buried and revived. The delivery rows'
part lives here, so this package stays the only writer of delivery rows. The stored error names the failure,
never secrets or phone numbers.
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
from bot.delivery.queue import EVERY_CHANNEL, wake_on_commit
from bot.delivery.states import State
from bot.log_setup import redact

log = logging.getLogger(__name__)

MAX_FAILURES = 3  # failures (each on a different start, for stored events) before an item is set aside
FORGET_AFTER = timedelta(days=7)  # a count with no new failure this long belongs to an item that went through
DELIVERY = "delivery"
BURIED = "dead letter"  # the `error` of a source row set aside: kept (not pruned) until retried or dropped


@dataclass(frozen=True)
class Source:
    """How to name, bury and revive the rows of one source table."""

    summary: Callable[[AsyncSession, int], Awaitable[str]]
    bury: Callable[[AsyncSession, int, datetime], Awaitable[None]]
    revive: Callable[[AsyncSession, int], Awaitable[bool]]  # False when the row is no longer stored


def describe(exc: BaseException) -> str:
    """The error's kind and first line, without the SQL and its parameters (which may hold members' data)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return redact(f"{type(cause).__name__}: {first}" if first else type(cause).__name__)[:300]


async def count_failure(db: Database, name: str, source: Source, ref: int, exc: BaseException,
                        now: datetime) -> bool:
    """Count one failure of a stored item; at MAX_FAILURES bury it. True when it was set aside; never raises."""
    try:
        async with db.session() as session:
            await session.execute(delete(DeadLetter).where(DeadLetter.dead_at.is_(None),
                                                           DeadLetter.last_failed_at < now - FORGET_AFTER))
            letter = (await session.execute(select(DeadLetter).where(
                DeadLetter.source == name, DeadLetter.ref == ref))).scalar_one_or_none()
            if letter is None:
                letter = DeadLetter(source=name, ref=ref, summary=await source.summary(session, ref),
                                    error="", first_failed_at=now, last_failed_at=now)
                session.add(letter)
            letter.failures, letter.error, letter.last_failed_at = letter.failures + 1, describe(exc), now
            dead = letter.dead_at is None and letter.failures >= MAX_FAILURES
            if dead:
                letter.dead_at = now
                await source.bury(session, ref, now)
            await session.commit()
    except Exception:
        log.exception("could not count a failure of %s %s", name, ref)
        return False
    if dead:
        log.warning("%s %s failed %d times and was set aside as dead letter %s: %s", name, ref,
                    letter.failures, letter.id, letter.error)
    return dead


async def _summary(session: AsyncSession, ref: int) -> str:
    channel = await session.scalar(select(Delivery.channel).where(Delivery.id == ref))
    return f"message on {channel or '?'}"


async def _bury(session: AsyncSession, ref: int, now: datetime) -> None:
    await session.execute(update(Delivery).where(Delivery.id == ref).values(status=State.FAILED, claimed_at=None,
                                                                            error=BURIED))


async def _revive(session: AsyncSession, ref: int) -> bool:
    result = await session.execute(update(Delivery).where(Delivery.id == ref).values(
        status=State.QUEUED, attempts=0, not_before=None, claimed_at=None, error=None))
    if result.rowcount == 1:
        wake_on_commit(session, EVERY_CHANNEL)  # the running senders take it at once
    return result.rowcount == 1


DELIVERIES = Source(_summary, _bury, _revive)


async def record_delivery_failure(db: Database, ref: int, exc: BaseException, now: datetime) -> bool:
    """A delivery row whose send raised (an unreadable row, an adapter's bug): counted, set aside after a few."""
    return await count_failure(db, DELIVERY, DELIVERIES, ref, exc, now)
