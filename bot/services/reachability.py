"""Who can be reached where, right now: members per unit and channel, for staff.

A channel account counts when it is not marked unreachable (blocked, unfollowed)
and, on a channel with a window (the Zalo OA: 7 days; see bot/channels/registry.py),
when the member interacted within it (the platform may not message them otherwise). The unit's own
team is a row of its own, after its child units.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.channels import registry
from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.db.zalo import ZaloOAUser


@dataclass(frozen=True)
class UnitReach:
    """Members of one child unit's subtree, or of the unit's own team (`own_team`), and who can be reached."""

    code: str
    name: str
    members: int
    by_channel: dict[str, int]
    own_team: bool = False


def reachable_by_channel(members, now: datetime, *keys):
    """SELECT keys…, channel, reachable members: over a subquery of members with a `member_id` column."""
    windows = registry.windows()  # the last time a member wrote is kept in zalo_oa_user
    window_open = or_(ChannelAccount.channel.not_in(list(windows)),
                      *(and_(ChannelAccount.channel == code, ZaloOAUser.last_interaction_at >= now - window)
                        for code, window in windows.items()))
    return (
        select(*keys, ChannelAccount.channel, func.count(func.distinct(members.c.member_id))).select_from(members)
        .join(ChannelAccount, and_(ChannelAccount.member_id == members.c.member_id, ~ChannelAccount.unreachable))
        .outerjoin(ZaloOAUser, ZaloOAUser.user_id == ChannelAccount.external_id)
        .where(window_open).group_by(*keys, ChannelAccount.channel)
    )


async def reach(session: AsyncSession, root: OrgUnit | None, now: datetime) -> list[UnitReach]:
    """For each child unit of `root` (the districts when None), then for `root`'s own team: members, and
    reachable members per channel. A unit without children is just its own team."""
    tops = [root] if root is not None else list((await session.execute(
        select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.path))).scalars())
    top_ids = [unit.id for unit in tops]
    child = aliased(OrgUnit)
    in_children = (select(child.code.label("code"), Member.id.label("member_id"))
                   .join(OrgUnit, OrgUnit.path.startswith(child.path))
                   .join(Team, Team.unit_id == OrgUnit.id).join(Member, Member.team_id == Team.id)
                   .where(child.parent_id.in_(top_ids), ~Member.opted_out))
    in_own_teams = (select(OrgUnit.code.label("code"), Member.id.label("member_id"))
                    .join(Team, Team.unit_id == OrgUnit.id).join(Member, Member.team_id == Team.id)
                    .where(OrgUnit.id.in_(top_ids), ~Member.opted_out))
    members = union_all(in_children, in_own_teams).subquery()
    reachable = reachable_by_channel(members, now, members.c.code)
    totals = select(members.c.code, func.count()).group_by(members.c.code)
    counts = dict((await session.execute(totals)).all())
    per_channel: dict[str, dict[str, int]] = {}
    for code, channel, count in (await session.execute(reachable)).all():
        per_channel.setdefault(code, {})[channel] = count
    children = select(child.code, child.name).where(child.parent_id.in_(top_ids)).order_by(child.path)
    own_teams = (select(OrgUnit.code, OrgUnit.name).join(Team, Team.unit_id == OrgUnit.id)
                 .where(OrgUnit.id.in_(top_ids)).order_by(OrgUnit.path))
    rows = [(*row, False) for row in (await session.execute(children)).all()]
    rows += [(*row, True) for row in (await session.execute(own_teams)).all()]
    return [UnitReach(code, name, counts.get(code, 0), per_channel.get(code, {}), own_team)
            for code, name, own_team in rows]
