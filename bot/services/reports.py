"""Roll-ups of activity reports over any org subtree and date range, one SQL query per view.

Each report carries its team's unit path, so "the child unit a report belongs
to" is the path segment right after the root's path: grouped in SQL with
`substr`/`split_part`, never a Python loop over report rows. A unit with no
reports is absent (None), which is not the same as a unit that reported 0.
Reports of the root unit's own team form a row of their own, named as such
(`own_team_name`), and a total row sums the whole subtree.
A whole calendar year (and whole months for the chart) reads the totals that triggers keep instead of the
report rows (bot/services/rollup_totals.py), with the same figures.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.i18n import N_, Translator
from bot.services import agencies, rollup_periods, rollup_scan, rollup_totals

COUNTED = ("pending", "approved")  # returned reports are sent back for correction and never counted
NO_DEADLINE = datetime.max.replace(tzinfo=UTC)  # when only totals are asked, every team is "on time"
OWN_TEAM = N_("{unit}'s own team")


def own_team_name(tr: Translator, unit_name: str) -> str:
    """The row of a unit's own team, never to be read as the unit's total ("Xã X's own team")."""
    return tr.t(OWN_TEAM, unit=unit_name)


@dataclass(frozen=True)
class TypeTotal:
    """Reports of one type: how many, people helped (None when the type does not count people), teams."""

    reports: int
    people: int | None
    teams: int
    counts: dict[str, int | None] = field(default_factory=dict, compare=False)  # {count id: sum}, when asked


@dataclass
class UnitRow:
    """One child unit of the root (or the root's own team, or the total): its totals and completeness."""

    unit: OrgUnit
    by_type: dict[str, TypeTotal] | None = None  # None: no reports at all ("no data", not zero)
    expected: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0
    own_team: bool = False  # the root unit's own team only, not its subtree

    @property
    def reports(self) -> int | None:
        return None if self.by_type is None else sum(t.reports for t in self.by_type.values())

    @property
    def people(self) -> int | None:
        values = [t.people for t in (self.by_type or {}).values() if t.people is not None]
        return sum(values) if values else None


@dataclass
class Rollup:
    """The roll-up of a subtree: rows per child unit then the root's own team, the total, sums per count."""

    root: OrgUnit
    start: date
    end: date
    approved_only: bool
    units: list[UnitRow] = field(default_factory=list)
    total: UnitRow | None = None
    counts: dict[str, dict[str, int | None]] = field(default_factory=dict)


def _status_list(approved_only: bool) -> tuple[str, ...]:
    return ("approved",) if approved_only else COUNTED


def _statuses(approved_only: bool):
    return Report.status == "approved" if approved_only else Report.status.in_(COUNTED)


def _where(root: OrgUnit, start: date, end: date, approved_only: bool):
    return and_(Report.unit_path.startswith(root.path), Report.activity_date >= start,
                Report.activity_date <= end, _statuses(approved_only))


def child_key(session: AsyncSession, path_column, root: OrgUnit):
    """SQL for the id (as text) of the root's child whose subtree holds the row; '' for the root itself."""
    return rollup_scan.child_key(session.bind.dialect.name, path_column, root)


async def _scan(session: AsyncSession, root: OrgUnit, start: date, end: date, approved_only: bool,
                kinds: dict[str, list[str]] | None = None, deadline: datetime = NO_DEADLINE) -> rollup_scan.Figures:
    statuses = _status_list(approved_only)
    if rollup_totals.whole_year(start, end):
        return await rollup_totals.figures(session, root, start.year, deadline, statuses, kinds)
    return await rollup_scan.figures(session, root, start, end, deadline, statuses, kinds)


def _unit_id(root: OrgUnit, key: str) -> int:
    return int(key) if key else root.id


def _type_totals(root: OrgUnit, found: rollup_scan.Figures, kinds: dict[str, list[str]] | None
                 ) -> dict[int, dict[str, TypeTotal]]:
    """{child unit id: {type id: TypeTotal}} from the scan, each type's counts named (`people` from its column)."""
    extra = rollup_scan.extra_counts(kinds)
    result: dict[int, dict[str, TypeTotal]] = {}
    for (child, type_id), (n, people, teams, *sums) in found.totals.items():
        named = {"people": people, **dict(zip(extra, sums, strict=True))}
        counts = {c: named.get(c) for c in (kinds or {}).get(type_id, [])}
        result.setdefault(_unit_id(root, child), {})[type_id] = TypeTotal(n, people, teams, counts)
    return result


async def totals_by_unit_and_type(session: AsyncSession, root: OrgUnit, start: date, end: date,
                                  approved_only: bool = False, kinds: dict[str, list[str]] | None = None
                                  ) -> dict[int, dict[str, TypeTotal]]:
    """{child unit id: {type id: TypeTotal}}: one scan (bot/services/rollup_scan.py). With `kinds`
    ({type id: its count ids}) each TypeTotal also sums the type's counts."""
    return _type_totals(root, await _scan(session, root, start, end, approved_only, kinds), kinds)


async def monthly(session: AsyncSession, root: OrgUnit, start: date, end: date, approved_only: bool = False,
                  agencies_too: bool = False) -> dict[tuple[int, int], tuple[int, int | None]]:
    """{(year, month): (reports, people helped)} of the subtree, for the chart's line (months with none absent);
    the agency groups `rollup` leaves out are taken off."""
    statuses = _status_list(approved_only)
    months = rollup_totals.months if rollup_totals.whole_months(start, end) else rollup_scan.months
    found = dict(await months(session, root, start, end, statuses))
    for group in await agencies.apart_from(session, root, agencies_too):
        for key, (n, people) in (await months(session, group, start, end, statuses)).items():
            total, helped = found.pop(key)
            if total > n:
                found[key] = (total - n, None if helped is None else helped - (people or 0))
    return {(int(key[:4]), int(key[5:7])): value for key, value in found.items()}


async def count_totals(session: AsyncSession, root: OrgUnit, start: date, end: date, count_ids: list[str],
                       approved_only: bool = False, without: list[OrgUnit] = ()) -> dict[str, dict[str, int | None]]:
    """{type id: {count id: sum}} for every count a type asks (None where no report gave that count)."""
    if not count_ids:
        return {}
    if rollup_totals.whole_year(start, end):
        return await rollup_totals.count_totals(session, root, start.year, count_ids, _status_list(approved_only),
                                                without)
    sums = [func.sum(Report.counts[cid].as_integer()).label(f"c{i}") for i, cid in enumerate(count_ids)]
    query = (select(Report.type_id, *sums).where(_where(root, start, end, approved_only), *(
        ~Report.unit_path.startswith(unit.path, autoescape=True) for unit in without)).group_by(Report.type_id))
    return {row[0]: {cid: (None if v is None else int(v)) for cid, v in zip(count_ids, row[1:], strict=True)}
            for row in await session.execute(query)}


async def completeness(session: AsyncSession, root: OrgUnit, start: date, end: date, deadline: datetime,
                       approved_only: bool = False) -> dict[int, tuple[int, int, int, int]]:
    """{child unit id: (teams expected, reported, on time, late)}: a team is on time when its first
    report for the period arrived by `deadline`."""
    found = await _scan(session, root, start, end, approved_only, deadline=deadline)
    return {_unit_id(root, key): value for key, value in found.teams.items()}


async def completeness_of(session: AsyncSession, root: OrgUnit, spans: list[tuple[date, date, datetime]],
                          approved_only: bool = False) -> list[dict[int, tuple[int, int, int, int]]]:
    """`completeness` of several periods (first day, last day, deadline) from one grouped scan of their reports
    (bot/services/rollup_periods.py), not one scan each."""
    found = await rollup_periods.teams(session, root, spans, _status_list(approved_only))
    return [{_unit_id(root, key): value for key, value in teams.items()} for teams in found]


async def rollup(session: AsyncSession, root: OrgUnit, start: date, end: date, *, deadline: datetime,
                 count_ids: list[str], approved_only: bool = False, kinds: dict[str, list[str]] | None = None,
                 agencies_too: bool = False) -> Rollup:
    """Everything `cdsbot reports summary` and the officers' view show, for one subtree and period; the agency
    groups straight below a territorial root are left out unless `agencies_too` (bot/services/agencies.py)."""
    found = await _scan(session, root, start, end, approved_only, kinds, deadline)
    totals = _type_totals(root, found, kinds)
    teams = {_unit_id(root, key): value for key, value in found.teams.items()}
    # A retired unit nests under its successor (bot/services/remap_apply.py), so its reports count there;
    # it has a row of its own only where it has figures (the successor's predecessors, side by side).
    children = list((await session.execute(
        select(OrgUnit).where(OrgUnit.parent_id == root.id, or_(OrgUnit.retired_on.is_(None),
                                                                OrgUnit.id.in_(set(totals) | set(teams))))
        .order_by(OrgUnit.name)
    )).scalars())
    apart = await agencies.apart_from(session, root, agencies_too)
    children = agencies.rows_of(children, apart)
    result = Rollup(root, start, end, approved_only)
    has_own_team = root.id in teams or root.id in totals or not children
    for unit in children + ([root] if has_own_team else []):
        expected, reported, on_time, late = teams.get(unit.id, (0, 0, 0, 0))
        result.units.append(UnitRow(unit, totals.get(unit.id), expected, reported, on_time, late,
                                    own_team=unit.id == root.id))
    result.total = total_row(root, result.units)
    result.counts = await count_totals(session, root, start, end, count_ids, approved_only, apart)
    return result


def total_row(root: OrgUnit, rows: list[UnitRow]) -> UnitRow:
    """The total row of a roll-up (the whole subtree) as the sum of its rows, so every view that regroups rows
    (today's tree here, the tree of a past day in bot/services/rollup_history.py) totals them alike; no team
    is in two rows."""
    by_type: dict[str, TypeTotal] = {}
    for row in rows:
        for type_id, part in (row.by_type or {}).items():
            seen = by_type.get(type_id, TypeTotal(0, None, 0))
            counts = {c: plus(seen.counts.get(c), v) for c, v in part.counts.items()}
            by_type[type_id] = TypeTotal(seen.reports + part.reports, plus(seen.people, part.people),
                                         seen.teams + part.teams, counts)
    return UnitRow(root, by_type or None, *(sum(getattr(r, f) for r in rows)
                                            for f in ("expected", "reported", "on_time", "late")))


def plus(a: int | None, b: int | None) -> int | None:
    """a + b where None means "no figure" (not zero), so adding up rows keeps "no data" apart from 0: None
    only when both are None."""
    return a if b is None else (a or 0) + b


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
