"""Zalo Official Account adapter: signed webhook events become `Inbound`; sends go through `OASender`.

Zalo wants HTTP 200 within 2 seconds and re-delivers otherwise, so the
webhook only checks the signature, stores the raw event (deduplicated) and
answers; workers process the stored copy. Events never processed (a failure,
a crash) are picked up again on start.
"""

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.http import LazySession, Malformed, read_json
from bot.channels.zalo_oa_events import (
    CODE,
    KEEP_MARGIN,
    REPLAY_WINDOW,
    event_key,
    event_time,
    mac,
    stale,
    to_inbound,
    user_id,
)
from bot.channels.zalo_oa_send import TEXT_LIMIT, OASender
from bot.channels.zalo_tokens import ZaloTokens
from bot.clock import Clock
from bot.config import ConfigError, unverifiable
from bot.core.messages import Outbound
from bot.db.session import Database
from bot.db.zalo import ZaloEvent, ZaloOAUser
from bot.i18n import N_
from bot.services import deadletters

log = logging.getLogger(__name__)

__all__ = ["ZaloOAChannel", "event_key", "mac", "to_inbound", "user_id"]  # tests read the event helpers here

WEBHOOK_PATH = "/webhooks/zalo_oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
WORKERS = 4  # events of one user always go to the same worker, so they stay in order
TOKEN_CHECK_S = 3600
PRUNE_EVERY_S = 3600  # processed events older than KEEP_EVENTS are deleted this often
CS_WINDOW = timedelta(days=7)
MAC_VARIABLES = {"oa_secret_key": "CDSBOT_ZALO_OA_SECRET_KEY", "app_secret": "CDSBOT_ZALO_OA_APP_SECRET",
                 "app_id": "CDSBOT_ZALO_OA_APP_ID", "oa_id": "CDSBOT_ZALO_OA_OA_ID"}
# Events that count as the member interacting with the OA (the 7-day window starts again).
INTERACTIONS = ("user_send_", "follow", "user_submit_info", "user_click_chatnow", "user_reacted_message")


class ZaloOAChannel(Channel):
    """A Zalo Official Account: signed webhook in, consultation (CS) messages out."""

    code = CODE
    name = N_("Zalo OA")
    window = CS_WINDOW
    text_limit = TEXT_LIMIT
    supports_buttons = True
    numbers_options = True  # past five buttons, the rest are numbered lines (zalo_oa_send)
    limits = Limits(per_second=30, chat_interval=0.2)  # Zalo quotes 4,000 requests/min per OA; half of that

    def __init__(self, db: Database, app_id: str, app_secret: str, oa_id: str = "", oa_secret_key: str = "",
                 *, mac_id: str = "app_id", mac_secret: str = "oa_secret_key", mac_timestamp: str = "body",
                 api_url: str = "https://openapi.zalo.me", oauth_url: str = "https://oauth.zaloapp.com",
                 access_token: str = "", refresh_token: str = "", clock: Clock | None = None,
                 timeout: float = 10.0, replay_window: timedelta | None = REPLAY_WINDOW):
        if mac_id not in ("app_id", "oa_id") or mac_secret not in ("oa_secret_key", "app_secret") \
                or mac_timestamp not in ("body", "header"):
            raise ValueError("zalo_oa MAC settings: id app_id|oa_id, secret oa_secret_key|app_secret, "
                             "timestamp body|header")
        self.db = db
        self.clock = clock or Clock()
        self._mac_id = app_id if mac_id == "app_id" else oa_id
        self._mac_secret = oa_secret_key if mac_secret == "oa_secret_key" else app_secret
        for value, variable in ((self._mac_secret, MAC_VARIABLES[mac_secret]), (self._mac_id, MAC_VARIABLES[mac_id])):
            if not value.strip():  # an empty key would let anyone compute a valid MAC
                raise ConfigError(unverifiable(variable, "Zalo OA's webhook events"))
        self._mac_timestamp = mac_timestamp
        self._replay_window = replay_window  # None: events of any age pass (tests replaying old recorded events)
        self.tokens = ZaloTokens(db, app_id, app_secret, oauth_url, access_token, refresh_token, self.clock)
        self.sender = OASender(api_url, self.tokens, self.clock)
        self._client = LazySession(timeout)
        self._sink: InboundSink | None = None
        self._queues: list[asyncio.Queue] = []
        self._tasks: list[asyncio.Task] = []

    def setup_routes(self, app: web.Application) -> None:
        """Zalo posts every OA event to /webhooks/zalo_oa."""
        app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def start(self, sink: InboundSink | None) -> None:
        """Start the workers, queue every stored event not yet processed; hourly, check the token and prune events."""
        self._sink = sink
        if sink is None:  # sending only: stored events wait for the serving process; the token stays fresh
            self._tasks = [asyncio.create_task(self._keep_token_fresh(), name="zalo_oa-token")]
            return
        self._queues = [asyncio.Queue() for _ in range(WORKERS)]
        self._tasks = [asyncio.create_task(self._work(q), name=f"zalo_oa-events-{n}")
                       for n, q in enumerate(self._queues)]
        self._tasks.append(asyncio.create_task(self._keep_token_fresh(), name="zalo_oa-token"))
        self._tasks.append(asyncio.create_task(self._prune_regularly(), name="zalo_oa-prune"))
        async with self.db.session() as session:
            pending = (await session.execute(select(ZaloEvent.id, ZaloEvent.body).where(
                ZaloEvent.processed_at.is_(None)).order_by(ZaloEvent.id))).all()
        for event_id, body in pending:
            self._enqueue(event_id, body)
        if pending:
            log.info("zalo_oa: processing %d stored events left from before", len(pending))

    async def stop(self) -> None:
        """Stop the workers (unprocessed events stay stored for the next start) and close the client."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._sink = [], None
        await self._client.close()

    async def send(self, external_id: str, message: Outbound) -> str | None:
        """A consultation message (see `OASender.send`), only inside the member's 7-day window."""
        if not await self.in_window(external_id):
            raise SendError(Failure.OUT_OF_WINDOW, "no interaction in the last 7 days")
        return await self.sender.send(self.http, external_id, message)

    async def in_window(self, user_id: str) -> bool:
        """Whether the OA may send a consultation message to this user now (interaction ≤ 7 days ago)."""
        async with self.db.session() as session:
            last = await session.scalar(select(ZaloOAUser.last_interaction_at).where(ZaloOAUser.user_id == user_id))
        return last is not None and self.clock.now() - last <= CS_WINDOW

    async def fetch_photo(self, reference: str) -> bytes:
        """Download a member's photo from the URL in the image event."""
        return await self._client.download(reference)

    @property
    def http(self) -> aiohttp.ClientSession:
        return self._client.session

    # -- webhook -------------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Check the MAC and the event's age and shape, store it once, answer 200 at once; processing happens after.

        Unsigned or unreadable calls get a 4xx. A signed event that is stale or malformed gets 200 and is dropped
        with one log line: Zalo re-delivers whatever it got no 200 for, for hours, and no retry would change it."""
        given = request.headers.get(SIGNATURE_HEADER, "").strip().removeprefix("mac=").lower()
        if not given:
            raise web.HTTPUnauthorized()
        raw, event = await read_json(request)  # 413 past the size limit, 400 for bad or too deeply nested JSON
        if not isinstance(event, dict) or not isinstance(event.get("event_name"), str):
            raise web.HTTPBadRequest()
        timestamp = str(event.get("timestamp", "")) if self._mac_timestamp == "body" \
            else request.headers.get(TIMESTAMP_HEADER, "")
        if not hmac.compare_digest(given.encode(), mac(self._mac_id, raw, timestamp, self._mac_secret).encode()):
            log.warning("zalo_oa webhook with a wrong signature rejected")
            raise web.HTTPUnauthorized()
        if (problem := self._refusal(event, timestamp)) is not None:
            log.warning("zalo_oa %r event dropped: %s", event["event_name"][:40], problem)
            return web.Response(text="ok")
        event_id = await self._store(event, raw)
        if event_id is not None and self._sink is not None:
            self._enqueue(event_id, event)
        return web.Response(text="ok")

    def _refusal(self, event: dict, timestamp: str) -> str | None:
        """Why a signed event is not taken (outside the replay window, or not shaped as Zalo sends), else None."""
        if self._replay_window and (why := stale(timestamp, self.clock.now(), self._replay_window)):
            return why
        try:
            to_inbound(event, "")
        except Malformed as exc:
            return f"malformed ({exc})"
        return None

    async def _store(self, event: dict, raw: bytes) -> int | None:
        """Insert the event; None when this key was stored before (a re-delivery)."""
        row = ZaloEvent(event_key=event_key(event, raw), body=event, received_at=self.clock.now())
        async with self.db.session() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                log.info("zalo_oa re-delivered event %s ignored", row.event_key)
                return None
        return row.id

    # -- processing ----------------------------------------------------------------------------

    def _enqueue(self, event_id: int, event: dict) -> None:
        try:
            uid = user_id(event) or ""
        except Malformed:  # stored before events were checked at the door; processing records why it fails
            uid = ""
        self._queues[int(hashlib.sha1(uid.encode()).hexdigest(), 16) % WORKERS].put_nowait(event_id)

    async def _work(self, queue: asyncio.Queue) -> None:
        while True:
            event_id = await queue.get()
            try:
                await self._process(event_id)
            except Exception as exc:  # keep the worker alive; the event stays unprocessed for the next start…
                log.exception("zalo_oa event %s was not processed", event_id)
                # …until it has failed deadletters.MAX_FAILURES times: then it is set aside, never retried alone
                await deadletters.record_failure(self.db, deadletters.ZALO_OA, event_id, exc, self.clock.now())
            finally:
                queue.task_done()

    async def idle(self) -> None:
        """Wait until every queued event has been processed (tests, and callers that need order)."""
        await asyncio.gather(*(queue.join() for queue in self._queues))

    async def _process(self, event_id: int) -> None:
        """Record the contact, hand the Inbound to the core, mark the event done."""
        async with self.db.session() as session:
            row = await session.get(ZaloEvent, event_id)
        if row is None or row.processed_at is not None:
            return
        error = None
        try:
            inbound = to_inbound(row.body, row.event_key)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            inbound, error = None, f"unreadable event: {type(exc).__name__}"
            log.warning("zalo_oa event %s (%s) unreadable", event_id, row.body.get("event_name"))
        if inbound is None and error is None:
            log.info("zalo_oa event %s ignored", row.body.get("event_name"))
        if error is None:
            await self._record_contact(row.body)
        if inbound is not None:
            await self._sink(inbound)
        async with self.db.session() as session:
            await session.execute(update(ZaloEvent).where(ZaloEvent.id == event_id, ZaloEvent.processed_at.is_(None))
                                  .values(processed_at=self.clock.now(), error=error))
            await session.commit()

    async def _record_contact(self, event: dict) -> None:
        """Remember when the member last interacted and whether they follow the OA."""
        name, uid = event.get("event_name", ""), user_id(event)
        if uid is None or not name.startswith(INTERACTIONS + ("unfollow",)):
            return
        async with self.db.session() as session:
            user = await session.get(ZaloOAUser, uid) or ZaloOAUser(user_id=uid)
            if name.startswith(INTERACTIONS):
                at = event_time(event) or self.clock.now()
                user.last_interaction_at = max(filter(None, (user.last_interaction_at, at)))
            if name in ("follow", "unfollow"):
                user.following = name == "follow"
            session.add(user)
            await session.commit()

    async def prune_events(self) -> int:
        """Delete processed events older than the replay window can reach (a replay of them is refused as stale)."""
        cutoff = self.clock.now() - (self._replay_window or REPLAY_WINDOW) - KEEP_MARGIN
        async with self.db.session() as session:
            result = await session.execute(delete(ZaloEvent).where(
                ZaloEvent.processed_at.is_not(None), ZaloEvent.received_at < cutoff,
                ZaloEvent.error.is_distinct_from(deadletters.BURIED)))  # dead letters wait for retry or drop
            await session.commit()
        if result.rowcount:
            log.info("zalo_oa: pruned %d processed events older than %s", result.rowcount, cutoff.isoformat())
        return result.rowcount

    async def _prune_regularly(self) -> None:
        """Prune at start, then hourly; a failure is logged and tried again next time."""
        while True:
            try:
                await self.prune_events()
            except Exception as exc:
                log.warning("zalo_oa: pruning stored events failed: %s", type(exc).__name__)
            await asyncio.sleep(PRUNE_EVERY_S)

    async def _keep_token_fresh(self) -> None:
        """Refresh ahead of expiry even when nothing is being sent."""
        while True:
            try:
                await self.tokens.access_token(self.http)
            except Exception as exc:
                log.warning("zalo_oa token check failed: %s", exc)
            await asyncio.sleep(TOKEN_CHECK_S)
