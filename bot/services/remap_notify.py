"""After a remap: members of merged teams are told, in their language, what their team is now and who leads it."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Outbound
from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.delivery import queue
from bot.delivery.states import BULK
from bot.i18n import Translator
from bot.services.access import Role
from bot.services.remap import Plan


async def tell_merged(session: AsyncSession, plan: Plan, now: datetime | None = None) -> int:
    """One message per member of a merged team (on their latest reachable messenger); returns how many."""
    kept = {plan.keeper[new] for new in plan.merged if new in plan.keeper}
    if not kept:
        return 0
    rows = (await session.execute(select(Member, Team, OrgUnit).join(Team, Member.team_id == Team.id)
                                  .join(OrgUnit, Team.unit_id == OrgUnit.id)
                                  .where(Team.id.in_(kept), ~Member.opted_out).order_by(Member.id))).all()
    leaders: dict[int, list[str]] = {}
    for member, team, _unit in rows:
        if member.role == Role.LEADER:
            leaders.setdefault(team.id, []).append(member.full_name)
    accounts = await _latest_accounts(session, kept)
    told = 0
    for member, team, unit in rows:
        account = accounts.get(member.id)
        if account is not None:
            text = _notice(Translator(member.locale), plan, team, unit, leaders.get(team.id, []))
            queue.enqueue(session, account.channel, account.external_id, Outbound(text), member_id=member.id,
                          priority=BULK, now=now or datetime.now(UTC))
            told += 1
    return told


async def _latest_accounts(session: AsyncSession, team_ids: set[int]) -> dict[int, ChannelAccount]:
    """Each member's (of these teams) most recently linked reachable messenger account."""
    query = (select(ChannelAccount).join(Member, ChannelAccount.member_id == Member.id)
             .where(Member.team_id.in_(team_ids), ~ChannelAccount.unreachable)
             .order_by(ChannelAccount.linked_at, ChannelAccount.id))
    return {account.member_id: account for account in (await session.execute(query)).scalars()}


def _notice(tr: Translator, plan: Plan, team: Team, unit: OrgUnit, leaders: list[str]) -> str:
    """The member's message: the team's new name and unit, from the effective date, and its leaders."""
    head = tr.t("From {date}, after the reorganisation, your team is {team} ({unit}).", date=tr.date(plan.effective),
                team=team.name, unit=unit.name)
    if leaders:
        return head + "\n" + tr.t("Leader: {names}", names=", ".join(leaders))
    return head + "\n" + tr.t("It has no leader yet: an officer will name one.")
