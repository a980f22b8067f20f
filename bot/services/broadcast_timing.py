"""Quiet hours for a broadcast that starts now: what the channels' rates would send after the quiet hours begin
waits for their end (a `not_before` on those rows), unless the sender marks it urgent.

The same split feeds the composer's figures ("N messages wait until 07:00") and the rows' `not_before`, so
what staff are told is what happens. A channel's rows are claimed oldest first, so the rows past the
boundary are the channel's last ones.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import registry
from bot.db.models import Delivery
from bot.delivery import queue
from bot.delivery.states import State
from bot.services.schedule_rules import Policy

WAITING = (State.QUEUED, State.PAUSED)  # rows not claimed yet: their not_before still decides when they go


@dataclass(frozen=True)
class QuietSplit:
    """How many messages per channel go out before the quiet hours, and when the others may go."""

    starts: datetime  # when sending may begin (now, or the end of the quiet hours now falls in)
    boundary: datetime  # the next start of the quiet hours after `starts`
    morning: datetime  # the end of those quiet hours
    before: dict[str, int]  # channel → messages sent before the boundary at its rate
    after: dict[str, int]  # channel → messages that wait for the morning

    @property
    def waiting(self) -> int:
        """Messages held for the morning, all channels."""
        return sum(self.after.values())


def next_quiet_start(policy: Policy, moment: datetime) -> datetime:
    """The first start of the quiet hours strictly after `moment` (local time of the policy)."""
    local = moment.astimezone(policy.tz)
    start = datetime.combine(local.date(), policy.quiet_start, tzinfo=policy.tz)
    return start if start > local else start + timedelta(days=1)


def split(deliveries: dict[str, int], rates: dict[str, float], now: datetime, policy: Policy,
          urgent: bool = False) -> QuietSplit:
    """Which of `deliveries` (channel → count) go before the quiet hours at each channel's rate, which wait."""
    starts = now if urgent else policy.fire_time(now)
    boundary = next_quiet_start(policy, starts)
    morning = policy.fire_time(boundary)
    if urgent or morning == boundary:  # urgent, or no quiet hours configured (start == end)
        return QuietSplit(starts, boundary, morning, dict(deliveries), {code: 0 for code in deliveries})
    seconds = (boundary - starts).total_seconds()
    before = {code: min(n, int(seconds * rates.get(code, registry.FALLBACK_RATE)))
              for code, n in deliveries.items()}
    return QuietSplit(starts, boundary, morning, before, {code: n - before[code] for code, n in deliveries.items()})


async def hold_for_quiet_hours(session: AsyncSession, broadcast_id: int, now: datetime, rates: dict[str, float],
                               policy: Policy, urgent: bool = False) -> QuietSplit:
    """Give the broadcast's rows that would go out in the quiet hours a `not_before` (the caller commits)."""
    counts = dict((await session.execute(
        select(Delivery.channel, func.count()).where(Delivery.broadcast_id == broadcast_id,
                                                     Delivery.status.in_(WAITING))
        .group_by(Delivery.channel))).all())
    plan = split(counts, rates, now, policy, urgent)
    for code, first_late in plan.before.items():
        if plan.starts > now and first_late:  # now is inside the quiet hours: the first ones wait for its end
            await _set_not_before(session, broadcast_id, code, 0, first_late, plan.starts)
        if plan.after.get(code):
            await _set_not_before(session, broadcast_id, code, first_late, None, plan.morning)
    return plan


async def _set_not_before(session: AsyncSession, broadcast_id: int, channel: str, offset: int, limit: int | None,
                          moment: datetime) -> None:
    """Rows `offset`… (up to `limit` of them) of one channel of the broadcast, oldest first, wait until `moment`."""
    rows = (select(Delivery.id).where(Delivery.broadcast_id == broadcast_id, Delivery.channel == channel,
                                      Delivery.status.in_(WAITING))
            .order_by(Delivery.id).offset(offset).limit(limit))
    await queue.delay(session, rows, moment)
