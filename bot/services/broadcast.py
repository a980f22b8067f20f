"""Broadcasts: choose an audience in the tree, preview it, expand it into outbox rows, steer and report.

Expansion is one `INSERT … SELECT` over member ⨝ channel_account ⨝ team ⨝
org_unit with the payload picked per row by the member's locale, and
`ON CONFLICT DO NOTHING` on (broadcast, member, channel): a double click, a
retry or a crash mid-way never queues anything twice. Pause, resume and
cancel only move delivery statuses; the outbox claims nothing but `queued`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import JSON, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import registry
from bot.core.messages import Button, Outbound
from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.db.types import UtcDateTime
from bot.db.zalo import ZaloOAUser
from bot.delivery import queue
from bot.delivery.states import BULK, UNSENT, State
from bot.i18n import LOCALES, N_, Translator
from bot.services import access
from bot.services.access import Action, Actor, Role
from bot.services.org import in_subtree, live
from bot.services.unit_kinds import Level, known_kinds, levels

PHOTO_LIMIT = 10 * 2**20  # Telegram's sendPhoto limit
OPEN_GUIDE, RECEIVED, NEED_HELP = N_("📖 Open the guide"), N_("✅ Received"), N_("❓ I need help")


class NotAllowed(PermissionError):
    """The sender may not do this: not an officer/admin, or the audience reaches outside their subtree."""


class BadAudience(ValueError):
    """An audience names an unknown unit, level, role or language."""


@dataclass
class Audience:
    """Who gets a broadcast; empty lists mean no restriction (inside the sender's subtree)."""

    units: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    scope: str | None = None  # the sender's subtree (unit code); None = the whole tree
    channels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"units": self.units, "levels": self.levels, "roles": self.roles, "langs": self.langs,
                "scope": self.scope, "channels": self.channels}


@dataclass
class Preview:
    """What a broadcast would do: members, deliveries per channel, seconds per channel at its rate."""

    members: int
    deliveries: dict[str, int]
    seconds: dict[str, float]

    @property
    def total_seconds(self) -> float:
        """Channels send in parallel, so the slowest one sets the time."""
        return max(self.seconds.values(), default=0.0)


async def sender_actor(session: AsyncSession, sender: Member | None) -> Actor | None:
    """The sender as the access rule sees them (None: the CLI or a schedule, the whole tree); refuses non-senders."""
    if sender is None:
        return None
    actor = await access.actor_for_member(session, sender)
    if not access.can(actor, Action.BROADCAST):
        raise NotAllowed("only officers and admins send broadcasts")
    return actor


async def scope_of(session: AsyncSession, actor: Actor | None) -> OrgUnit | None:
    """The unit whose subtree a sender may address; None for the whole tree (admins, the CLI)."""
    if actor is None or actor.whole_tree:
        return None
    return (await session.execute(select(OrgUnit).where(OrgUnit.path == actor.scope_path))).scalar_one()


async def levels_in(session: AsyncSession, actor: Actor | None) -> list[Level]:
    """The levels of the sender's live subtree, top first: the ones worth offering (no "districts" after 2025)."""
    return await levels(session, await scope_of(session, actor))


async def resolve(session: AsyncSession, audience: Audience, actor: Actor | None) -> Audience:
    """Check an audience against the sender's scope (None: the whole tree); returns it with the scope recorded."""
    kinds = await known_kinds(session)  # kinds.yaml's and the roster's: one the tree lacks matches nobody
    for values, allowed, what in ((audience.levels, kinds, "level"), (audience.roles, tuple(Role), "role"),
                                  (audience.langs, LOCALES, "language"),
                                  (audience.channels, tuple(registry.channels()), "channel")):
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise BadAudience(f"unknown {what}: {', '.join(unknown)}")
    units = await _units(session, audience.units)
    if actor is not None and not all(access.may(actor, Action.BROADCAST, path)
                                     for path in [u.path for u in units] or [actor.scope_path]):
        raise NotAllowed("the audience reaches outside your part of the tree")
    scope = await scope_of(session, actor)
    return Audience(list(audience.units), list(audience.levels), list(audience.roles), list(audience.langs),
                    scope.code if scope is not None else None, list(audience.channels))


async def _units(session: AsyncSession, codes: list[str]) -> list[OrgUnit]:
    found = {u.code: u for u in (await session.execute(select(OrgUnit).where(OrgUnit.code.in_(codes)))).scalars()}
    missing = [code for code in codes if code not in found]
    if missing:
        raise BadAudience(f"no unit with code {', '.join(missing)}")
    return [found[code] for code in codes]


async def _where(session: AsyncSession, audience: Audience) -> list:
    """Filters on member ⨝ channel_account ⨝ team ⨝ org_unit for a resolved audience."""
    where = [~Member.opted_out, ~ChannelAccount.unreachable, live()]  # a retired unit's team gets nothing
    if audience.scope is not None:
        [scope] = await _units(session, [audience.scope])
        where.append(in_subtree(scope))
    if audience.units:
        where.append(or_(*(in_subtree(u) for u in await _units(session, audience.units))))
    for column, values in ((OrgUnit.kind, audience.levels), (Member.role, audience.roles),
                           (Member.locale, audience.langs), (ChannelAccount.channel, audience.channels)):
        if values:
            where.append(column.in_(values))
    return where


def _joined(query):
    return (query.select_from(Member)
            .join(ChannelAccount, ChannelAccount.member_id == Member.id)
            .join(Team, Member.team_id == Team.id)
            .join(OrgUnit, Team.unit_id == OrgUnit.id))


def photo_kind(path: Path) -> str | None:
    """'JPEG' or 'PNG' when the file is an image every messenger takes (the CLI and the console check alike)."""
    try:
        with Image.open(path) as image:
            kind = image.format
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return kind if kind in ("JPEG", "PNG") else None


def duration(tr: Translator, seconds: float) -> str:
    """How long sending takes, in words: the one estimate the chat, the CLI and the console all show."""
    minutes, rest = divmod(round(seconds), 60)
    if minutes:
        return tr.t("{minutes} min {seconds} s", minutes=tr.number(minutes), seconds=tr.number(rest))
    return tr.t("{seconds} s", seconds=tr.number(rest)) if rest else tr.t("under 1 s")


async def preview(session: AsyncSession, audience: Audience, rates: dict[str, float]) -> Preview:
    """Count members and deliveries per channel of a resolved audience, and the time to send them."""
    where = await _where(session, audience)
    members = await session.scalar(_joined(select(func.count(func.distinct(Member.id)))).where(*where))
    rows = await session.execute(_joined(select(ChannelAccount.channel, func.count(func.distinct(Member.id))))
                                 .where(*where).group_by(ChannelAccount.channel))
    deliveries = dict(sorted(rows.all()))
    seconds = {code: n / rates.get(code, registry.FALLBACK_RATE) for code, n in deliveries.items()}
    return Preview(members or 0, deliveries, seconds)


async def outside_window(session: AsyncSession, audience: Audience, now: datetime) -> dict[str, int]:
    """Deliveries per windowed channel (Zalo OA: 7 days) to members who have not written within the window:
    the platform will not take them now, so they are held for the member or rerouted to another channel."""
    windows = registry.windows()
    if not windows:
        return {}
    closed = or_(*(and_(ChannelAccount.channel == code, or_(ZaloOAUser.last_interaction_at.is_(None),
                                                            ZaloOAUser.last_interaction_at < now - window))
                   for code, window in windows.items()))
    rows = await session.execute(_joined(select(ChannelAccount.channel, func.count(func.distinct(Member.id))))
                                 .outerjoin(ZaloOAUser, ZaloOAUser.user_id == ChannelAccount.external_id)
                                 .where(*await _where(session, audience), closed).group_by(ChannelAccount.channel))
    return dict(rows.all())


async def create(session: AsyncSession, *, sender: Member | None, audience: Audience, text_vi: str,
                 text_en: str | None = None, photo: str | None = None, ack: bool = False,
                 guide_id: str | None = None, now: datetime, actor: Actor | None = None,
                 urgent: bool = False) -> Broadcast:
    """Store a draft broadcast after checking the audience against the sender's (or the console actor's) subtree."""
    if not text_vi.strip():
        raise ValueError("a broadcast needs a Vietnamese text")
    if actor is not None and not access.can(actor, Action.BROADCAST):
        raise NotAllowed("only officers and admins send broadcasts")
    resolved = await resolve(session, audience, actor if actor is not None else await sender_actor(session, sender))
    broadcast = Broadcast(text_vi=text_vi, text_en=text_en or None, photo=photo, ack=ack, guide_id=guide_id,
                          urgent=urgent, audience=resolved.to_dict(), created_by=sender.id if sender else None,
                          created_at=now)
    session.add(broadcast)
    await session.flush()
    return broadcast


def audience_of(broadcast: Broadcast) -> Audience:
    return Audience(**broadcast.audience)


def message_for(broadcast: Broadcast, locale: str) -> Outbound:
    """The broadcast as one member sees it: their language's text (Vietnamese if none) and buttons."""
    tr = Translator(locale)
    text = broadcast.text_en if locale == "en" and broadcast.text_en else broadcast.text_vi
    rows = []
    if broadcast.guide_id:
        rows.append([Button(f"guide:{broadcast.guide_id}", tr.t(OPEN_GUIDE))])
    if broadcast.ack:
        rows.append([Button(f"ack:{broadcast.id}:ok", tr.t(RECEIVED)),
                     Button(f"ack:{broadcast.id}:help", tr.t(NEED_HELP))])
    return Outbound(text, rows, broadcast.photo)


async def expand(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """Queue one delivery per member and channel in one INSERT … SELECT; a second call adds nothing."""
    if broadcast.status == "cancelled":
        return 0
    if broadcast.status == "draft":
        broadcast.status, broadcast.started_at = "sending", now
    payload = case((Member.locale == "en", literal(message_for(broadcast, "en").to_dict(), JSON)),
                   else_=literal(message_for(broadcast, "vi").to_dict(), JSON))
    status = State.PAUSED if broadcast.status == "paused" else State.QUEUED
    rows = _joined(select(
        literal(broadcast.id), ChannelAccount.channel, ChannelAccount.external_id, Member.id, literal(BULK),
        literal(str(status)), payload, literal(0), literal(now, UtcDateTime()),
    )).where(*await _where(session, audience_of(broadcast)))
    columns = ["broadcast_id", "channel", "external_id", "member_id", "priority", "status", "payload",
               "attempts", "created_at"]
    count = await queue.insert_selected(session, columns, rows)
    await session.flush()
    return count


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise LookupError(f"no broadcast with id {broadcast_id}")
    return broadcast


async def _move(session: AsyncSession, broadcast_id: int, state: str, before: tuple[State, ...],
                after: State) -> int:
    broadcast = await get(session, broadcast_id)
    if broadcast.status == "cancelled":
        return 0
    broadcast.status = state
    return await queue.move_broadcast(session, broadcast_id, before, after)


async def pause(session: AsyncSession, broadcast_id: int) -> int:
    """Hold the unsent rows (rows already handed to the platform still finish); returns how many."""
    return await _move(session, broadcast_id, "paused", (State.QUEUED, State.SENDING), State.PAUSED)


async def resume(session: AsyncSession, broadcast_id: int) -> int:
    return await _move(session, broadcast_id, "sending", (State.PAUSED,), State.QUEUED)


async def cancel(session: AsyncSession, broadcast_id: int) -> int:
    """Drop the unsent rows for good; what was sent stays sent."""
    return await _move(session, broadcast_id, "cancelled", UNSENT, State.CANCELLED)


@dataclass
class Status:
    """Progress of one broadcast: rows by channel and state, answers, who could not be reached."""

    broadcast: Broadcast
    by_channel: dict[str, dict[str, int]]
    acks: dict[str, int]
    unreachable: list[tuple[str, str, str, str]]  # (unit code, unit name, member name, channel)

    def total(self, state: str) -> int:
        return sum(states.get(state, 0) for states in self.by_channel.values())

    @property
    def pending(self) -> int:
        return self.total(State.QUEUED) + self.total(State.SENDING)

    @property
    def finished(self) -> bool:
        return self.pending == 0 and self.total(State.PAUSED) == 0


async def status(session: AsyncSession, broadcast_id: int) -> Status:
    broadcast = await get(session, broadcast_id)
    rows = await session.execute(select(Delivery.channel, Delivery.status, func.count())
                                 .where(Delivery.broadcast_id == broadcast_id)
                                 .group_by(Delivery.channel, Delivery.status))
    by_channel: dict[str, dict[str, int]] = {}
    for channel, state, n in rows.all():
        by_channel.setdefault(channel, {})[state] = n
    acks = dict((await session.execute(select(BroadcastAck.answer, func.count())
                                       .where(BroadcastAck.broadcast_id == broadcast_id)
                                       .group_by(BroadcastAck.answer))).all())
    gone = await session.execute(
        select(OrgUnit.code, OrgUnit.name, Member.full_name, Delivery.channel)
        .join(Member, Delivery.member_id == Member.id).join(Team, Member.team_id == Team.id)
        .join(OrgUnit, Team.unit_id == OrgUnit.id)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == State.UNREACHABLE)
        .order_by(OrgUnit.path, Member.full_name))
    return Status(broadcast, by_channel, {"ok": acks.get("ok", 0), "help": acks.get("help", 0)},
                  [tuple(row) for row in gone])


async def record_ack(session: AsyncSession, broadcast_id: int, member_id: int, answer: str,
                     now: datetime) -> bool:
    """Store a member's answer once; a later "help" replaces "ok". True when something changed."""
    if await session.get(Broadcast, broadcast_id) is None:
        raise LookupError(f"no broadcast with id {broadcast_id}")
    existing = (await session.execute(select(BroadcastAck).where(
        and_(BroadcastAck.broadcast_id == broadcast_id, BroadcastAck.member_id == member_id)))).scalar_one_or_none()
    if existing is None:
        session.add(BroadcastAck(broadcast_id=broadcast_id, member_id=member_id, answer=answer, at=now))
        await session.flush()
        return True
    if existing.answer == answer or answer == "ok":
        return False
    existing.answer, existing.at = answer, now
    return True
