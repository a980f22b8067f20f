"""Made-up members spread over the roster's teams, for broadcast tests and the benchmark."""

from datetime import UTC, datetime

from sqlalchemy import insert, select

from bot.db.models import ChannelAccount, Member, OrgUnit, Team

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def add_members(db, count: int, *, channel: str = "telegram", first_external: int = 10_000_000,
                      en_every: int = 10, under: str | None = None) -> list[int]:
    """`count` members round-robin over the teams (of `under`'s subtree), each with one account.

    The first member of each team leads it; every `en_every`-th member reads English.
    External ids are `first_external + i`. Returns the member ids in order.
    """
    async with db.session() as session:
        query = select(Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id).order_by(OrgUnit.path)
        if under is not None:
            root = (await session.execute(select(OrgUnit).where(OrgUnit.code == under))).scalar_one()
            query = query.where(OrgUnit.path.startswith(root.path))
        teams = list((await session.execute(query)).scalars())
        members = [{"full_name": f"Thành viên {i + 1}", "team_id": teams[i % len(teams)],
                    "role": "leader" if i < len(teams) else "member",
                    "locale": "en" if en_every and i % en_every == en_every - 1 else "vi",
                    "opted_out": False, "created_at": NOW} for i in range(count)]
        ids: list[int] = []
        for chunk in range(0, count, 5_000):
            added = await session.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True),
                                          members[chunk:chunk + 5_000])
            ids += added.scalars().all()
        accounts = [{"member_id": member_id, "channel": channel, "external_id": str(first_external + i),
                     "unreachable": False, "linked_at": NOW} for i, member_id in enumerate(ids)]
        for chunk in range(0, count, 5_000):
            await session.execute(insert(ChannelAccount), accounts[chunk:chunk + 5_000])
        await session.commit()
    return ids
