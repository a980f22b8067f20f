"""Queries on the org tree and its teams: subtrees, paths, counts, invites."""

from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.db.lineage import successor_team
from bot.db.models import Member, OrgUnit, Team


async def unit_by_code(session: AsyncSession, code: str) -> OrgUnit | None:
    return (await session.execute(select(OrgUnit).where(OrgUnit.code == code))).scalar_one_or_none()


def in_subtree(root: OrgUnit):
    """A filter for units in `root`'s subtree (itself included): one indexed prefix match."""
    return OrgUnit.path.startswith(root.path, autoescape=True)


def live(today: date | None = None):
    """A filter for units not retired by `today` (default: today in Vietnam): what live pickers and audiences see;
    history (roll-ups by unit path, the lineage) does without it."""
    today = today or datetime.now(LOCAL_TZ).date()
    return or_(OrgUnit.retired_on.is_(None), OrgUnit.retired_on > today)


def is_live(unit: OrgUnit, today: date | None = None) -> bool:
    """`live` for a unit in hand."""
    return unit.retired_on is None or unit.retired_on > (today or datetime.now(LOCAL_TZ).date())


async def subtree(session: AsyncSession, root: OrgUnit, *, history: bool = False) -> list[OrgUnit]:
    """The live units under `root` (with `history`, retired ones too), itself first, in tree order."""
    query = select(OrgUnit).where(in_subtree(root)).order_by(OrgUnit.depth, OrgUnit.id)
    if not history:
        query = query.where(live())
    return list((await session.execute(query)).scalars())


async def ancestors(session: AsyncSession, unit: OrgUnit) -> list[OrgUnit]:
    """The unit and its parents up to the root, nearest first."""
    ids = [int(part) for part in unit.path.strip("/").split("/")]
    rows = {u.id: u for u in (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids)))).scalars()}
    return [rows[i] for i in reversed(ids) if i in rows]


async def unit_label(session: AsyncSession, unit: OrgUnit) -> str:
    """'Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức': the unit and its parents, below the province."""
    chain = [u for u in await ancestors(session, unit) if u.parent_id is not None] or [unit]  # below the top
    return " · ".join(u.name for u in chain)


async def stats(session: AsyncSession) -> dict:
    """Counts for `cdsbot units stats`: teams, current units by kind, members (and retired units, once any are)."""
    kinds = await session.execute(select(OrgUnit.kind, func.count()).where(OrgUnit.retired_on.is_(None))
                                  .group_by(OrgUnit.kind))
    teams = await session.scalar(select(func.count()).select_from(Team))
    members = await session.scalar(select(func.count()).select_from(Member))
    retired = await session.scalar(select(func.count()).where(OrgUnit.retired_on.is_not(None)))
    return {"teams": teams, "units": dict(sorted(kinds.all())), "members": members} | (
        {"retired_units": retired} if retired else {})


async def team_by_invite(session: AsyncSession, code: str) -> Team | None:
    """The team an invite code joins; a team closed by a merge (or of a retired unit) passes its members on to its
    successor's."""
    code = code.strip().upper()
    query = select(Team, OrgUnit).join(OrgUnit, Team.unit_id == OrgUnit.id).where(Team.invite_code == code)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    team, unit = row
    return team if team.active and is_live(unit) else await successor_team(session, team)


async def teams_in(session: AsyncSession, root: OrgUnit | None, *,
                   history: bool = False) -> list[tuple[Team, OrgUnit]]:
    """Teams of live units (with `history`, retired ones too), in tree order, for a subtree or the whole tree."""
    query = select(Team, OrgUnit).join(OrgUnit, Team.unit_id == OrgUnit.id)
    if not history:
        query = query.where(live())
    if root is not None:
        query = query.where(in_subtree(root))
    return [tuple(row) for row in (await session.execute(query.order_by(OrgUnit.path)))]


async def render_tree(session: AsyncSession, root: OrgUnit | None, depth: int | None) -> list[str]:
    """Indented lines 'code  name' of a subtree (or all roots), down to `depth` levels."""
    query = select(OrgUnit)
    if root is not None:
        query = query.where(in_subtree(root))
    units = list((await session.execute(query)).scalars())
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    tops = [root] if root is not None else children.get(None, [])
    lines: list[str] = []

    def walk(unit: OrgUnit, level: int) -> None:
        retired = f" (retired {unit.retired_on.isoformat()})" if unit.retired_on else ""
        lines.append(f"{'  ' * level}{unit.name} [{unit.code}]{retired}")
        if depth is None or level < depth:
            for child in sorted(children.get(unit.id, []), key=lambda u: u.id):
                walk(child, level + 1)

    for top in tops:
        walk(top, 0)
    return lines
