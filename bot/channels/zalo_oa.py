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
import json
import logging
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.base import Channel, Failure, InboundSink, Limits, SendError
from bot.channels.http import LazySession
from bot.channels.zalo_oa_send import PAYLOAD_PREFIX, OASender
from bot.channels.zalo_tokens import ZaloTokens
from bot.clock import Clock
from bot.core.messages import Inbound, Outbound
from bot.db.session import Database
from bot.db.zalo import ZaloEvent, ZaloOAUser

log = logging.getLogger(__name__)

CODE = "zalo_oa"
WEBHOOK_PATH = "/webhooks/zalo_oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
WORKERS = 4  # events of one user always go to the same worker, so they stay in order
TOKEN_CHECK_S = 3600
CS_WINDOW = timedelta(days=7)
# Events that count as the member interacting with the OA (the 7-day window starts again).
INTERACTIONS = ("user_send_", "follow", "user_submit_info", "user_click_chatnow", "user_reacted_message")


def mac(app_or_oa_id: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's webhook MAC: plain SHA-256 (not HMAC) of id + exact body bytes + timestamp + secret."""
    return hashlib.sha256(app_or_oa_id.encode() + raw_body + timestamp.encode() + secret.encode()).hexdigest()


def event_key(event: dict, raw_body: bytes) -> str:
    """Re-deliveries share the key: the event name and msg_id when there is one, else the body's hash."""
    msg_id = (event.get("message") or {}).get("msg_id") if isinstance(event.get("message"), dict) else None
    if msg_id:
        return f"{event['event_name']}:{msg_id}"[:160]
    return "sha256:" + hashlib.sha256(raw_body).hexdigest()


def user_id(event: dict) -> str | None:
    """The member's OA-scoped id, wherever this kind of event keeps it."""
    for holder in (event.get("sender"), event.get("follower")):
        if isinstance(holder, dict) and holder.get("id"):
            return str(holder["id"])
    return str(event["user_id"]) if event.get("user_id") else None


def event_time(event: dict) -> datetime | None:
    """Zalo's event time (epoch milliseconds, usually a string), or None when absent or unreadable."""
    try:
        return datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def to_inbound(event: dict, key: str) -> Inbound | None:
    """Translate one stored event; None for events the core does not handle (echoes, seen receipts…)."""
    name, uid = event.get("event_name", ""), user_id(event)
    if uid is None or not (name.startswith("user_send_") or name in ("follow", "unfollow")):
        return None
    message = event.get("message") or {}
    common = {"channel": CODE, "external_id": uid, "message_id": message.get("msg_id") or key}
    if (at := event_time(event)) is not None:
        common["received_at"] = at
    if name == "follow":
        return Inbound(**common, event="unblocked")
    if name == "unfollow":
        return Inbound(**common, event="blocked")
    if name == "user_send_text":
        text = message.get("text") or ""
        if text.startswith(PAYLOAD_PREFIX):  # a tap on one of our oa.query buttons
            return Inbound(**common, payload=text.removeprefix(PAYLOAD_PREFIX))
        return Inbound(**common, text=text)
    if name == "user_send_image":
        images = [a for a in message.get("attachments") or [] if a.get("type") == "image"]
        url = (images[0].get("payload") or {}).get("url") if images else None
        return Inbound(**common, photo=url, text=message.get("text") or None)
    return Inbound(**common)  # sticker, file, voice…: the core answers that it reads text and photos


class ZaloOAChannel(Channel):
    """A Zalo Official Account: signed webhook in, consultation (CS) messages out."""

    code = CODE
    supports_buttons = True
    limits = Limits(per_second=30, chat_interval=0.2)  # Zalo quotes 4,000 requests/min per OA; half of that

    def __init__(self, db: Database, app_id: str, app_secret: str, oa_id: str = "", oa_secret_key: str = "",
                 *, mac_id: str = "app_id", mac_secret: str = "oa_secret_key", mac_timestamp: str = "body",
                 api_url: str = "https://openapi.zalo.me", oauth_url: str = "https://oauth.zaloapp.com",
                 access_token: str = "", refresh_token: str = "", clock: Clock | None = None,
                 timeout: float = 10.0):
        if mac_id not in ("app_id", "oa_id") or mac_secret not in ("oa_secret_key", "app_secret") \
                or mac_timestamp not in ("body", "header"):
            raise ValueError("zalo_oa MAC settings: id app_id|oa_id, secret oa_secret_key|app_secret, "
                             "timestamp body|header")
        self.db = db
        self.clock = clock or Clock()
        self._mac_id = app_id if mac_id == "app_id" else oa_id
        self._mac_secret = oa_secret_key if mac_secret == "oa_secret_key" else app_secret
        self._mac_timestamp = mac_timestamp
        self.tokens = ZaloTokens(db, app_id, app_secret, oauth_url, access_token, refresh_token, self.clock)
        self.sender = OASender(api_url, self.tokens, self.clock)
        self._client = LazySession(timeout)
        self._sink: InboundSink | None = None
        self._queues: list[asyncio.Queue] = []
        self._tasks: list[asyncio.Task] = []

    def setup_routes(self, app: web.Application) -> None:
        """Zalo posts every OA event to /webhooks/zalo_oa."""
        app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def start(self, sink: InboundSink) -> None:
        """Start the workers, queue every stored event not yet processed, check the token hourly."""
        self._sink = sink
        self._queues = [asyncio.Queue() for _ in range(WORKERS)]
        self._tasks = [asyncio.create_task(self._work(q), name=f"zalo_oa-events-{n}")
                       for n, q in enumerate(self._queues)]
        self._tasks.append(asyncio.create_task(self._keep_token_fresh(), name="zalo_oa-token"))
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
        """Check the MAC, store the event once, answer 200 at once; processing happens after."""
        given = request.headers.get(SIGNATURE_HEADER, "").strip().removeprefix("mac=").lower()
        if not given:
            raise web.HTTPUnauthorized()
        raw = await request.read()
        try:
            event = json.loads(raw)
        except ValueError:
            raise web.HTTPBadRequest() from None
        if not isinstance(event, dict) or not isinstance(event.get("event_name"), str):
            raise web.HTTPBadRequest()
        timestamp = str(event.get("timestamp", "")) if self._mac_timestamp == "body" \
            else request.headers.get(TIMESTAMP_HEADER, "")
        if not hmac.compare_digest(given.encode(), mac(self._mac_id, raw, timestamp, self._mac_secret).encode()):
            log.warning("zalo_oa webhook with a wrong signature rejected")
            raise web.HTTPUnauthorized()
        event_id = await self._store(event, raw)
        if event_id is not None and self._sink is not None:
            self._enqueue(event_id, event)
        return web.Response(text="ok")

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
        uid = user_id(event) or ""
        self._queues[int(hashlib.sha1(uid.encode()).hexdigest(), 16) % WORKERS].put_nowait(event_id)

    async def _work(self, queue: asyncio.Queue) -> None:
        while True:
            event_id = await queue.get()
            try:
                await self._process(event_id)
            except Exception:  # keep the worker alive; the event stays unprocessed for the next start
                log.exception("zalo_oa event %s was not processed", event_id)
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

    async def _keep_token_fresh(self) -> None:
        """Refresh ahead of expiry even when nothing is being sent."""
        while True:
            try:
                await self.tokens.access_token(self.http)
            except Exception as exc:
                log.warning("zalo_oa token check failed: %s", exc)
            await asyncio.sleep(TOKEN_CHECK_S)
