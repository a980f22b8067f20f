"""Who is told when a member asks for help: the nearest person above who can be reached.

The team's leaders first; a team without one goes to the officers of the
nearest unit above (its own unit first, then each parent) that has any; with
none in the whole chain, to the admins. Only people with a chat account that
still reaches them count: telling someone who cannot be reached helps nobody.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.services.access import Role
from bot.services.org import ancestors


@dataclass(frozen=True)
class Helpers:
    """The people told and why them: as the team's leaders, as officers of `unit`, or as admins."""

    role: Role | None  # None: nobody can be reached
    members: list[Member]
    unit: OrgUnit | None = None  # for officers: the unit they serve


def _reachable(query, member: Member):
    """Only people other than the asker who have a chat account still reaching them."""
    can_be_told = exists().where(ChannelAccount.member_id == Member.id, ~ChannelAccount.unreachable)
    return query.where(Member.id != member.id, can_be_told).order_by(Member.full_name, Member.id)


async def helpers_for(session: AsyncSession, member: Member) -> Helpers:
    """The nearest people above `member` who can help: team leaders, else officers, else admins."""
    leaders = _reachable(select(Member).where(Member.team_id == member.team_id, Member.role == Role.LEADER), member)
    found = list((await session.execute(leaders)).scalars())
    if found:
        return Helpers(Role.LEADER, found)
    team = await session.get(Team, member.team_id)
    chain = await ancestors(session, await session.get(OrgUnit, team.unit_id))
    officers = _reachable(select(Member, Team.unit_id).join(Team, Member.team_id == Team.id)
                          .where(Member.role == Role.OFFICER, Team.unit_id.in_([u.id for u in chain])), member)
    by_unit: dict[int, list[Member]] = {}
    for officer, unit_id in (await session.execute(officers)).all():
        by_unit.setdefault(unit_id, []).append(officer)
    nearest = next((unit for unit in chain if unit.id in by_unit), None)
    if nearest is not None:
        return Helpers(Role.OFFICER, by_unit[nearest.id], nearest)
    admins = list((await session.execute(_reachable(select(Member).where(Member.role == Role.ADMIN), member)))
                  .scalars())
    return Helpers(Role.ADMIN if admins else None, admins)
