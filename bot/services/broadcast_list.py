"""Every broadcast so far, newest first, with its delivery and answer counts: what `broadcast status` lists."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.models import Delivery, Member
from bot.delivery.states import PENDING


@dataclass(frozen=True)
class BroadcastLine:
    """One broadcast at a glance: when, by whom, its state and its counts."""

    id: int
    created_at: datetime
    sender: str | None  # None: the command line or a schedule
    status: str
    text: str
    by_state: dict[str, int]
    received: int
    need_help: int

    @property
    def state(self) -> str:
        """'done' once a sending broadcast has nothing left to send; else its own status."""
        waiting = sum(self.by_state.get(state, 0) for state in PENDING)
        return "done" if self.status == "sending" and not waiting else self.status

    def count(self, *states: str) -> int:
        return sum(self.by_state.get(state, 0) for state in states)


async def recent(session: AsyncSession, limit: int = 50) -> list[BroadcastLine]:
    """The latest `limit` broadcasts, newest first."""
    rows = (await session.execute(
        select(Broadcast.id, Broadcast.created_at, Member.full_name, Broadcast.status, Broadcast.text_vi)
        .outerjoin(Member, Member.id == Broadcast.created_by)
        .order_by(Broadcast.id.desc()).limit(limit))).all()
    ids = [row[0] for row in rows]
    states: dict[int, dict[str, int]] = {}
    for broadcast_id, state, n in await session.execute(
            select(Delivery.broadcast_id, Delivery.status, func.count())
            .where(Delivery.broadcast_id.in_(ids)).group_by(Delivery.broadcast_id, Delivery.status)):
        states.setdefault(broadcast_id, {})[state] = n
    answers: dict[int, dict[str, int]] = {}
    for broadcast_id, answer, n in await session.execute(
            select(BroadcastAck.broadcast_id, BroadcastAck.answer, func.count())
            .where(BroadcastAck.broadcast_id.in_(ids)).group_by(BroadcastAck.broadcast_id, BroadcastAck.answer)):
        answers.setdefault(broadcast_id, {})[answer] = n
    return [BroadcastLine(bid, created, sender, status, text, states.get(bid, {}),
                          answers.get(bid, {}).get("ok", 0), answers.get(bid, {}).get("help", 0))
            for bid, created, sender, status, text in rows]
