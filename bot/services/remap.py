"""Re-map the org tree onto a reorganised one (`cdsbot units remap MAP.csv`): read and check the map, then plan.

A map row says that from the effective date the old unit `old_code` is (part of) the unit `new_code`:
a new unit (named by `new_name`, `new_kind`, `new_parent_code`) or a current unit the map does not retire.
A row without `old_code` creates a unit with no predecessor; a row without `new_code` retires a unit with
no successor (a district when districts are abolished). Every problem refuses the whole map, by line.
The plan is what the preview shows and what `remap_apply` writes; computing it changes nothing.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team
from bot.services import roster

MAP_COLUMNS = ["old_code", "new_code", "new_name", "new_kind", "new_parent_code"]


@dataclass(frozen=True)
class MapRow:
    """One line of a map file."""

    line: int
    old_code: str
    new_code: str
    new_name: str
    new_kind: str
    new_parent_code: str


@dataclass
class Plan:
    """What a remap does: every figure of the preview, and the links it records."""

    effective: date
    problems: list[str] = field(default_factory=list)  # "MAP.csv:line: what"; any refuses the map
    created: list[roster.RosterRow] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # old codes
    successor: dict[str, str] = field(default_factory=dict)  # old code → the new code its team and history go to
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (old code, new code, merge|split|rename)
    merged: dict[str, list[str]] = field(default_factory=dict)  # new code → the old codes merged into it
    moves: dict[str, str] = field(default_factory=dict)  # unmapped unit code → its new parent's code
    keeper: dict[str, int] = field(default_factory=dict)  # new code → the team id that moves there
    folded: dict[int, int] = field(default_factory=dict)  # team id → the team its members join
    teams_moved: int = 0
    members_moved: int = 0
    codes_kept: int = 0
    codes_issued: int = 0
    left: list[str] = field(default_factory=list)  # current units under a retired one that nothing maps
    names: dict[str, str] = field(default_factory=dict)  # code → name of the units after the remap
    old_names: dict[str, str] = field(default_factory=dict)  # code → name of the current units
    teams: dict[str, tuple[str, int]] = field(default_factory=dict)  # old code → its team's (name, members)
    team_of: dict[str, int] = field(default_factory=dict)  # old code → its team's id (kept in the lineage)

    @property
    def fresh(self) -> list[roster.RosterRow]:
        """New units no old team moves to: each gets a team of its own with a new invite code."""
        return [r for r in self.created if r.code not in self.keeper and r.code not in self.merged]

    @property
    def orphans(self) -> list[str]:
        """Retired units with no successor (districts): their teams stay until an officer moves them."""
        return [code for code in self.retired if code not in self.successor]


def read_map(path: Path) -> tuple[list[MapRow], list[str]]:
    """The rows of a map file and its problems (file:line), comments (#) and blank lines skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot read: {exc}"]
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    try:
        records = [(reader.line_num, [c.strip() for c in cells]) for cells in reader if "".join(cells).strip()]
    except csv.Error as exc:  # e.g. a field over the csv module's limit
        return [], [f"{path}:{reader.line_num}: {exc}"]
    if not records or records[0][1] != MAP_COLUMNS:
        return [], [f"{path}:{records[0][0] if records else 1}: columns must be {','.join(MAP_COLUMNS)}"]
    rows, problems = [], []
    for line, cells in records[1:]:
        if len(cells) != len(MAP_COLUMNS):
            problems.append(f"{path}:{line}: expected {len(MAP_COLUMNS)} columns, found {len(cells)}")
        elif not cells[0] and not cells[1]:
            problems.append(f"{path}:{line}: neither an old nor a new code")
        else:
            rows.append(MapRow(line, *cells))
    return rows, problems


async def plan_remap(session: AsyncSession, path: Path, effective: date) -> Plan:
    """Check the map against the current tree and work out everything the remap would change."""
    rows, problems = read_map(path)
    plan = Plan(effective, problems)
    current = {u.code: u for u in (await session.execute(
        select(OrgUnit).where(OrgUnit.retired_on.is_(None)))).scalars()}
    plan.problems += _unknown_codes(path, rows, current) + _cycles(path, rows)
    retiring = {r.old_code for r in rows if r.old_code in current}
    plan.created, new_problems = _new_units(path, rows, current, retiring)
    plan.problems += new_problems
    if plan.problems:
        return plan
    plan.retired = sorted(retiring)
    plan.old_names = {code: unit.name for code, unit in current.items()}
    plan.names = plan.old_names | {r.code: r.name for r in plan.created}
    _links(plan, rows, current)
    _moves(plan, current)
    await _teams(session, plan, current)
    return plan


def _unknown_codes(path: Path, rows: list[MapRow], current: dict[str, OrgUnit]) -> list[str]:
    """Old codes that are no current unit, links given twice, and a unit put inside itself."""
    problems, seen = [], {}
    retiring = {r.old_code for r in rows}
    for row in rows:
        if row.old_code and row.old_code not in current:
            problems.append(f"{path}:{row.line}: unknown unit code {row.old_code}")
        elif row.old_code and row.new_code in current and row.new_code not in retiring \
                and current[row.new_code].path.startswith(current[row.old_code].path):
            problems.append(f"{path}:{row.line}: unit {row.old_code} cannot become {row.new_code}, which is inside it")
        pair = (row.old_code, row.new_code)
        if pair in seen:
            problems.append(f"{path}:{row.line}: the same link as line {seen[pair]}")
        seen.setdefault(pair, row.line)
    return problems


def _cycles(path: Path, rows: list[MapRow]) -> list[str]:
    """Links between different codes that lead back to where they started (A → B, B → A): refused, by line."""
    links: dict[str, list[MapRow]] = {}
    for row in rows:
        if row.old_code and row.new_code and row.old_code != row.new_code:
            links.setdefault(row.old_code, []).append(row)
    problems, reported = [], set()
    for start in links:
        stack = [(start, [])]
        while stack:
            code, trail = stack.pop()
            for row in links.get(code, []):
                if row.new_code == start and frozenset(r.line for r in trail + [row]) not in reported:
                    loop = trail + [row]
                    reported.add(frozenset(r.line for r in loop))
                    chain = " → ".join([r.old_code for r in loop] + [start])
                    problems.append(f"{path}:{','.join(str(r.line) for r in loop)}: the map goes round in a cycle"
                                    f" ({chain})")
                elif row.new_code not in {r.old_code for r in trail} and row.new_code != start:
                    stack.append((row.new_code, trail + [row]))
    return problems


def _new_units(path: Path, rows: list[MapRow], current: dict[str, OrgUnit], retiring: set[str]
               ) -> tuple[list[roster.RosterRow], list[str]]:
    """The units the map creates (a new code that is no current unit, or one it retires), checked like a roster."""
    first: dict[str, MapRow] = {}
    problems = []
    for row in rows:
        if not row.new_code or (row.new_code in current and row.new_code not in retiring):
            continue
        seen = first.setdefault(row.new_code, row)
        described = (row.new_name, row.new_kind, row.new_parent_code)
        if seen is not row and any(described) and described != (seen.new_name, seen.new_kind, seen.new_parent_code):
            problems.append(f"{path}:{row.line}: unit {row.new_code} is described differently on line {seen.line}")
    created = [roster.RosterRow(r.new_code, " ".join(r.new_name.split()), r.new_kind, r.new_parent_code,
                                str(path), r.line) for r in first.values()]
    staying = {c: (u.parent_id, u.id) for c, u in current.items() if c not in retiring}
    code_of = {u.id: c for c, u in current.items()}
    existing = {c: code_of.get(parent) for c, (parent, _id) in staying.items()}
    return created, problems + roster.check_new_units(created, existing)


def _links(plan: Plan, rows: list[MapRow], current: dict[str, OrgUnit]) -> None:
    """Each old unit's successors (the first line is where its team and history go) and the links' kinds:
    merge (several became one), split (one became several), else rename (a new name) or move."""
    successors: dict[str, list[str]] = {}
    preds: dict[str, list[str]] = {}
    retired = set(plan.retired)
    names = {c: u.name for c, u in current.items() if c not in retired} | {r.code: r.name for r in plan.created}
    for row in rows:
        if row.old_code and row.new_code:
            successors.setdefault(row.old_code, []).append(row.new_code)
            preds.setdefault(row.new_code, []).append(row.old_code)
    for old, news in successors.items():
        plan.successor[old] = news[0]
        plan.merged.setdefault(news[0], []).append(old)
        for new in news:
            kind = "split" if len(news) > 1 else "merge" if len(preds[new]) > 1 else (
                "rename" if names.get(new) != current[old].name else "move")
            plan.links.append((old, new, kind))
    plan.merged = {new: olds for new, olds in plan.merged.items() if len(olds) > 1}


def _moves(plan: Plan, current: dict[str, OrgUnit]) -> None:
    """Units the map does not name, below a retired unit: they move to its successor, or are left (listed)."""
    by_id = {u.id: u for u in current.values()}
    retiring = set(plan.retired)
    for code, unit in current.items():
        parent = by_id.get(unit.parent_id)
        if code in retiring or parent is None or parent.code not in retiring:
            continue
        if parent.code in plan.successor:
            plan.moves[code] = plan.successor[parent.code]
        else:
            plan.left.append(code)


async def _teams(session: AsyncSession, plan: Plan, current: dict[str, OrgUnit]) -> None:
    """Which team each new unit keeps (its own code's predecessor first), whose members join it, codes issued."""
    teams = {t.unit_id: t for t in (await session.execute(select(Team).where(Team.active))).scalars()}
    members = dict((await session.execute(select(Member.team_id, func.count()).group_by(Member.team_id))).all())
    preds: dict[str, list[str]] = {}
    for old, new in plan.successor.items():
        preds.setdefault(new, []).append(old)
    for new, olds in preds.items():
        staying = current.get(new) if new not in plan.successor else None
        candidates = [(o, teams[current[o].id]) for o in sorted(olds, key=lambda o: o != new) if current[o].id in teams]
        keeper = teams.get(staying.id) if staying is not None else (candidates[0][1] if candidates else None)
        if keeper is None:
            continue
        if staying is None:
            plan.keeper[new] = keeper.id
            plan.teams_moved += 1
        for old, team in candidates:
            plan.teams[old], plan.team_of[old] = (team.name, members.get(team.id, 0)), team.id
            if team.id != keeper.id:
                plan.folded[team.id] = keeper.id
                plan.members_moved += members.get(team.id, 0)
    plan.teams_moved += sum(current[code].id in teams for code in plan.moves)
    plan.codes_kept = len(plan.keeper)
    plan.codes_issued = sum(r.code not in plan.keeper for r in plan.created)
