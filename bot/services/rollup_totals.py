"""A whole calendar year's roll-up, and whole months for the chart, read from the totals the triggers keep.

bot/db/rollup_totals.py holds, per year, team, unit path, type and status, the reports, people and first
filing time (and per count id the sums; per month the reports): tens of thousands of rows for a million
reports, so a province-year is grouped in milliseconds. The figures are the same as the scan's
(bot/services/rollup_scan.py, which every other period still uses): tests/services/test_rollup_totals.py.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import Integer, String, and_, case, cast, func, literal, null, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit
from bot.db.rollup_totals import RollupMonth, RollupYear, RollupYearCount
from bot.services import rollup_scan


def whole_year(start: date, end: date) -> bool:
    """True when the period is exactly one calendar year, which the yearly totals answer."""
    return (start.month, start.day) == (1, 1) and end == date(start.year, 12, 31)


def whole_months(start: date, end: date) -> bool:
    """True when the period starts on a month's first day and ends on a month's last day."""
    return start.day == 1 and (end + timedelta(days=1)).day == 1 and start <= end


def _where(table, root: OrgUnit, year: int, statuses: tuple[str, ...]):
    return and_(table.year == year, table.unit_path.startswith(root.path), table.status.in_(statuses))


def _sum_or_none(total, given):
    """The sum, or NULL when no report gave the figure (people or a count): "no figure" is not 0."""
    return case((func.sum(given) > 0, func.sum(total)))


async def figures(session: AsyncSession, root: OrgUnit, year: int, deadline: datetime, statuses: tuple[str, ...],
                  kinds: dict[str, list[str]] | None = None) -> rollup_scan.Figures:
    """What `rollup_scan.figures` gives for 1 January–31 December of `year`, from the yearly totals."""
    kinds = kinds or {}
    key = ("year", root.path, year, deadline, statuses, tuple((k, tuple(v)) for k, v in kinds.items()))
    return await rollup_scan.cached(session, key, lambda: _figures(session, root, year, deadline, statuses, kinds))


async def _figures(session: AsyncSession, root: OrgUnit, year: int, deadline: datetime, statuses: tuple[str, ...],
                   kinds: dict[str, list[str]]) -> rollup_scan.Figures:
    """The cells and the completeness in one statement, then the counts' sums when asked: the year's rows are
    read once, grouped per child unit, type and team (hash grouping; no count of distinct teams to sort for)."""
    dialect, extra, y = session.bind.dialect.name, rollup_scan.extra_counts(kinds), RollupYear
    key = rollup_scan.child_key(dialect, y.unit_path, root)
    part = (select(cast(key, String).label("key"), y.type_id, y.team_id, func.sum(y.reports).label("n"),
                   func.sum(y.people).label("people"), func.sum(y.people_n).label("people_n"),
                   func.min(y.first_at).label("first_at"))
            .where(_where(y, root, year, statuses)).group_by(key, y.type_id, y.team_id)
            .cte("part").prefix_with("MATERIALIZED"))
    totals = (select(literal(rollup_scan.TOTALS), part.c.key, part.c.type_id, func.sum(part.c.n),
                     _sum_or_none(part.c.people, part.c.people_n), func.count(),
                     *[cast(null(), Integer)] * (1 + len(extra)))
              .group_by(part.c.key, part.c.type_id))
    first = select(part.c.team_id, func.min(part.c.first_at).label("first_at")).group_by(part.c.team_id).subquery()
    teams = rollup_scan.teams_section(dialect, first, root, date(year, 1, 1), deadline, len(extra))
    found = rollup_scan.collect(await session.execute(union_all(totals, teams)))
    if extra:
        await _add_counts(session, found, root, year, statuses, kinds, extra)
    return found


async def _add_counts(session: AsyncSession, found: rollup_scan.Figures, root: OrgUnit, year: int,
                      statuses: tuple[str, ...], kinds: dict[str, list[str]], extra: list[str]) -> None:
    """Put each cell's sums of the JSON counts its type asks (None for the others, as the scan does)."""
    c = RollupYearCount
    key = rollup_scan.child_key(session.bind.dialect.name, c.unit_path, root)
    query = (select(cast(key, String), c.type_id, c.count_id, func.sum(c.total))
             .where(_where(c, root, year, statuses), c.count_id.in_(extra)).group_by(key, c.type_id, c.count_id))
    sums = {(k or "", type_id, count_id): int(total) for k, type_id, count_id, total in await session.execute(query)}
    for (k, type_id), row in found.totals.items():
        asked = kinds.get(type_id, [])
        found.totals[(k, type_id)] = (*row[:3], *(sums.get((k, type_id, cid)) if cid in asked else None
                                                  for cid in extra))


async def count_totals(session: AsyncSession, root: OrgUnit, year: int, count_ids: list[str],
                       statuses: tuple[str, ...], without: list[OrgUnit] = ()) -> dict[str, dict[str, int | None]]:
    """{type id: {count id: sum}} of the subtree (less the `without` subtrees) over `year`, for every type with a
    report (None: no figure)."""
    def where(table):
        return and_(_where(table, root, year, statuses),
                    *(~table.unit_path.startswith(unit.path, autoescape=True) for unit in without))

    types = select(RollupYear.type_id).where(where(RollupYear)).distinct()
    c = RollupYearCount
    sums = (select(c.type_id, c.count_id, func.sum(c.total))
            .where(where(c), c.count_id.in_(count_ids)).group_by(c.type_id, c.count_id))
    found = {type_id: dict.fromkeys(count_ids) for type_id in (await session.execute(types)).scalars()}
    for type_id, count_id, total in await session.execute(sums):
        found[type_id][count_id] = int(total)
    return found


async def months(session: AsyncSession, root: OrgUnit, start: date, end: date, statuses: tuple[str, ...]
                 ) -> dict[str, tuple[int, int | None]]:
    """{'YYYY-MM': (reports, people helped)} of the subtree over whole months (months with none absent)."""
    m = RollupMonth
    query = (select(m.year, m.month, func.sum(m.reports), _sum_or_none(m.people, m.people_n))
             .where(tuple_(m.year, m.month).between(tuple_(start.year, start.month), tuple_(end.year, end.month)),
                    m.unit_path.startswith(root.path), m.status.in_(statuses))
             .group_by(m.year, m.month))

    async def compute():
        return {f"{year:04d}-{number:02d}": (int(n), None if people is None else int(people))
                for year, number, n, people in await session.execute(query)}

    return await rollup_scan.cached(session, ("month-totals", root.path, start, end, statuses), compute)
