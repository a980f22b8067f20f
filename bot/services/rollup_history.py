"""Roll-ups on the tree as it stood at a date, and a second period's figures beside the first.

After a remap (bot/services/remap_apply.py) old units nest under their successors, each report's path
still ends with the unit it was filed for, and the lineage keeps each moved unit's former parent and each
team's former unit. The tree as at a date is rebuilt from those: the units valid that day under the parents
they had then; reports count under the units they were filed for, teams at the units they were at. Reports
of units formed after that date keep a row of their own, so no report is lost from the total.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.lineage import UnitLineage
from bot.db.models import OrgUnit, Team
from bot.db.reports import Report
from bot.services import agencies, reports, rollup_scan
from bot.services.report_types import load_report_types

MAX_DEPTH = 64  # a guard against a broken lineage going round in circles


@dataclass
class Tree:
    """The tree as it stood on `day`: every unit, the parent it had then, and the unit each team was at."""

    day: date
    units: dict[int, OrgUnit]
    parent: dict[int, int | None]
    team_unit: dict[int, int] = field(default_factory=dict)  # teams that were active then → their unit then

    def valid(self, unit: OrgUnit) -> bool:
        """The unit existed on the day (formed by then, not yet retired)."""
        return (unit.valid_from is None or unit.valid_from <= self.day) and \
            (unit.retired_on is None or unit.retired_on > self.day)

    def ancestors(self, unit_id: int) -> list[OrgUnit]:
        """The unit's ancestors on the day, nearest first."""
        found, current = [], self.parent.get(unit_id)
        while current is not None and len(found) < MAX_DEPTH:
            found.append(self.units[current])
            current = self.parent.get(current)
        return found

    def rows(self, root_id: int) -> dict[int, int]:
        """{unit id: the root's child it was under on the day (the root's own id for the root)} for its subtree."""
        row_of: dict[int, int | None] = {root_id: root_id}

        def climb(unit_id: int) -> int | None:
            trail, current = [], unit_id
            while current is not None and current not in row_of and len(trail) < MAX_DEPTH:
                trail.append(current)
                current = self.parent.get(current)
            found = trail[-1] if current == root_id and trail else row_of.get(current)
            row_of.update(dict.fromkeys(trail, found))  # the root's child answers for everything under it
            return found

        return {unit_id: row for unit_id in self.units if (row := climb(unit_id)) is not None}


async def tree_as_at(session: AsyncSession, day: date) -> Tree:
    """Rebuild the tree of `day` from the units' dates and the lineage of the changes made after it."""
    units = {u.id: u for u in (await session.execute(select(OrgUnit))).scalars()}
    parent = {u.id: u.parent_id for u in units.values()}
    later = (await session.execute(select(UnitLineage).where(UnitLineage.effective_on > day)
                                   .order_by(UnitLineage.effective_on.desc(), UnitLineage.id.desc()))).scalars()
    team_unit: dict[int, int] = {}
    for link in later:  # latest first, so the earliest change after the day has the last word
        parent[link.old_unit_id] = link.old_parent_id
        if link.team_id is not None:
            team_unit[link.team_id] = link.old_unit_id
    tree = Tree(day, units, parent)
    teams = (await session.execute(select(Team.id, Team.unit_id).where(Team.active))).all()
    tree.team_unit = {tid: uid for tid, uid in teams if tid not in team_unit and tree.valid(units[uid])} | team_unit
    return tree


async def _rows_of(session: AsyncSession, tree: Tree, root: OrgUnit, agencies_too: bool
                   ) -> tuple[set[int], dict[int, int]]:
    """The agency groups left out below a territorial root, and {unit id: its row} for the rest of the subtree."""
    apart = {group.id for group in await agencies.apart_from(session, root, agencies_too)}
    return apart, {unit_id: row for unit_id, row in tree.rows(root.id).items() if row not in apart}


def _filed_unit(path: str) -> int:
    """The unit a report was filed for: the last id of its path."""
    return int(path.rstrip("/").rsplit("/", 1)[-1])


async def _groups(session: AsyncSession, start: date, end: date, statuses: tuple[str, ...], extra: list[str],
                  kinds: dict[str, list[str]]):
    """Counted reports of the period grouped per team, path and type, with the JSON counts the types ask."""
    sums = [func.sum(case((Report.type_id.in_([t for t, ids in kinds.items() if c in ids]),
                           Report.counts[c].as_integer()))) for c in extra]
    query = (select(Report.team_id, Report.unit_path, Report.type_id, func.count(), func.sum(Report.people),
                    func.min(Report.created_at), *sums)
             .where(Report.activity_date >= start, Report.activity_date <= end, Report.status.in_(statuses))
             .group_by(Report.team_id, Report.unit_path, Report.type_id))
    return (await session.execute(query)).all()


@dataclass
class _Cell:
    """One row's figures for one report type, summed while reading the groups."""

    n: int = 0
    people: int | None = None
    teams: set[int] = field(default_factory=set)
    counts: dict[str, int | None] = field(default_factory=dict)

    def total(self, count_ids: list[str]) -> reports.TypeTotal:
        return reports.TypeTotal(self.n, self.people, len(self.teams), {c: self.counts.get(c) for c in count_ids})


async def rollup_as_at(session: AsyncSession, root: OrgUnit, start: date, end: date, *, day: date,
                       deadline: datetime, approved_only: bool = False, kinds: dict[str, list[str]] | None = None,
                       agencies_too: bool = False) -> reports.Rollup:
    """The roll-up of `root` for a period on the tree as it stood on `day` (same shape as `reports.rollup`, the
    agency groups below a territorial root left out the same way unless `agencies_too`)."""
    kinds = kinds or {}
    tree = await tree_as_at(session, day)
    apart, row_of = await _rows_of(session, tree, root, agencies_too)
    extra = rollup_scan.extra_counts(kinds)
    cells: dict[int, dict[str, _Cell]] = defaultdict(dict)
    first: dict[int, datetime] = {}
    statuses = ("approved",) if approved_only else reports.COUNTED
    for team_id, path, type_id, n, people, first_at, *sums in await _groups(session, start, end, statuses, extra,
                                                                            kinds):
        row = row_of.get(_filed_unit(path))
        if row is None:
            continue
        cell = cells[row].setdefault(type_id, _Cell())
        named = {"people": _int(people), **{c: _int(v) for c, v in zip(extra, sums, strict=True)}}
        cell.n, cell.people = cell.n + n, reports.plus(cell.people, named["people"])
        cell.teams.add(team_id)
        for count_id in kinds.get(type_id, []):
            cell.counts[count_id] = reports.plus(cell.counts.get(count_id), named.get(count_id))
        first[team_id] = min(first.get(team_id, first_at), first_at)
    teams = _completeness(tree, row_of, first, deadline)
    return _assemble(tree, root, (start, end, approved_only), cells, teams, kinds, apart)


def _completeness(tree: Tree, row_of: dict[int, int], first: dict[int, datetime], deadline: datetime
                  ) -> dict[int, list[int]]:
    """{row: [teams expected, reported, on time, late]} for the teams active at the units they were at."""
    teams: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for team_id, unit_id in tree.team_unit.items():
        row = row_of.get(unit_id)
        if row is None:
            continue
        figures, when = teams[row], first.get(team_id)
        figures[0] += 1
        if when is not None:
            figures[1] += 1
            figures[2 if when <= deadline else 3] += 1
    return teams


def _int(value) -> int | None:
    return None if value is None else int(value)


def _assemble(tree: Tree, root: OrgUnit, period: tuple[date, date, bool], cells: dict, teams: dict,
              kinds: dict[str, list[str]], apart: set[int]) -> reports.Rollup:
    """The rows: the root's children on the day (and any child with figures), the root's own team, the total."""
    children = sorted((u for u in tree.units.values() if tree.parent.get(u.id) == root.id and u.id != root.id
                       and u.id not in apart and (tree.valid(u) or u.id in cells or u.id in teams)),
                      key=lambda u: u.name)
    result = reports.Rollup(root, *period)
    own = root.id in cells or root.id in teams or not children
    for unit in children + ([root] if own else []):
        by_type = {t: cell.total(kinds.get(t, [])) for t, cell in cells[unit.id].items()} if unit.id in cells else None
        result.units.append(reports.UnitRow(unit, by_type, *teams.get(unit.id, (0, 0, 0, 0)),
                                            own_team=unit.id == root.id))
    result.total = reports.total_row(root, result.units)
    result.counts = {t: dict(part.counts) for t, part in (result.total.by_type or {}).items()}
    return result


@dataclass(frozen=True)
class Pair:
    """One row of two periods side by side: the same unit's row in each (None where it has no row)."""

    unit: OrgUnit
    own_team: bool
    first: reports.UnitRow | None
    second: reports.UnitRow | None
    total: bool = False

    def values(self, figure: str) -> tuple[int | None, int | None, int | None]:
        """(first, second, first − second) of `reports` or `people`; None is "no data", never zero."""
        a = getattr(self.first, figure) if self.first is not None else None
        b = getattr(self.second, figure) if self.second is not None else None
        return a, b, (None if a is None or b is None else a - b)


def side_by_side(first: reports.Rollup, second: reports.Rollup) -> list[Pair]:
    """The rows of both roll-ups matched by unit: the first's order, rows only the second has, then the total."""
    others = {(row.unit.id, row.own_team): row for row in second.units}
    pairs = [Pair(row.unit, row.own_team, row, others.pop((row.unit.id, row.own_team), None)) for row in first.units]
    pairs += [Pair(row.unit, row.own_team, None, row) for row in second.units if (row.unit.id, row.own_team) in others]
    return pairs + [Pair(first.root, False, first.total, second.total, total=True)]


async def rollup_on(session: AsyncSession, root: OrgUnit, start: date, end: date, *, day: date | None,
                    deadline: datetime, approved_only: bool = False, count_ids: list[str] | None = None,
                    kinds: dict[str, list[str]] | None = None, agencies_too: bool = False) -> reports.Rollup:
    """On today's tree (`day` None: old units' reports under their successors, the fast path) or as at `day`
    (where every type's counts are summed, `kinds` or not)."""
    if day is None:
        return await reports.rollup(session, root, start, end, deadline=deadline, count_ids=count_ids or [],
                                    approved_only=approved_only, kinds=kinds, agencies_too=agencies_too)
    kinds = kinds or {kind.id: [c.id for c in kind.counts] for kind in load_report_types().values()}
    return await rollup_as_at(session, root, start, end, day=day, deadline=deadline, approved_only=approved_only,
                              kinds=kinds, agencies_too=agencies_too)


async def trail_as_at(session: AsyncSession, unit: OrgUnit, day: date) -> list[OrgUnit]:
    """The unit's ancestors on the tree of `day`, from the top down, then the unit (the page's breadcrumb)."""
    tree = await tree_as_at(session, day)
    return list(reversed(tree.ancestors(unit.id))) + [unit]


async def paths_as_at(session: AsyncSession, root: OrgUnit, day: date, agencies_too: bool = False) -> list[str]:
    """The paths of the units under `root` on the tree of `day` (its reports are those filed for them)."""
    tree = await tree_as_at(session, day)
    return sorted({tree.units[unit_id].path for unit_id in (await _rows_of(session, tree, root, agencies_too))[1]})


async def monthly_as_at(session: AsyncSession, root: OrgUnit, start: date, end: date, *, day: date,
                        approved_only: bool = False, agencies_too: bool = False
                        ) -> dict[tuple[int, int], tuple[int, int | None]]:
    """{(year, month): (reports, people)} of the root's subtree on the tree of `day` (the chart's line)."""
    paths = await paths_as_at(session, root, day, agencies_too)
    statuses = ("approved",) if approved_only else reports.COUNTED
    query = (select(Report.activity_date, func.count(), func.sum(Report.people))
             .where(Report.unit_path.in_(paths), Report.activity_date >= start, Report.activity_date <= end,
                    Report.status.in_(statuses)).group_by(Report.activity_date))
    found: dict[tuple[int, int], tuple[int, int | None]] = {}
    for when, n, people in await session.execute(query):
        seen_n, seen_people = found.get((when.year, when.month), (0, None))
        found[(when.year, when.month)] = (seen_n + n, reports.plus(seen_people, _int(people)))
    return found
