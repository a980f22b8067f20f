"""What a delivery outcome changes beyond its own row, written in the sender's flush transaction.

- a recipient gone (blocked the bot) → their channel account is unreachable;
- a message the platform may not send now (Zalo OA's 7-day window) → sent over another
  channel the member has linked, else held until the member writes again;
- numbered options shown on a channel without buttons → remembered in the chat's
  conversation, so typing "1" picks the first one.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelAccount, Conversation, Delivery
from bot.delivery import queue
from bot.delivery.states import State
from bot.text import fold


@dataclass(frozen=True)
class Shown:
    """Options a member saw as numbered lines on a channel without buttons."""

    channel: str
    external_id: str
    options: dict[str, str]
    labels: dict[str, str]
    sent_at: datetime


async def mark_unreachable(session: AsyncSession, gone: list[tuple[str, str]]) -> None:
    for code, external_id in gone:
        await session.execute(update(ChannelAccount)
                              .where(ChannelAccount.channel == code, ChannelAccount.external_id == external_id)
                              .values(unreachable=True))


async def reroute_held(session: AsyncSession, held_ids: list[int], running: set[str]) -> None:
    """Each held row goes over another reachable channel of the member if there is one (status
    `rerouted`); otherwise it stays `held` and is released when the member next writes."""
    for row in (await session.execute(select(Delivery).where(Delivery.id.in_(held_ids)))).scalars():
        if row.member_id is None:
            continue
        other = (await session.execute(
            select(ChannelAccount.channel, ChannelAccount.external_id)
            .where(ChannelAccount.member_id == row.member_id, ChannelAccount.channel != row.channel,
                   ChannelAccount.channel.in_(running), ~ChannelAccount.unreachable)
            .order_by(ChannelAccount.id).limit(1)
        )).first()
        if other is None:
            continue
        if row.broadcast_id is None or not await _already_there(session, row, other.channel):
            queue.copy_to(session, row, other.channel, other.external_id)
        row.status = State.REROUTED


async def _already_there(session: AsyncSession, row: Delivery, channel: str) -> bool:
    query = select(Delivery.id).where(Delivery.broadcast_id == row.broadcast_id,
                                      Delivery.member_id == row.member_id, Delivery.channel == channel)
    return (await session.execute(query)).first() is not None


async def remember_options(session: AsyncSession, shown: list[Shown]) -> None:
    """The options of the message a member saw last, unless the core moved the conversation on
    after it was sent (the member already answered: the core's options are newer)."""
    for item in shown:
        conversation = (await session.execute(select(Conversation).where(
            Conversation.channel == item.channel, Conversation.external_id == item.external_id
        ))).scalar_one_or_none()
        if conversation is None or conversation.updated_at >= item.sent_at:
            continue
        data = dict(conversation.data) | {"_options": item.options, "_labels": item.labels}
        await session.execute(update(Conversation)
                              .where(Conversation.id == conversation.id, Conversation.version == conversation.version)
                              .values(data=data, version=conversation.version + 1)
                              .execution_options(synchronize_session=False))


def labels_of(options: dict[str, str], labels: list[str]) -> dict[str, str]:
    """Folded label → payload, matching `options` by position."""
    return {fold(label): options[str(n)] for n, label in enumerate(labels, 1)}

