"""The outbox: every outgoing message is a `Delivery` row; one sender loop per channel sends them.

Rows are claimed in small batches (replies first), paced to the channel's
limits (overall rate and per-chat interval), and their outcome is written
back in batches. Channels only label failures; this module decides:
throttled → wait `retry_after`; retryable → back off; gone → unreachable;
permanent → failed; config → pause the channel; out of window → held
(or sent over another linked channel: see delivery_followups). After a crash, rows that
were claimed but not confirmed go back to the queue, so at most the
messages in flight at the moment of the crash are sent twice.

Only `queued` rows are claimed, so a broadcast is paused or cancelled by
moving its rows to `paused` / `cancelled`. A row handed back to the queue
(retry, throttle, release) is written only while it is still `sending`, so
such a move made meanwhile wins; a send that happened is always recorded.
"""

import asyncio
import heapq
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, or_, select, update

from bot.channels.base import Channel, Failure, SendError
from bot.clock import Clock
from bot.core.messages import Outbound
from bot.db.models import Delivery
from bot.db.session import Database
from bot.delivery_followups import Shown, labels_of, mark_unreachable, remember_options, reroute_held
from bot.pacing import Pacer

log = logging.getLogger(__name__)

REPLY, BULK = 0, 10
MAX_ATTEMPTS = 8
CONFIG_PAUSE_S = 60.0
LEASE = timedelta(minutes=2)
CONCURRENCY = 64
MAX_BATCH = 500
MAX_WAITING = 5_000


@dataclass
class Claimed:
    id: int
    external_id: str
    member_id: int | None
    payload: dict
    attempts: int
    priority: int

    @property
    def order(self) -> tuple[int, int]:
        """Replies before bulk, then oldest first."""
        return self.priority, self.id


class Outbox:
    """Owns delivery for all channels: enqueue rows, run one sender loop per channel."""

    def __init__(self, db: Database, channels: dict[str, Channel], clock: Clock | None = None,
                 retry_base: float = 2.0):
        self.db = db
        self.retry_base = retry_base
        self.channels = channels
        self.clock = clock or Clock()
        self._wake = {code: asyncio.Event() for code in channels}
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._results: list[dict] = []
        self._gone: list[tuple[str, str]] = []  # (channel, external id) that blocked the bot
        self._held: list[int] = []  # rows the platform may not send now
        self._shown: list[Shown] = []  # numbered options shown on channels without buttons

    @staticmethod
    def enqueue(session, channel: str, external_id: str, message: Outbound, *, member_id=None,
                priority: int = REPLY, now=None) -> Delivery:
        """Add one delivery row to the caller's transaction (the caller commits, then calls `wake`)."""
        row = Delivery(channel=channel, external_id=external_id, member_id=member_id, priority=priority,
                       payload=message.to_dict(), created_at=now)
        session.add(row)
        return row

    def wake(self, channel: str) -> None:
        if channel in self._wake:
            self._wake[channel].set()

    async def start(self) -> None:
        await self.requeue_unconfirmed(everything=self.db.is_sqlite)
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run(code), name=f"outbox-{code}") for code in self.channels]
        self._flusher = asyncio.create_task(self._flush_loop(), name="outbox-flush")

    async def stop(self) -> None:
        """Finish the sends in flight and record them; unsent rows stay queued for the next start."""
        self._stopping = True
        for event in self._wake.values():
            event.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flusher
        await self._flush()

    async def requeue_unconfirmed(self, everything: bool) -> int:
        """Put rows claimed by a crashed sender back in the queue (all on SQLite, expired leases on PostgreSQL)."""
        query = update(Delivery).where(Delivery.status == "sending")
        if not everything:
            query = query.where(Delivery.claimed_at < self.clock.now() - LEASE)
        async with self.db.session() as session:
            result = await session.execute(query.values(status="queued", claimed_at=None))
            await session.commit()
        return result.rowcount or 0

    async def _claim(self, code: str, limit: int) -> list[Claimed]:
        now = self.clock.now()
        ready = (
            select(Delivery.id)
            .where(Delivery.channel == code, Delivery.status == "queued")
            .where(or_(Delivery.not_before.is_(None), Delivery.not_before <= now))
            .order_by(Delivery.priority, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(Delivery)
            .where(Delivery.id.in_(ready.scalar_subquery()))
            .values(status="sending", claimed_at=now)
            .returning(Delivery.id, Delivery.external_id, Delivery.member_id, Delivery.payload,
                       Delivery.attempts, Delivery.priority)
        )
        async with self.db.session() as session:
            rows = (await session.execute(claim)).all()
            await session.commit()
        claimed = [Claimed(r.id, r.external_id, r.member_id, r.payload, r.attempts, r.priority) for r in rows]
        return sorted(claimed, key=lambda row: row.order)

    async def _run(self, code: str) -> None:
        channel, pacer = self.channels[code], Pacer(self.channels[code])
        batch = max(1, min(MAX_BATCH, int(channel.limits.per_second / 2)))
        waiting: list[tuple[float, tuple[int, int], Claimed]] = []  # rows whose chat must wait, by ready time
        inflight: set[asyncio.Task] = set()
        slots = asyncio.Semaphore(CONCURRENCY)
        try:
            while not self._stopping:
                self._wake[code].clear()
                rows = self._ready(waiting)
                if len(waiting) < MAX_WAITING:
                    rows += await self._claim(code, batch)
                if not rows:
                    await self._idle(code, waiting)
                    continue
                for index, row in enumerate(rows):
                    if self._stopping or (index and self._wake[code].is_set()):
                        await self._release(rows[index:])
                        break
                    wait = pacer.chat_wait(row.external_id)
                    if wait > 0:
                        heapq.heappush(waiting, (time.monotonic() + wait, row.order, row))
                        continue
                    await pacer.take(row.external_id)
                    await slots.acquire()
                    task = asyncio.create_task(self._send(channel, pacer, row))
                    inflight.add(task)
                    task.add_done_callback(lambda t: (inflight.discard(t), slots.release()))
        finally:
            await asyncio.gather(*inflight, return_exceptions=True)
            await self._release([row for _, _, row in waiting])

    @staticmethod
    def _ready(waiting: list) -> list[Claimed]:
        """Rows held for their chat's interval whose time has come, oldest first."""
        now, rows = time.monotonic(), []
        while waiting and waiting[0][0] <= now:
            rows.append(heapq.heappop(waiting)[2])
        return sorted(rows, key=lambda row: row.order)

    async def _idle(self, code: str, waiting: list) -> None:
        timeout = 0.5 if not waiting else max(0.0, min(0.5, waiting[0][0] - time.monotonic()))
        try:
            await asyncio.wait_for(self._wake[code].wait(), timeout=timeout)
        except TimeoutError:
            pass

    async def _release(self, rows: list[Claimed]) -> None:
        """Give claimed rows back to the queue (a reply jumped ahead, or we are stopping)."""
        for row in rows:
            self._results.append({"id": row.id, "status": "queued", "claimed_at": None})
        await self._flush()

    async def _send(self, channel: Channel, pacer: Pacer, row: Claimed) -> None:
        message = Outbound.from_dict(row.payload)
        labels = None
        if message.buttons and not channel.supports_buttons:
            labels = [b.label for b in message.all_buttons()]
            message, options = message.numbered()
        try:
            message_id = await channel.send(row.external_id, message)
        except SendError as exc:
            self._record_failure(channel, pacer, row, exc)
        except Exception as exc:  # a bug in an adapter must not stop delivery
            log.exception("channel %s raised while sending delivery %s", channel.code, row.id)
            self._record_failure(channel, pacer, row, SendError(Failure.RETRYABLE, type(exc).__name__))
        else:
            self._results.append({"id": row.id, "status": "sent", "sent_at": self.clock.now(),
                                  "platform_message_id": message_id, "attempts": row.attempts + 1,
                                  "error": None})
            if labels is not None:
                shown = Shown(channel.code, row.external_id, options, labels_of(options, labels), self.clock.now())
                self._shown.append(shown)

    def _record_failure(self, channel: Channel, pacer: Pacer, row: Claimed, exc: SendError) -> None:
        now, attempts = self.clock.now(), row.attempts + 1
        result = {"id": row.id, "attempts": attempts, "error": str(exc)[:300], "claimed_at": None}
        if exc.failure is Failure.THROTTLED:
            wait = exc.retry_after or 1.0
            pacer.pause(wait)
            result |= {"status": "queued", "attempts": row.attempts, "not_before": now + timedelta(seconds=wait)}
        elif exc.failure is Failure.RETRYABLE and attempts < MAX_ATTEMPTS:
            backoff = min(300.0, self.retry_base * 2.0 ** (attempts - 1)) * random.uniform(0.8, 1.2)
            result |= {"status": "queued", "not_before": now + timedelta(seconds=backoff)}
        elif exc.failure is Failure.CONFIG:
            log.error("channel %s is misconfigured (%s); pausing it", channel.code, exc.detail)
            pacer.pause(CONFIG_PAUSE_S)
            result |= {"status": "queued", "attempts": row.attempts,
                       "not_before": now + timedelta(seconds=CONFIG_PAUSE_S)}
        elif exc.failure is Failure.GONE:
            result |= {"status": "unreachable"}
            self._gone.append((channel.code, row.external_id))
        elif exc.failure is Failure.OUT_OF_WINDOW:
            result |= {"status": "held", "attempts": row.attempts}
            self._held.append(row.id)
        else:
            result |= {"status": "failed"}
        self._results.append(result)

    async def _flush_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.05)
            try:
                await self._flush()
            except Exception:
                log.exception("could not record delivery outcomes; will retry")

    async def _flush(self) -> None:
        """Write collected outcomes, and what they change elsewhere, in one transaction."""
        taken = self._results, self._gone, self._held, self._shown
        if not any(taken):
            return
        self._results, self._gone, self._held, self._shown = [], [], [], []
        try:
            await self._write(*taken)
        except BaseException:  # keep them for the next flush
            for pending, items in zip((self._results, self._gone, self._held, self._shown), taken, strict=True):
                pending[:0] = items
            raise

    async def _write(self, results: list[dict], gone: list, held: list[int], shown: list[Shown]) -> None:
        async with self.db.session() as session:
            for group in _group_by_keys(results).values():
                params = [{"row_id": item["id"], **{k: v for k, v in item.items() if k != "id"}} for item in group]
                await session.execute(_update_by_id(requeue=group[0]["status"] == "queued"), params)
            await mark_unreachable(session, gone)
            if held:
                await reroute_held(session, held, set(self.channels))
            await remember_options(session, shown)
            await session.commit()
        if held:  # rerouted copies wait on other channels
            for code in self.channels:
                self.wake(code)


def _group_by_keys(results: list[dict]) -> dict[tuple, list[dict]]:
    """One executemany needs the same keys (and the same kind of outcome) in every dict."""
    groups: dict[tuple, list[dict]] = {}
    for item in results:
        groups.setdefault((*sorted(item), item["status"] == "queued"), []).append(item)
    return groups


def _update_by_id(requeue: bool):
    """UPDATE … SET <the dict's columns> WHERE id = :row_id; back to the queue only while still `sending`."""
    table = Delivery.__table__
    query = update(table).where(table.c.id == bindparam("row_id"))
    return query.where(table.c.status == "sending") if requeue else query
