"""The sender: one loop per channel sends the delivery rows the queue holds.

Rows are claimed in small batches (replies first), paced to the channel's
limits (overall rate and per-chat interval), and their outcome is written
back in batches. Channels only label failures; this module decides:
throttled → wait `retry_after`; retryable → back off; gone → unreachable;
permanent → failed; config → pause the channel; out of window → held
(or sent over another linked channel: see followups).

Several processes may share one PostgreSQL database: each channel is sent by
one of them at a time (see `lead`), which keeps the platform's limits (the web
chat, `one_sender = False`, is sent by every process: its sockets are theirs). A
claimed row's lease is renewed while it is in flight; rows of a sender that
died go back to the queue when another process takes its channel over, or when
their lease runs out (any live process sweeps them). At most the messages in
flight when a sender dies are sent twice. SQLite serves one process: all its
claimed rows go back to the queue when it starts.

Inside the quiet hours (`bulk_from`, the schedule policy's) bulk rows are not
claimed unless their broadcast is urgent: they get a `not_before` at the end of
the quiet hours. Replies always go.

Only `queued` rows are claimed, so a broadcast is paused or cancelled by
moving its rows to `paused` / `cancelled`. A row handed back to the queue
(retry, throttle, release) is written only while it is still `sending`, so
such a move made meanwhile wins; a send that happened is always recorded.
"""

import asyncio
import contextlib
import heapq
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import Channel, Failure, SendError
from bot.clock import Clock
from bot.core.messages import Outbound
from bot.db.session import Database
from bot.delivery import queue
from bot.delivery.deadletters import record_delivery_failure
from bot.delivery.followups import Shown, labels_of, mark_unreachable, remember_options, reroute_held
from bot.delivery.lead import Lead
from bot.delivery.pacing import Pacer, Send
from bot.delivery.queue import EVERY_CHANNEL, LEASE
from bot.delivery.states import State

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CONFIG_PAUSE_S = 60.0
KEEP_S = 1.0  # how often a process tries to take over channels without a sender
RENEW_S = 5.0  # how often leases of rows in flight are renewed (well within LEASE)
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
    """Sends the queue's rows: one loop per channel this process is the sender of."""

    def __init__(self, db: Database, channels: dict[str, Channel], clock: Clock | None = None,
                 retry_base: float = 2.0, bulk_from: Callable[[datetime], datetime] | None = None,
                 elect: bool = True):
        self.db = db
        self.bulk_from = bulk_from  # when bulk due at a moment may go: the end of the quiet hours it falls in
        self.retry_base = retry_base
        self.channels = channels
        self.clock = clock or Clock()
        self._wake = {code: asyncio.Event() for code in channels}
        self._runs: dict[str, asyncio.Task] = {}  # channel → its sender loop, while this process sends it
        self._halted: set[str] = set()  # channels whose loops must stop (the lead was lost)
        self._elected = [] if db.is_sqlite else [code for code, channel in channels.items() if channel.one_sender]
        # PostgreSQL: one sender per channel; `elect=False` (a `--role web` process) never becomes one
        self._lead = Lead(db, self.wake) if self._elected and elect else None
        self._idle_s = 0.5 if db.is_sqlite else 2.0  # polling is the fallback: NOTIFY wakes PostgreSQL senders
        self._stopping = False
        self._stop = asyncio.Event()
        self._results: list[dict] = []
        self._claimed: set[int] = set()  # rows claimed here and not yet done: their leases are renewed
        self._gone: list[tuple[str, str]] = []  # (channel, external id) that blocked the bot
        self._held: list[int] = []  # rows the platform may not send now
        self._shown: list[Shown] = []  # numbered options shown on channels without buttons

    @property
    def sending(self) -> list[str]:
        """The channels this process is the sender of now."""
        return sorted(self._runs)

    def sender_locks(self) -> dict[str, bool]:
        """Each channel with one sender at a time: whether this process is it now (on SQLite, always)."""
        return {code: code in self._runs for code, channel in self.channels.items() if channel.one_sender}

    def wake(self, channel: str) -> None:
        """New rows wait on `channel` (or on every channel: `*`)."""
        for code in (self._wake if channel == EVERY_CHANNEL else [channel]):
            if code in self._wake:
                self._wake[code].set()

    async def start(self) -> None:
        """SQLite: send every channel at once; PostgreSQL: take the channels that have no sender yet."""
        self._stopping = False
        self._stop.clear()
        if self.db.is_sqlite:
            await self.requeue_unconfirmed()
        for code in self.channels:
            if code not in self._elected:
                self._begin(code)
        if self._lead is not None:
            await self._keep_once()
        self._flusher = asyncio.create_task(self._flush_loop(), name="outbox-flush")
        self._keeper = asyncio.create_task(self._keep(), name="outbox-keep")

    async def stop(self) -> None:
        """Finish the sends in flight and record them; unsent rows stay queued for the next start."""
        self._stopping = True
        self._stop.set()
        self.wake(EVERY_CHANNEL)
        await self._keeper
        await asyncio.gather(*self._runs.values(), return_exceptions=True)
        self._runs.clear()
        await self._flusher
        await self._flush()
        if self._lead is not None:
            await self._lead.close()

    async def requeue_unconfirmed(self) -> int:
        """Put every claimed row back in the queue: on SQLite, the only process that claims is starting."""
        async with self.db.session() as session:
            count = await queue.requeue(session)
            await session.commit()
        return count

    def _begin(self, code: str) -> None:
        self._runs[code] = asyncio.create_task(self._run(code), name=f"outbox-{code}")

    async def _keep(self) -> None:
        """Keep the leases of rows in flight, sweep dead senders' rows, and (PostgreSQL) take over channels."""
        renewed = time.monotonic()
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=KEEP_S)
            if self._stopping:
                return
            try:
                if time.monotonic() - renewed >= RENEW_S:
                    await self._renew_and_sweep()
                    renewed = time.monotonic()
                if self._lead is not None:
                    await self._keep_once()
            except Exception:
                log.warning("could not keep the delivery leases; trying again", exc_info=True)
                if self._lead is not None and not await self._lead.alive():
                    await self._lose_lead()

    async def _keep_once(self) -> None:
        """Become the sender of each channel that has none; first requeue what its last sender had claimed."""
        await self._lead.open()
        if set(self._runs) & set(self._elected) and not await self._lead.alive():
            raise ConnectionError("the connection holding the sender locks is gone")
        for code in self._elected:
            if code not in self._runs and await self._lead.take(code):
                async with self.db.session() as session:
                    taken = await queue.requeue(session, channel=code)
                    await session.commit()
                log.info("sending on %s from this process (%d rows of a previous sender requeued)", code, taken)
                self._begin(code)

    async def _lose_lead(self) -> None:
        """The lock connection died: stop sending (another process takes over) and try to lead again later."""
        lost = [code for code in self._runs if code in self._elected]
        log.warning("lost the sender locks of %s; another process takes over", ", ".join(lost) or "nothing")
        self._halted |= set(lost)
        self.wake(EVERY_CHANNEL)
        await asyncio.gather(*(self._runs.pop(code) for code in lost), return_exceptions=True)
        self._halted.clear()
        await self._lead.close()

    async def _renew_and_sweep(self) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            await queue.renew(session, list(self._claimed), now)
            swept = await queue.requeue(session, claimed_before=now - LEASE)
            await session.commit()
        if swept:
            log.warning("%d claimed rows had lost their sender; back in the queue", swept)

    async def _claim(self, code: str, limit: int) -> list[Claimed]:
        now = self.clock.now()
        morning = self.bulk_from(now) if self.bulk_from else now
        async with self.db.session() as session:
            if morning > now:  # the quiet hours: bulk waits for their end, unless its broadcast is urgent
                await queue.hold_for_morning(session, code, morning)
            rows = (await session.execute(queue.claim_statement(code, limit, now, quiet=morning > now))).all()
            await session.commit()
        claimed = [Claimed(r.id, r.external_id, r.member_id, r.payload, r.attempts, r.priority) for r in rows]
        self._claimed.update(row.id for row in claimed)
        return sorted(claimed, key=lambda row: row.order)

    async def _run(self, code: str) -> None:
        channel, pacer = self.channels[code], Pacer(self.channels[code])
        batch = max(1, min(MAX_BATCH, int(channel.limits.per_second / 2)))
        waiting: list[tuple[float, tuple[int, int], Claimed]] = []  # rows whose chat must wait, by ready time
        inflight: set[asyncio.Task] = set()
        slots = asyncio.Semaphore(CONCURRENCY)
        try:
            while not self._stopping and code not in self._halted:
                self._wake[code].clear()
                rows = self._ready(waiting)
                if len(waiting) < MAX_WAITING:
                    rows += await self._claim(code, batch)
                if not rows:
                    await self._idle(code, waiting)
                    continue
                for index, row in enumerate(rows):
                    if self._stopping or code in self._halted or (index and self._wake[code].is_set()):
                        await self._release(rows[index:])
                        break
                    wait = pacer.chat_wait(row.external_id)
                    if wait > 0:
                        heapq.heappush(waiting, (time.monotonic() + wait, row.order, row))
                        continue
                    ticket = await pacer.take(row.external_id)
                    await slots.acquire()
                    task = asyncio.create_task(self._send(channel, pacer, row, ticket))
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
        timeout = self._idle_s if not waiting else max(0.0, min(self._idle_s, waiting[0][0] - time.monotonic()))
        try:
            await asyncio.wait_for(self._wake[code].wait(), timeout=timeout)
        except TimeoutError:
            pass

    async def _release(self, rows: list[Claimed]) -> None:
        """Give claimed rows back to the queue (a reply jumped ahead, or we are stopping)."""
        for row in rows:
            self._done({"id": row.id, "status": State.QUEUED, "claimed_at": None})
        await self._flush()

    async def _send(self, channel: Channel, pacer: Pacer, row: Claimed, ticket: Send) -> None:
        labels = None
        try:
            message = Outbound.from_dict(row.payload)
            if message.buttons and not channel.supports_buttons:
                labels = [b.label for b in message.all_buttons()]
                message, options = message.numbered()
            try:
                message_id = await channel.send(row.external_id, message)
            finally:
                pacer.answered(ticket)  # when the platform counted it, at the latest: paces the send a second later
        except SendError as exc:
            self._record_failure(channel, pacer, row, exc)
        except Exception as exc:  # an unreadable row or an adapter's bug: counted, set aside after a few (dead letter)
            log.exception("channel %s raised while sending delivery %s", channel.code, row.id)
            await record_delivery_failure(self.db, row.id, exc, self.clock.now())
            self._record_failure(channel, pacer, row, SendError(Failure.RETRYABLE, type(exc).__name__))
        else:
            self._done({"id": row.id, "status": State.SENT, "sent_at": self.clock.now(),
                        "platform_message_id": message_id, "attempts": row.attempts + 1, "error": None})
            if labels is not None:
                shown = Shown(channel.code, row.external_id, options, labels_of(options, labels), self.clock.now())
                self._shown.append(shown)

    def _record_failure(self, channel: Channel, pacer: Pacer, row: Claimed, exc: SendError) -> None:
        now, attempts = self.clock.now(), row.attempts + 1
        result = {"id": row.id, "attempts": attempts, "error": str(exc)[:300], "claimed_at": None}
        if exc.failure is Failure.THROTTLED:
            wait = exc.retry_after or 1.0
            pacer.throttled(wait)
            result |= {"status": State.QUEUED, "attempts": row.attempts, "not_before": now + timedelta(seconds=wait)}
        elif exc.failure is Failure.RETRYABLE and attempts < MAX_ATTEMPTS:
            backoff = min(300.0, self.retry_base * 2.0 ** (attempts - 1)) * random.uniform(0.8, 1.2)
            result |= {"status": State.QUEUED, "not_before": now + timedelta(seconds=backoff)}
        elif exc.failure is Failure.CONFIG:
            log.error("channel %s is misconfigured (%s); pausing it", channel.code, exc.detail)
            pacer.pause(CONFIG_PAUSE_S)
            result |= {"status": State.QUEUED, "attempts": row.attempts,
                       "not_before": now + timedelta(seconds=CONFIG_PAUSE_S)}
        elif exc.failure is Failure.GONE:
            result |= {"status": State.UNREACHABLE}
            self._gone.append((channel.code, row.external_id))
        elif exc.failure is Failure.OUT_OF_WINDOW:
            result |= {"status": State.HELD, "attempts": row.attempts}
            self._held.append(row.id)
        else:
            result |= {"status": State.FAILED}
        self._done(result)

    def _done(self, result: dict) -> None:
        """A claimed row's outcome, written at the next flush; its lease needs no renewal any more."""
        self._claimed.discard(result["id"])
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
            await queue.record(session, results)
            await mark_unreachable(session, gone)
            if held:
                await reroute_held(session, held, set(self.channels))
            await remember_options(session, shown)
            await session.commit()
        if held:  # rerouted copies wait on other channels
            self.wake(EVERY_CHANNEL)
