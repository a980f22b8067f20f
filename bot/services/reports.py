"""Roll-ups of activity reports over any org subtree and date range, one SQL query per view.

Each report carries its team's unit path, so "the child unit a report belongs
to" is the path segment right after the root's path: grouped in SQL with
`substr`/`split_part`, never a Python loop over report rows. A unit with no
reports is absent (None), which is not the same as a unit that reported 0.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report

COUNTED = ("pending", "approved")  # returned reports are sent back for correction and never counted


@dataclass(frozen=True)
class TypeTotal:
    """Reports of one type: how many, people helped (None when the type does not count people), teams."""

    reports: int
    people: int | None
    teams: int


@dataclass
class UnitRow:
    """One child unit of the root (or the root's own team): its totals and completeness."""

    unit: OrgUnit
    by_type: dict[str, TypeTotal] | None = None  # None: no reports at all ("no data", not zero)
    expected: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def reports(self) -> int | None:
        return None if self.by_type is None else sum(t.reports for t in self.by_type.values())

    @property
    def people(self) -> int | None:
        values = [t.people for t in (self.by_type or {}).values() if t.people is not None]
        return sum(values) if values else None


@dataclass
class Rollup:
    """The roll-up of a subtree: rows per child unit, totals per type and per count."""

    root: OrgUnit
    start: date
    end: date
    approved_only: bool
    units: list[UnitRow] = field(default_factory=list)
    counts: dict[str, dict[str, int | None]] = field(default_factory=dict)


def _statuses(approved_only: bool):
    return Report.status == "approved" if approved_only else Report.status.in_(COUNTED)


def _where(root: OrgUnit, start: date, end: date, approved_only: bool):
    return and_(Report.unit_path.startswith(root.path), Report.activity_date >= start,
                Report.activity_date <= end, _statuses(approved_only))


def child_key(session: AsyncSession, path_column, root: OrgUnit):
    """SQL for the id (as text) of the root's child whose subtree holds the row; '' for the root itself."""
    rest = func.substr(path_column, len(root.path) + 1)
    if session.bind.dialect.name == "sqlite":
        return func.substr(rest, 1, func.instr(rest, "/") - 1)
    return func.split_part(rest, "/", 1)


async def totals_by_unit_and_type(session: AsyncSession, root: OrgUnit, start: date, end: date,
                                  approved_only: bool = False) -> dict[int, dict[str, TypeTotal]]:
    """{child unit id: {type id: TypeTotal}}: one statement; reports are first grouped per team and type
    (plain columns, cheap), then the few thousand groups are mapped to child units by path."""
    per_team = (select(Report.team_id, Report.unit_path, Report.type_id, func.count().label("n"),
                       func.sum(Report.people).label("people"))
                .where(_where(root, start, end, approved_only))
                .group_by(Report.team_id, Report.unit_path, Report.type_id).subquery())
    key = child_key(session, per_team.c.unit_path, root).label("child")
    query = (select(key, per_team.c.type_id, func.sum(per_team.c.n), func.sum(per_team.c.people), func.count())
             .group_by(key, per_team.c.type_id))
    result: dict[int, dict[str, TypeTotal]] = {}
    for child, type_id, n, people, teams in await session.execute(query):
        unit_id = int(child) if child else root.id
        result.setdefault(unit_id, {})[type_id] = TypeTotal(n, None if people is None else int(people), teams)
    return result


async def count_totals(session: AsyncSession, root: OrgUnit, start: date, end: date, count_ids: list[str],
                       approved_only: bool = False) -> dict[str, dict[str, int | None]]:
    """{type id: {count id: sum}} for every count a type asks (None where no report gave that count)."""
    if not count_ids:
        return {}
    sums = [func.sum(Report.counts[cid].as_integer()).label(f"c{i}") for i, cid in enumerate(count_ids)]
    query = select(Report.type_id, *sums).where(_where(root, start, end, approved_only)).group_by(Report.type_id)
    return {row[0]: {cid: (None if v is None else int(v)) for cid, v in zip(count_ids, row[1:], strict=True)}
            for row in await session.execute(query)}


async def completeness(session: AsyncSession, root: OrgUnit, start: date, end: date, deadline: datetime,
                       approved_only: bool = False) -> dict[int, tuple[int, int, int, int]]:
    """{child unit id: (teams expected, reported, on time, late)}: a team is on time when its first
    report for the period arrived by `deadline`."""
    first = (select(Report.team_id, func.min(Report.created_at).label("first_at"))
             .where(_where(root, start, end, approved_only)).group_by(Report.team_id).subquery())
    key = child_key(session, OrgUnit.path, root).label("child")
    on_time = func.sum(case((first.c.first_at <= deadline, 1), else_=0))
    late = func.sum(case((first.c.first_at > deadline, 1), else_=0))
    query = (select(key, func.count(Team.id), func.count(first.c.team_id), on_time, late)
             .select_from(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
             .outerjoin(first, first.c.team_id == Team.id)
             .where(OrgUnit.path.startswith(root.path), Team.active).group_by(key))
    return {int(child) if child else root.id: (expected, reported, int(ok or 0), int(lt or 0))
            for child, expected, reported, ok, lt in await session.execute(query)}


async def rollup(session: AsyncSession, root: OrgUnit, start: date, end: date, *, deadline: datetime,
                 count_ids: list[str], approved_only: bool = False) -> Rollup:
    """Everything `cdsbot reports summary` and the officers' view show, for one subtree and period."""
    children = list((await session.execute(
        select(OrgUnit).where(or_(OrgUnit.parent_id == root.id, OrgUnit.id == root.id)).order_by(OrgUnit.depth,
                                                                                                 OrgUnit.name)
    )).scalars())
    totals = await totals_by_unit_and_type(session, root, start, end, approved_only)
    teams = await completeness(session, root, start, end, deadline, approved_only)
    result = Rollup(root, start, end, approved_only)
    for unit in children:
        if unit.id == root.id and unit.id not in teams and unit.id not in totals and len(children) > 1:
            continue  # the root has no team of its own
        expected, reported, on_time, late = teams.get(unit.id, (0, 0, 0, 0))
        result.units.append(UnitRow(unit, totals.get(unit.id), expected, reported, on_time, late))
    result.counts = await count_totals(session, root, start, end, count_ids, approved_only)
    return result


async def team_period(session: AsyncSession, team_id: int, start: date, end: date) -> tuple[int, int]:
    """(reports, people helped) of one team in a period, returned reports left out."""
    row = (await session.execute(
        select(func.count(), func.coalesce(func.sum(Report.people), 0))
        .where(Report.team_id == team_id, Report.activity_date >= start, Report.activity_date <= end,
               Report.status.in_(COUNTED))
    )).one()
    return int(row[0]), int(row[1])


async def teams_without_report(session: AsyncSession, root: OrgUnit, start: date, end: date) -> list[Team]:
    """Active teams in the subtree with no report in the period, in tree order."""
    reported = exists().where(Report.team_id == Team.id, Report.activity_date >= start,
                              Report.activity_date <= end, Report.status.in_(COUNTED))
    query = (select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
             .where(OrgUnit.path.startswith(root.path), Team.active, ~reported).order_by(OrgUnit.path))
    return list((await session.execute(query)).scalars())


async def members_without_report(session: AsyncSession, team_id: int, start: date, end: date) -> list[Member]:
    """Members of a team who filed no report (nor had one filed for them) in the period."""
    theirs = or_(and_(Report.filed_by_member_id == Member.id, Report.proxy_for_member_id.is_(None),
                      Report.proxy_name.is_(None)),
                 Report.proxy_for_member_id == Member.id)
    reported = exists().where(theirs, Report.team_id == team_id, Report.activity_date >= start,
                              Report.activity_date <= end, Report.status.in_(COUNTED))
    query = select(Member).where(Member.team_id == team_id, ~reported).order_by(Member.full_name)
    return list((await session.execute(query)).scalars())
