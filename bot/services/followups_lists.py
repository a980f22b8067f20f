"""After a broadcast: who needs help, who could not be reached and why, who has not answered; CSV; send again.

Every list keeps to the viewer's scope (`access.scope_clause` on the member's unit), so a phone number is only
ever shown to someone whose part of the tree holds that member. "Send again" goes only to members none of
whose messages was sent, over their channels that are still reachable, as a new broadcast.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.delivery import queue
from bot.delivery.states import BULK, State
from bot.i18n import N_
from bot.services import access
from bot.services import broadcast as bc
from bot.services.exports import safe_text

PHONE = re.compile(r"\+?[0-9]{6,15}")
KINDS = ("help", "unreachable", "silent")  # the lists, as they appear in addresses
MAX_ROWS = 5_000
REASONS = {
    State.UNREACHABLE: N_("Blocked the bot or left the messenger"),
    State.FAILED: N_("The messenger refused the message"),
    State.HELD: N_("Outside Zalo's 7-day window: waits until they write"),
}
RECEIVED = (State.SENT,)  # a rerouted copy that went out is a sent row of the same broadcast
ON_ITS_WAY = (State.SENT, State.QUEUED, State.SENDING, State.PAUSED)  # "send again" skips these members


@dataclass(frozen=True)
class Person:
    """One line of a follow-up list."""

    member_id: int
    name: str
    team: str
    unit: str
    phone: str | None
    channel: str
    reason: str = ""  # a message id from REASONS (unreachable list only)
    detail: str = ""  # the platform's words, when it gave any


def _people(*columns):
    """SELECT over members of the broadcast joined to team and unit (columns first, then the person's fields)."""
    return (select(Member.id, Member.full_name, Team.name, OrgUnit.name, Member.phone, *columns)
            .join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id))


def _delivered(broadcast_id: int, states: tuple[State, ...] = RECEIVED):
    """Members with a message of the broadcast in one of `states` (by default: it went out).

    Its own alias of Delivery: the outer query may hold Delivery too."""
    row = aliased(Delivery)
    return exists().where(row.broadcast_id == broadcast_id, row.member_id == Member.id, row.status.in_(states))


def _channels(broadcast_id: int):
    return (select(func.min(Delivery.channel)).where(Delivery.broadcast_id == broadcast_id,
                                                     Delivery.member_id == Member.id).scalar_subquery())


async def need_help(session: AsyncSession, actor: access.Actor, broadcast_id: int) -> list[Person]:
    """Members who pressed "I need help", with the channel they were reached on."""
    query = (_people(_channels(broadcast_id)).join(BroadcastAck, and_(BroadcastAck.member_id == Member.id,
                                                                      BroadcastAck.broadcast_id == broadcast_id))
             .where(BroadcastAck.answer == "help", access.scope_clause(actor, OrgUnit.path)))
    return await _run(session, query)


async def silent(session: AsyncSession, actor: access.Actor, broadcast_id: int) -> list[Person]:
    """Members who received the broadcast and have not answered its buttons."""
    answered = exists().where(BroadcastAck.broadcast_id == broadcast_id, BroadcastAck.member_id == Member.id)
    query = _people(_channels(broadcast_id)).where(_delivered(broadcast_id), ~answered,
                                                   access.scope_clause(actor, OrgUnit.path))
    return await _run(session, query)


async def unreachable(session: AsyncSession, actor: access.Actor, broadcast_id: int) -> list[Person]:
    """Members none of whose messages went out, one line per channel, with the reason."""
    query = (_people(Delivery.channel, Delivery.status, Delivery.error)
             .join(Delivery, and_(Delivery.member_id == Member.id, Delivery.broadcast_id == broadcast_id))
             .where(Delivery.status.in_(list(REASONS)), ~_delivered(broadcast_id),
                    access.scope_clause(actor, OrgUnit.path)))
    return await _run(session, query)


async def _run(session: AsyncSession, query) -> list[Person]:
    rows = await session.execute(query.order_by(OrgUnit.path, Team.name, Member.full_name).limit(MAX_ROWS))
    people = []
    for member_id, name, team, unit, phone, channel, *why in rows.all():
        reason = REASONS.get(why[0], "") if why else ""
        people.append(Person(member_id, name, team, unit, phone, channel or "", reason, (why[1] or "") if why else ""))
    return people


LISTS = {"help": need_help, "unreachable": unreachable, "silent": silent}


def to_csv(people: list[Person], headers: list[str], reasons: dict[str, str]) -> str:
    """A list as CSV for a spreadsheet (headers and reasons already translated); free text defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for p in people:
        writer.writerow([safe_text(p.name), safe_text(p.team), safe_text(p.unit), _phone(p.phone),
                         p.channel, reasons.get(p.reason, ""), safe_text(p.detail)])
    return out.getvalue()


def _phone(phone: str | None) -> str:
    """A roster phone number as it is (+84…, dialable); anything else defused like free text."""
    return phone if phone and PHONE.fullmatch(phone) else safe_text(phone or "")


async def resend(session: AsyncSession, actor: access.Actor, original: Broadcast, now: datetime,
                 sender_id: int | None) -> tuple[Broadcast | None, int]:
    """A new broadcast with the same message to the members (in the actor's scope) who received nothing and
    have nothing still on its way (queued or paused).

    Returns it and the number of messages queued; (None, 0) when there is nobody to send to.
    """
    missed = (select(Delivery.member_id).join(Member, Member.id == Delivery.member_id)
              .join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
              .where(Delivery.broadcast_id == original.id, ~_delivered(original.id, ON_ITS_WAY),
                     access.scope_clause(actor, OrgUnit.path)).distinct())
    member_ids = list((await session.execute(missed)).scalars())
    if not member_ids:
        return None, 0
    again = Broadcast(text_vi=original.text_vi, text_en=original.text_en, photo=original.photo, ack=original.ack,
                      guide_id=original.guide_id, audience=original.audience, status="sending", created_by=sender_id,
                      urgent=original.urgent, created_at=now, started_at=now)
    session.add(again)
    await session.flush()
    rows = [{"channel": channel, "external_id": external_id, "member_id": member_id,
             "payload": bc.message_for(again, locale).to_dict(), "broadcast_id": again.id}
            for member_id, channel, external_id, locale in await session.execute(
                select(ChannelAccount.member_id, ChannelAccount.channel, ChannelAccount.external_id, Member.locale)
                .join(Member, Member.id == ChannelAccount.member_id)
                .where(ChannelAccount.member_id.in_(member_ids), ~ChannelAccount.unreachable, ~Member.opted_out))]
    await queue.enqueue_many(session, rows, now, BULK)
    return again, len(rows)
