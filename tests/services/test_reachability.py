"""Staff see, per unit, how many members each channel can reach right now."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.db.zalo import ZaloOAUser
from bot.services.org import unit_by_code
from bot.services.reachability import reach

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def member(session, unit_code: str, accounts: dict[str, tuple[str, bool]], oa_days: int | None = None,
                 opted_out: bool = False) -> None:
    team = (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                  .where(OrgUnit.code == unit_code))).scalar_one()
    row = Member(full_name="Người thử", team_id=team.id, created_at=NOW, opted_out=opted_out)
    session.add(row)
    await session.flush()
    for channel, (external_id, unreachable) in accounts.items():
        session.add(ChannelAccount(member_id=row.id, channel=channel, external_id=external_id,
                                   unreachable=unreachable, linked_at=NOW))
    if oa_days is not None:
        session.add(ZaloOAUser(user_id=accounts["zalo_oa"][0], last_interaction_at=NOW - timedelta(days=oa_days)))


async def test_reach_per_district_and_channel(any_db, demo_roster):
    async with any_db.session() as session:
        await member(session, "21409-03", {"telegram": ("1", False), "zalo_oa": ("z1", False)}, oa_days=2)
        await member(session, "21409-01", {"zalo_oa": ("z2", False), "web": ("w2", True)}, oa_days=10)
        await member(session, "21400", {"zalo_bot": ("b3", False)})
        await member(session, "536-01", {"telegram": ("4", False)})
        await member(session, "536-02", {"telegram": ("5", False)}, opted_out=True)
        await session.commit()
        rows = {r.code: r for r in await reach(session, None, NOW)}
        assert len(rows) == 14 and [code for code, row in rows.items() if row.own_team] == ["51"]  # + the province's
        assert (rows["533"].members, rows["533"].by_channel) == (3, {"telegram": 1, "zalo_oa": 1, "zalo_bot": 1})
        assert (rows["536"].members, rows["536"].by_channel) == (1, {"telegram": 1})
        assert (rows["522"].members, rows["522"].by_channel) == (0, {})
        communes = {r.code: r for r in await reach(session, await unit_by_code(session, "533"), NOW)}
        assert communes["21409"].members == 2 and communes["21409"].by_channel == {"telegram": 1, "zalo_oa": 1}
        village = await reach(session, await unit_by_code(session, "21409-03"), NOW)
        assert [(r.code, r.members) for r in village] == [("21409-03", 1)]
