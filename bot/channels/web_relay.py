"""How a web chat message reaches the process that holds the chat's socket, or waits for the chat to come back.

One process (SQLite, or a bare channel): `Backlog` pushes a message to the chat's open sockets in this
process, or keeps it in memory for the chat's next connection. Several processes on one PostgreSQL:
`Relay` stores every message in `web_frame` and announces it with NOTIFY on `cdsbot_web` (the payload is
the chat id, never the text); whichever process holds one of the chat's sockets takes the chat's waiting
messages, in order, under row locks (each message is taken once), and sends them. A chat with no socket
anywhere keeps its messages until it connects again, to any process. Two tabs of one chat served by two
processes each get the messages their process took.
"""

import asyncio
import contextlib
import logging
import weakref
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import delete, select, text

from bot.clock import Clock
from bot.db.listen import Listener
from bot.db.session import Database
from bot.db.shared import WebFrame

log = logging.getLogger(__name__)

Push = Callable[[str, dict], Awaitable[bool]]  # (chat, frame) -> whether an open socket of the chat took it
BACKLOG_PER_CHAT = 50
BACKLOG_CHATS = 1000
NOTIFY_CHANNEL = "cdsbot_web"
KEEP = timedelta(days=7)  # messages a chat has not come back for in this long are deleted
PRUNE_EVERY = timedelta(hours=1)
BATCH = 50
CHECK_S = 10.0  # how often the listening connection is checked (and reopened if it was lost)


class Backlog:
    """One process: straight to the open sockets, or kept in memory (a few per chat) until the chat connects."""

    def __init__(self, push: Push):
        self.push = push
        self._kept: OrderedDict[str, deque[dict]] = OrderedDict()

    async def start(self) -> None:
        """Nothing to start: the sockets are this process's."""

    async def stop(self) -> None:
        """Nothing to stop; what is kept stays kept while the process runs."""

    async def deliver(self, chat: str, frame: dict) -> None:
        """Push to the chat's sockets; if none took it, keep it (the oldest idle chat's are dropped first)."""
        if await self.push(chat, frame):
            return
        queue = self._kept.pop(chat, None) or deque(maxlen=BACKLOG_PER_CHAT)
        queue.append(frame)
        self._kept[chat] = queue  # re-inserted last
        while len(self._kept) > BACKLOG_CHATS:
            self._kept.popitem(last=False)

    async def opened(self, chat: str, ws: web.WebSocketResponse, register: Callable[[], None]) -> bool | None:
        """Send what was kept to the new socket, then register it; whether anything was kept, None if it dropped."""
        kept = chat in self._kept
        while queue := self._kept.pop(chat, None):
            while queue:
                try:
                    await ws.send_json(queue[0])
                except (ConnectionError, RuntimeError):  # dropped mid-flush: keep the rest for next time
                    queue.extend(self._kept.pop(chat, ()))
                    self._kept[chat] = queue
                    return None
                queue.popleft()
        register()  # no await since the last empty pop, so no message can slip in between
        return kept


class Relay:
    """Several processes on PostgreSQL: messages go through `web_frame` and NOTIFY (see the module docstring)."""

    def __init__(self, db: Database, push: Push, sockets: Mapping[str, object], clock: Clock | None = None):
        self.db = db
        self.push = push
        self.sockets = sockets  # chat -> its open sockets in this process (the channel's)
        self.clock = clock or Clock()
        self._listener = Listener(db, NOTIFY_CHANNEL, self._heard)
        self._chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task] = set()
        self._keeper: asyncio.Task | None = None
        self._pruned: datetime | None = None

    async def start(self) -> None:
        """LISTEN, and keep listening (a lost connection is reopened, then every held chat is looked at)."""
        await self._listener.open()
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep(), name="web-relay-keep")

    async def stop(self) -> None:
        """Stop listening; messages not taken yet wait in the table for the chats' next connection."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        await self._listener.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def deliver(self, chat: str, frame: dict) -> None:
        """Store the message and announce it; the process holding the chat's socket (maybe this one) sends it."""
        now = self.clock.now()
        async with self.db.session() as session:
            if self._pruned is None or now - self._pruned >= PRUNE_EVERY:
                self._pruned = now
                await session.execute(delete(WebFrame).where(WebFrame.created_at < now - KEEP))
            session.add(WebFrame(chat=chat, frame=frame, created_at=now))
            await session.execute(text("SELECT pg_notify(:name, :chat)"), {"name": NOTIFY_CHANNEL, "chat": chat})
            await session.commit()

    async def opened(self, chat: str, ws: web.WebSocketResponse, register: Callable[[], None]) -> bool | None:
        """Register the socket, then send the chat's waiting messages; whether there were any, None if it dropped."""
        register()  # first: a message stored from now on is announced to a process that holds the chat
        await self._trim(chat)
        sent = await self.drain(chat)
        return None if ws.closed else sent > 0

    async def _trim(self, chat: str) -> None:
        """A chat that comes back gets the newest BACKLOG_PER_CHAT of what waits, as in one process."""
        newest = (select(WebFrame.id).where(WebFrame.chat == chat).order_by(WebFrame.id.desc())
                  .limit(BACKLOG_PER_CHAT).scalar_subquery())
        async with self.db.session() as session:
            await session.execute(delete(WebFrame).where(WebFrame.chat == chat, WebFrame.id.not_in(newest)))
            await session.commit()

    async def drain(self, chat: str) -> int:
        """Take the chat's waiting messages and send them in order; returns how many were sent.

        One drain per chat at a time in this process; across processes the rows' locks decide who sends which."""
        lock = self._chat_locks.setdefault(chat, asyncio.Lock())
        sent = 0
        async with lock:
            while chat in self.sockets:
                taken, more = await self._take(chat)
                sent += taken
                if not more:
                    break
        return sent

    async def _take(self, chat: str) -> tuple[int, bool]:
        """One batch: lock the chat's oldest waiting rows, push them in order, delete those an open socket took.

        Returns how many were sent and whether more may wait (a full batch, all of it sent)."""
        async with self.db.session() as session:
            rows = (await session.execute(
                select(WebFrame.id, WebFrame.frame).where(WebFrame.chat == chat).order_by(WebFrame.id)
                .limit(BATCH).with_for_update(skip_locked=True))).all()
            taken = []
            for row in rows:
                if not await self.push(chat, row.frame):
                    break  # no socket left: the rest wait, in order, for the next connection
                taken.append(row.id)
            if taken:
                await session.execute(delete(WebFrame).where(WebFrame.id.in_(taken)))
            await session.commit()
        return len(taken), len(rows) == BATCH and len(taken) == BATCH

    def _heard(self, chat: str) -> None:
        """A message was stored for `chat`: take it if one of the chat's sockets is here."""
        if chat in self.sockets:
            self._spawn(chat)

    def _spawn(self, chat: str) -> None:
        task = asyncio.create_task(self._drain_logged(chat))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain_logged(self, chat: str) -> None:
        try:
            await self.drain(chat)
        except Exception:
            log.exception("could not send a web chat its waiting messages; they wait for its next connection")

    async def _keep(self) -> None:
        """Reopen a lost listening connection; then every chat held here is looked at (a NOTIFY may be missed)."""
        while True:
            await asyncio.sleep(CHECK_S)
            if await self._listener.alive():
                continue
            try:
                await self._listener.close()
                await self._listener.open()
            except Exception:
                log.warning("could not listen for web chat messages; trying again in %.0fs", CHECK_S)
                continue
            for chat in list(self.sockets):
                self._spawn(chat)
