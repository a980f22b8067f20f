"""Who can be reached where, right now: members per unit and channel, for staff.

A channel account counts when it is not marked unreachable (blocked, unfollowed)
and, on the Zalo OA, when the member interacted within the last 7 days (the OA
may not message them otherwise; see bot/channels/zalo_oa.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.db.zalo import ZaloOAUser

OA_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class UnitReach:
    code: str
    name: str
    members: int
    by_channel: dict[str, int]


async def reach(session: AsyncSession, root: OrgUnit | None, now: datetime) -> list[UnitReach]:
    """For each child unit of `root` (the districts when None): members, and reachable members per channel."""
    child = aliased(OrgUnit)
    if root is None:
        children = child.parent_id.in_(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))
    else:
        children = or_(child.parent_id == root.id, and_(child.id == root.id, ~select(OrgUnit.id).where(
            OrgUnit.parent_id == root.id).exists()))
    members = (select(child.code, Member.id.label("member_id"))
               .join(OrgUnit, OrgUnit.path.startswith(child.path))
               .join(Team, Team.unit_id == OrgUnit.id).join(Member, Member.team_id == Team.id)
               .where(children, ~Member.opted_out).subquery())
    window_open = or_(ChannelAccount.channel != "zalo_oa", ZaloOAUser.last_interaction_at >= now - OA_WINDOW)
    reachable = (
        select(members.c.code, ChannelAccount.channel, func.count(func.distinct(members.c.member_id)))
        .join(ChannelAccount, and_(ChannelAccount.member_id == members.c.member_id, ~ChannelAccount.unreachable))
        .outerjoin(ZaloOAUser, ZaloOAUser.user_id == ChannelAccount.external_id)
        .where(window_open).group_by(members.c.code, ChannelAccount.channel)
    )
    totals = select(members.c.code, func.count()).group_by(members.c.code)
    units = select(child.code, child.name).where(children).order_by(child.path)
    counts = dict((await session.execute(totals)).all())
    per_channel: dict[str, dict[str, int]] = {}
    for code, channel, count in (await session.execute(reachable)).all():
        per_channel.setdefault(code, {})[channel] = count
    return [UnitReach(code, name, counts.get(code, 0), per_channel.get(code, {}))
            for code, name in (await session.execute(units)).all()]
