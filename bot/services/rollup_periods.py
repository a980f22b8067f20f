"""Completeness of many periods in one pass: the year's reporting duties (bot/services/duties.py) on one page.

One scan per period (`reports.completeness`) read a month's or a quarter's report rows again for each of the
year's ~18 duties. Here the report rows of all the periods are read once: the days from the first period's start
to the last one's end are cut at every period's start and end into segments, and the rows are grouped per team
and segment, keeping each team's first filing time. Each period is a run of whole segments, so its teams expected,
reported, on time and late are read from those few thousand groups (`rollup_scan.teams_section`, as a single
scan does).
"""

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit
from bot.db.reports import Report
from bot.services import rollup_scan

Span = tuple[date, date, datetime]  # first day, last day, deadline


def _cuts(spans: list[Span]) -> list[date]:
    """The days where a segment begins (every period's start and the day after its end), in order."""
    return sorted({start for start, _, _ in spans} | {end + timedelta(days=1) for _, end, _ in spans})


async def teams(session: AsyncSession, root: OrgUnit, spans: list[Span],
                statuses: tuple[str, ...]) -> list[dict[str, tuple[int, int, int, int]]]:
    """For each span, what `rollup_scan.figures(...).teams` gives, from one grouped scan (cached as the scans
    are, while no report changes)."""
    if not spans:
        return []
    key = ("span teams", root.path, tuple(spans), statuses)
    return await rollup_scan.cached(session, key, lambda: _teams(session, root, spans, statuses))


async def _teams(session: AsyncSession, root: OrgUnit, spans: list[Span],
                 statuses: tuple[str, ...]) -> list[dict[str, tuple[int, int, int, int]]]:
    dialect, cuts, day = session.bind.dialect.name, _cuts(spans), Report.activity_date
    segment = case(*((day < cut, i) for i, cut in enumerate(cuts[1:-1])), else_=len(cuts) - 2) \
        if len(cuts) > 2 else literal(0)
    grouped = (select(Report.team_id, segment.label("segment"), func.min(Report.created_at).label("first_at"))
               .where(and_(Report.unit_path.startswith(root.path), day >= cuts[0], day < cuts[-1],
                           Report.status.in_(statuses)))
               .group_by(Report.team_id, segment).cte("by_segment").prefix_with("MATERIALIZED"))
    parts = []
    for i, (start, end, deadline) in enumerate(spans):
        first = (select(grouped.c.team_id, func.min(grouped.c.first_at).label("first_at"))
                 .where(grouped.c.segment.between(cuts.index(start), cuts.index(end + timedelta(days=1)) - 1))
                 .group_by(grouped.c.team_id).subquery())
        section = rollup_scan.teams_section(dialect, first, root, start, deadline).subquery()
        parts.append(select(literal(i), *section.c))
    await rollup_scan.tune(session)
    rows: list[list] = [[] for _ in spans]
    for i, *row in await session.execute(union_all(*parts)):
        rows[i].append(row)
    return [rollup_scan.collect(found).teams for found in rows]
