"""The delivery queue: every write to a delivery row goes through here.

Callers add rows inside their own transaction (they commit); on PostgreSQL the
commit also sends a NOTIFY, so every process's sender wakes at once. The
sender claims rows under a lease (`claimed_at`) that it renews while they are
in flight; rows whose lease ran out (their holder died) go back to the queue.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, bindparam, event, not_, or_, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.core.messages import Outbound
from bot.db.broadcasts import Broadcast
from bot.db.models import Delivery
from bot.delivery.states import REPLY, State

NOTIFY_CHANNEL = "cdsbot_delivery"  # PostgreSQL LISTEN/NOTIFY channel; the payload is a channel code or "*"
EVERY_CHANNEL = "*"
LEASE = timedelta(seconds=30)  # a claimed row whose lease is older than this has lost its sender
_WAKE = "cdsbot_delivery_wake"  # session.info key: channel codes to notify when the session commits


def enqueue(session: AsyncSession, channel: str, external_id: str, message: Outbound, *, member_id=None,
            priority: int = REPLY, now=None) -> Delivery:
    """Add one delivery row to the caller's transaction (the caller commits, then may call `Outbox.wake`)."""
    row = Delivery(channel=channel, external_id=external_id, member_id=member_id, priority=priority,
                   payload=message.to_dict(), created_at=now)
    session.add(row)
    wake_on_commit(session, channel)
    return row


def copy_to(session: AsyncSession, row: Delivery, channel: str, external_id: str) -> None:
    """Queue a copy of `row` on another channel of the same member (a held message rerouted)."""
    session.add(Delivery(channel=channel, external_id=external_id, member_id=row.member_id, priority=row.priority,
                         payload=row.payload, broadcast_id=row.broadcast_id, created_at=row.created_at))
    wake_on_commit(session, channel)


async def enqueue_many(session: AsyncSession, rows: list[dict], now: datetime, priority: int) -> None:
    """Add many rows at once; each dict has channel, external_id, member_id and payload."""
    if rows:
        await session.execute(Delivery.__table__.insert(), [
            {**row, "priority": priority, "status": State.QUEUED, "attempts": 0, "created_at": now} for row in rows])
        wake_on_commit(session, EVERY_CHANNEL)


async def insert_selected(session: AsyncSession, columns: list[str], rows: Select) -> int:
    """INSERT … SELECT rows of a broadcast; a row already there (same broadcast, member, channel) is skipped."""
    insert = (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert
    statement = (insert(Delivery.__table__).from_select(columns, rows)
                 .on_conflict_do_nothing(index_elements=["broadcast_id", "member_id", "channel"]))
    result = await session.execute(statement)
    wake_on_commit(session, EVERY_CHANNEL)
    return max(result.rowcount or 0, 0)


async def move_broadcast(session: AsyncSession, broadcast_id: int, before: Iterable[State], after: State) -> int:
    """Move a broadcast's rows from the states `before` to `after` (pause, resume, cancel); returns how many."""
    result = await session.execute(update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                                                          Delivery.status.in_(list(before))).values(status=after))
    if after is State.QUEUED:
        wake_on_commit(session, EVERY_CHANNEL)
    return result.rowcount or 0


async def release_held(session: AsyncSession, channel: str, external_id: str) -> int:
    """The member wrote again: their held messages go back to the queue; returns how many."""
    result = await session.execute(update(Delivery)
                                   .where(Delivery.channel == channel, Delivery.external_id == external_id,
                                          Delivery.status == State.HELD)
                                   .values(status=State.QUEUED, not_before=None, claimed_at=None))
    if result.rowcount:
        wake_on_commit(session, channel)
    return result.rowcount or 0


def _held_back():
    """Bulk rows the quiet hours hold: every row but replies and those of urgent broadcasts."""
    urgent = select(Broadcast.id).where(Broadcast.urgent.is_(True))
    return and_(Delivery.priority > REPLY, or_(Delivery.broadcast_id.is_(None), Delivery.broadcast_id.not_in(urgent)))


async def hold_for_morning(session: AsyncSession, code: str, morning: datetime) -> int:
    """Inside the quiet hours: the channel's queued bulk rows wait until `morning`, so they are not looked at again."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.channel == code, Delivery.status == State.QUEUED, _held_back())
        .where(or_(Delivery.not_before.is_(None), Delivery.not_before < morning))
        .values(not_before=morning).execution_options(synchronize_session=False))
    return result.rowcount or 0


async def delay(session: AsyncSession, rows: Select, moment: datetime) -> None:
    """The rows whose ids `rows` selects wait until `moment` (a broadcast's share past the quiet hours' start)."""
    await session.execute(update(Delivery).where(Delivery.id.in_(rows.scalar_subquery())).values(not_before=moment))


def claim_statement(code: str, limit: int, now: datetime, quiet: bool = False):
    """UPDATE … RETURNING that claims the next ready rows of a channel (replies first, then oldest).

    Inside the quiet hours (`quiet`) only replies and urgent broadcasts are claimed.
    """
    ready = (
        select(Delivery.id)
        .where(Delivery.channel == code, Delivery.status == State.QUEUED)
        .where(or_(Delivery.not_before.is_(None), Delivery.not_before <= now))
        .where(not_(_held_back()) if quiet else true())
        .order_by(Delivery.priority, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(Delivery)
        .where(Delivery.id.in_(ready.scalar_subquery()))
        .values(status=State.SENDING, claimed_at=now)
        .returning(Delivery.id, Delivery.external_id, Delivery.member_id, Delivery.payload,
                   Delivery.attempts, Delivery.priority)
    )


async def requeue(session: AsyncSession, *, channel: str | None = None, claimed_before: datetime | None = None) -> int:
    """Put claimed rows back in the queue: a channel's (its sender is gone), or those whose lease ran out."""
    query = update(Delivery).where(Delivery.status == State.SENDING)
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    if claimed_before is not None:
        query = query.where(Delivery.claimed_at < claimed_before)
    result = await session.execute(query.values(status=State.QUEUED, claimed_at=None))
    if result.rowcount:
        wake_on_commit(session, channel or EVERY_CHANNEL)
    return result.rowcount or 0


async def renew(session: AsyncSession, row_ids: list[int], now: datetime) -> None:
    """Renew the leases of rows this process claimed and is still sending."""
    for start in range(0, len(row_ids), 1000):
        await session.execute(update(Delivery).where(Delivery.id.in_(row_ids[start:start + 1000]),
                                                     Delivery.status == State.SENDING).values(claimed_at=now))


async def record(session: AsyncSession, results: list[dict]) -> None:
    """Write send outcomes (dicts with `id` and the columns to set); a hand-back to the queue only while `sending`."""
    for group in _group_by_keys(results).values():
        params = [{"row_id": item["id"], **{k: v for k, v in item.items() if k != "id"}} for item in group]
        await session.execute(_update_by_id(requeue=group[0]["status"] == State.QUEUED), params)


def _group_by_keys(results: list[dict]) -> dict[tuple, list[dict]]:
    """One executemany needs the same keys (and the same kind of outcome) in every dict."""
    groups: dict[tuple, list[dict]] = {}
    for item in results:
        groups.setdefault((*sorted(item), item["status"] == State.QUEUED), []).append(item)
    return groups


def _update_by_id(requeue: bool):
    """UPDATE … SET <the dict's columns> WHERE id = :row_id; back to the queue only while still `sending`."""
    table = Delivery.__table__
    query = update(table).where(table.c.id == bindparam("row_id"))
    return query.where(table.c.status == State.SENDING) if requeue else query


def wake_on_commit(session: AsyncSession, channel: str) -> None:
    """Rows wait on `channel` (or `*`) once the session commits: the senders are told then (PostgreSQL NOTIFY)."""
    session.info.setdefault(_WAKE, set()).add(channel)


@event.listens_for(Session, "before_commit")
def _notify(session: Session) -> None:
    """On PostgreSQL, tell every listening sender which channels got rows (delivered when the commit lands)."""
    channels = session.info.pop(_WAKE, None)
    if not channels or session.get_bind().dialect.name != "postgresql":
        return
    for channel in sorted(channels):
        session.execute(text("SELECT pg_notify(:name, :channel)"), {"name": NOTIFY_CHANNEL, "channel": channel})


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    """Rows rolled back wake nobody."""
    session.info.pop(_WAKE, None)
