"""One pass over a subtree's report rows for a period, aggregated two ways in a single statement.

The rows are first grouped per team, unit path and type (a few thousand groups for a province-year
of a million reports: the only step that reads report rows). That CTE is then summed per child unit
and type (the roll-up's cells) and per team's first report time (completeness and timeliness), sent
back in one UNION ALL. The chart's months come from a grouping by day (cheap: a fixed-width key).
Results are kept for a minute and reused while no report, review or team changed (`data_stamp`).
A whole calendar year is not scanned: bot/services/rollup_totals.py reads the trigger-kept totals.
"""

import time
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Integer, String, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit, Team
from bot.db.reports import Report, ReportEvent

TOTALS, TEAMS = 1, 3
CACHE_SECONDS, CACHE_SIZE = 60, 64
_cache: dict[tuple, tuple[tuple, float, "Figures"]] = {}  # key → (data stamp, when, figures)


@dataclass
class Figures:
    """What one scan gives: {(child key, type): row} and {child key: team figures}."""

    totals: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (n, people, teams, *extra sums)
    teams: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # expected, reported, on time, late


def extra_counts(kinds: dict[str, list[str]] | None) -> list[str]:
    """The count ids read from the JSON column (all but `people`, which has a column of its own), sorted."""
    return sorted({c for ids in (kinds or {}).values() for c in ids} - {"people"})


def child_key(dialect: str, path_column, root: OrgUnit):
    """SQL for the id (as text) of the root's child whose subtree holds the row; '' for the root itself."""
    rest = func.substr(path_column, len(root.path) + 1)
    if dialect == "sqlite":
        return func.substr(rest, 1, func.instr(rest, "/") - 1)
    return func.split_part(rest, "/", 1)


def _scan(where, kinds: dict[str, list[str]], extra: list[str]):
    """The grouped rows: per team, path and type; JSON counts read only for the types that ask them."""
    sums = [func.sum(case((Report.type_id.in_([t for t, ids in kinds.items() if c in ids]),
                           Report.counts[c].as_integer()))).label(f"c{i}") for i, c in enumerate(extra)]
    query = (select(Report.team_id, Report.unit_path, Report.type_id, func.count().label("n"),
                    func.sum(Report.people).label("people"), func.min(Report.created_at).label("first_at"), *sums)
             .where(where).group_by(Report.team_id, Report.unit_path, Report.type_id))
    return query.cte("scan").prefix_with("MATERIALIZED")


def _text(value):
    return cast(value, String)


def _sections(dialect: str, scan, root: OrgUnit, start: date, deadline: datetime, extra: list[str]):
    """The two aggregations over the scan, shaped alike: section, key, type, four figures, the extra sums."""
    key = child_key(dialect, scan.c.unit_path, root)
    totals = (select(literal(TOTALS), _text(key), scan.c.type_id, func.sum(scan.c.n), func.sum(scan.c.people),
                     func.count(scan.c.team_id.distinct()), cast(null(), Integer),
                     *(func.sum(scan.c[f"c{i}"]) for i in range(len(extra))))
              .group_by(key, scan.c.type_id))
    first = select(scan.c.team_id, func.min(scan.c.first_at).label("first_at")).group_by(scan.c.team_id).subquery()
    return union_all(totals, teams_section(dialect, first, root, start, deadline, len(extra)))


def teams_section(dialect: str, first, root: OrgUnit, start: date, deadline: datetime, blanks: int = 0):
    """Per child unit: active teams, teams with a first report (`first`: team_id, first_at), on time, late.
    A team whose unit was retired before the period began is expected no more (unless it reported in it)."""
    unit_key = child_key(dialect, OrgUnit.path, root)
    return (select(literal(TEAMS), _text(unit_key), _text(null()), func.count(Team.id), func.count(first.c.team_id),
                   func.sum(case((first.c.first_at <= deadline, 1), else_=0)),
                   func.sum(case((first.c.first_at > deadline, 1), else_=0)), *[cast(null(), Integer)] * blanks)
            .select_from(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
            .outerjoin(first, first.c.team_id == Team.id)
            .where(OrgUnit.path.startswith(root.path), Team.active,
                   or_(OrgUnit.retired_on.is_(None), OrgUnit.retired_on > start, first.c.team_id.is_not(None)))
            .group_by(unit_key))


def collect(rows) -> Figures:
    """Figures from rows shaped as `_sections` gives them."""
    found = Figures()
    for section, key, type_id, a, b, c, d, *sums in rows:
        whole = [None if v is None else int(v) for v in (a, b, c, d, *sums)]
        if section == TOTALS:
            found.totals[(key or "", type_id)] = (whole[0], whole[1], whole[2], *whole[4:])
        else:
            found.teams[key or ""] = (whole[0], whole[1], whole[2] or 0, whole[3] or 0)
    return found


async def data_stamp(session: AsyncSession) -> tuple:
    """What changes whenever a report is filed, sent again or decided (each adds a row or an event), or the
    active teams change: three index lookups, so a cached scan is reused only while it is still exact."""
    stamp = select(*(select(value).scalar_subquery() for value in (
        func.max(Report.id), func.max(ReportEvent.id),
        select(func.count(Team.id)).where(Team.active).scalar_subquery(),
        select(func.coalesce(func.sum(Team.id), 0)).where(Team.active).scalar_subquery())))
    return tuple((await session.execute(stamp)).one())


def clear_cache() -> None:
    """Forget every cached scan (tests and the benchmark measure cold scans with it)."""
    _cache.clear()


async def cached(session: AsyncSession, key: tuple, compute):
    """`compute()` once per key, reused for CACHE_SECONDS while `data_stamp` is unchanged (drilling down and back)."""
    key = (id(session.bind), str(session.bind.url), *key)
    stamp, now = await data_stamp(session), time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp and now - hit[1] < CACHE_SECONDS:
        return hit[2]
    found = await compute()
    if len(_cache) >= CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = (stamp, now, found)
    return found


def _where(root: OrgUnit, start: date, end: date, statuses: tuple[str, ...]):
    return and_(Report.unit_path.startswith(root.path), Report.activity_date >= start,
                Report.activity_date <= end, Report.status.in_(statuses))


async def figures(session: AsyncSession, root: OrgUnit, start: date, end: date, deadline: datetime,
                  statuses: tuple[str, ...], kinds: dict[str, list[str]] | None = None) -> Figures:
    """Scan the subtree's counted reports once; `kinds` ({type: count ids}) adds sums of the JSON counts."""
    kinds = kinds or {}
    key = ("figures", root.path, start, end, deadline, statuses, tuple((k, tuple(v)) for k, v in kinds.items()))
    return await cached(session, key, lambda: _figures(session, root, start, end, deadline, statuses, kinds))


async def months(session: AsyncSession, root: OrgUnit, start: date, end: date, statuses: tuple[str, ...]
                 ) -> dict[str, tuple[int, int | None]]:
    """{'YYYY-MM': (reports, people helped)} of the subtree (months with none absent), grouped by day in SQL."""
    async def compute():
        day = Report.activity_date
        query = (select(day, func.count(), func.sum(Report.people))
                 .where(_where(root, start, end, statuses)).group_by(day))
        found: dict[str, tuple[int, int | None]] = {}
        for when, n, people in await session.execute(query):
            month = str(when)[:7]
            seen_n, seen_people = found.get(month, (0, None))
            found[month] = (seen_n + n, seen_people if people is None else (seen_people or 0) + int(people))
        return found

    return await cached(session, ("months", root.path, start, end, statuses), compute)


async def tune(session: AsyncSession) -> None:
    """On PostgreSQL, for this transaction: group in memory instead of spilling to disk, no JIT (it costs more
    than it saves on these groupings), and a plan for the dates at hand each time (after five runs of a prepared
    statement PostgreSQL may switch to a generic plan, three times slower here)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(select(func.set_config("work_mem", "64MB", True), func.set_config("jit", "off", True),
                                     func.set_config("plan_cache_mode", "force_custom_plan", True)))


async def _figures(session: AsyncSession, root: OrgUnit, start: date, end: date, deadline: datetime,
                   statuses: tuple[str, ...], kinds: dict[str, list[str]]) -> Figures:
    """The scan itself, one statement."""
    extra = extra_counts(kinds)
    dialect = session.bind.dialect.name
    where = _where(root, start, end, statuses)
    await tune(session)
    return collect(await session.execute(_sections(dialect, _scan(where, kinds, extra), root, start, deadline, extra)))
