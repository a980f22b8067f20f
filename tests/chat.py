"""A chat harness: drive the conversation core as a member would, read what they would see."""

import itertools
from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.channels.base import Channel, Limits
from bot.clock import FakeClock
from bot.core.dispatcher import Core
from bot.core.messages import Inbound, Outbound
from bot.db.models import Delivery
from bot.delivery.sender import Outbox
from handlers import build_router
from handlers.menu import show_menu

_ids = itertools.count(1)


class FakeChannel(Channel):
    """A channel with or without buttons; the harness reads replies from the outbox rows."""

    def __init__(self, code: str = "fake", supports_buttons: bool = True, shares_contact: bool = False):
        self.code = code
        self.supports_buttons = supports_buttons
        self.shares_contact = shares_contact
        self.limits = Limits(per_second=1000)
        self.photos: dict[str, bytes] = {}

    async def fetch_photo(self, reference: str) -> bytes:
        if reference not in self.photos:
            raise LookupError(f"no photo {reference!r} on the fake channel")
        return self.photos[reference]


class Harness:
    """One core on a test database, with a fake clock and fake channels."""

    def __init__(self, db, clock: FakeClock | None = None, channels: dict | None = None):
        self.db = db
        self.clock = clock or FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
        self.channels = channels or {"fake": FakeChannel(shares_contact=True),
                                     "plain": FakeChannel("plain", supports_buttons=False)}
        self.core = self.build_core()

    def build_core(self) -> Core:
        """A fresh core, as after a restart: nothing carried over but the database."""
        outbox = Outbox(self.db, self.channels, self.clock)
        return Core(self.db, build_router(), outbox, self.channels, self.clock, "vi", show_menu)

    def chat(self, external_id: str, channel: str = "fake") -> "Chat":
        return Chat(self, channel, external_id)


class Chat:
    """One member's chat: send text, tap buttons, see the replies."""

    def __init__(self, harness: Harness, channel: str, external_id: str):
        self.harness = harness
        self.channel = channel
        self.external_id = external_id
        self.username: str | None = None  # the @name the platform reports with each message (Telegram)
        self.last: list[Outbound] = []

    async def send(self, text: str | None = None, *, payload: str | None = None, contact: str | None = None,
                   photo: str | None = None, message_id: str | None = None, event: str | None = None) -> list[Outbound]:
        inbound = Inbound(self.channel, self.external_id, text=text, payload=payload, contact_phone=contact,
                          photo=photo, message_id=message_id or f"m{next(_ids)}", event=event,
                          username=self.username, received_at=self.harness.clock.now())
        await self.harness.core.handle(inbound)
        self.last = await self.replies()
        return self.last

    async def tap(self, payload: str) -> list[Outbound]:
        """Tap a button shown in the last replies (fails if no such button was shown)."""
        shown = [b.payload for m in self.last for b in m.all_buttons()]
        assert payload in shown, f"no button {payload!r} in {shown}"
        return await self.send(payload=payload)

    async def replies(self) -> list[Outbound]:
        """Replies queued for this chat since the last look, marked as delivered."""
        async with self.harness.db.session() as session:
            rows = (await session.execute(
                select(Delivery).where(Delivery.channel == self.channel, Delivery.external_id == self.external_id,
                                       Delivery.status == "queued").order_by(Delivery.id)
            )).scalars().all()
            await session.execute(update(Delivery).where(Delivery.id.in_([r.id for r in rows])).values(status="sent"))
            await session.commit()
        messages = [Outbound.from_dict(r.payload) for r in rows]
        if not self.harness.channels[self.channel].supports_buttons:  # as the outbox sends them
            messages = [m.numbered()[0] for m in messages]
        return messages

    @property
    def text(self) -> str:
        return "\n---\n".join(m.text for m in self.last)

    def number_of(self, label: str) -> str:
        """The number shown before an option containing `label` (channels without buttons)."""
        for line in self.text.splitlines():
            number, _, rest = line.partition(". ")
            if number.isdigit() and label in rest:
                return number
        raise AssertionError(f"no numbered option {label!r} in {self.text!r}")

    @property
    def payloads(self) -> list[str]:
        return [b.payload for m in self.last for b in m.all_buttons()]
