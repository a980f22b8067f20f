"""Import CSV rosters of org units: validate every row, then apply all or nothing.

A roster file has the columns `code,name,kind,parent_code`; lines starting
with `#` are comments. Importing is idempotent: a unit is found by its code,
so a renamed unit is updated in place, never duplicated.
"""

import csv
import io
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import UNIT_KINDS, OrgUnit, Team

COLUMNS = ["code", "name", "kind", "parent_code"]
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read aloud
INVITE_LENGTH = 8


@dataclass(frozen=True)
class RosterRow:
    code: str
    name: str
    kind: str
    parent_code: str
    file: str
    line: int


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    teams_created: int = 0
    problems: list[str] = field(default_factory=list)


def new_invite_code() -> str:
    """Random, unguessable (31^8 ≈ 8.5e11) and typeable on a phone keypad."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def team_name(unit: OrgUnit) -> str:
    """The team's display name, derived from its unit so a rename carries over."""
    if unit.kind == "province":
        return f"Tổ CNSCĐ Tỉnh đoàn ({unit.name})"
    return f"Tổ CNSCĐ {unit.name}"


def parse_roster(path: Path) -> tuple[list[RosterRow], list[str]]:
    """Read one file; return its rows and the problems found, each with file:line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [f"{path}:{line}: not UTF-8 text"]
    # Comment lines become blank (line numbers stay true); the csv module handles quoting.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    records = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    if not records:
        return [], [f"{path}:1: empty roster"]
    (header_line, header), rows, problems = records[0], [], []
    if [h.strip() for h in header] != COLUMNS:
        return [], [f"{path}:{header_line}: columns must be {','.join(COLUMNS)}, found {','.join(header)}"]
    for line_no, cells in records[1:]:
        if len(cells) != len(COLUMNS):
            problems.append(f"{path}:{line_no}: expected {len(COLUMNS)} columns, found {len(cells)}")
            continue
        if any("\n" in c for c in cells):
            problems.append(f"{path}:{line_no}: a line break inside a field")
            continue
        code, name, kind, parent = (c.strip() for c in cells)
        row = RosterRow(code, " ".join(name.split()), kind, parent, str(path), line_no)
        problems += [f"{path}:{line_no}: {p}" for p in _row_problems(row)]
        rows.append(row)
    return rows, problems


def _row_problems(row: RosterRow) -> list[str]:
    found = []
    if not row.code:
        found.append("empty code")
    if not row.name:
        found.append(f"unit {row.code}: empty name")
    if row.kind not in UNIT_KINDS:
        found.append(f"unit {row.code}: unknown kind {row.kind!r} (use {', '.join(UNIT_KINDS)})")
    if row.parent_code == row.code:
        found.append(f"unit {row.code}: is its own parent")
    return found


def check_tree(rows: list[RosterRow], existing: dict[str, str | None]) -> list[str]:
    """Duplicate codes, unknown parents and cycles, against the file rows plus the database."""
    problems, seen = [], {}
    for row in rows:
        if row.code in seen:
            problems.append(f"{row.file}:{row.line}: duplicate code {row.code} (first at line {seen[row.code]})")
        seen.setdefault(row.code, row.line)
    parents = dict(existing) | {r.code: r.parent_code or None for r in rows}
    for row in rows:
        if row.parent_code and row.parent_code not in parents:
            problems.append(f"{row.file}:{row.line}: unit {row.code}: unknown parent {row.parent_code}")
        elif _in_cycle(row.code, parents):
            problems.append(f"{row.file}:{row.line}: unit {row.code}: its parents form a cycle")
    return problems


def _in_cycle(code: str, parents: dict[str, str | None]) -> bool:
    visited, current = set(), code
    while current is not None and current in parents:
        if current in visited:
            return True
        visited.add(current)
        current = parents[current]
    return False


async def import_rosters(
    session: AsyncSession, paths: Iterable[Path], progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Validate all files, then upsert every unit and its team in the caller's transaction.

    Nothing is written when any problem is found; the caller commits.
    """
    result, rows = ImportResult(), []
    for path in paths:
        file_rows, problems = parse_roster(Path(path))
        rows += file_rows
        result.problems += problems
    units = {u.code: u for u in (await session.execute(select(OrgUnit))).scalars()}
    by_id = {u.id: u.code for u in units.values()}
    result.problems += check_tree(rows, {c: by_id.get(u.parent_id) for c, u in units.items()})
    if result.problems:
        return result
    for row in _parents_first(rows, units):
        _upsert(session, units, row, result)
        if progress:
            progress(1)
        await session.flush()
    _recompute_paths(units.values())
    result.teams_created = await _ensure_teams(session, units.values())
    await session.flush()
    return result


def _parents_first(rows: list[RosterRow], units: dict[str, OrgUnit]) -> list[RosterRow]:
    """Order rows so every parent is written before its children."""
    pending, done, ordered = {r.code: r for r in rows}, set(units), []
    while pending:
        ready = [r for r in pending.values() if not r.parent_code or r.parent_code in done]
        for row in ready:
            ordered.append(row)
            done.add(row.code)
            del pending[row.code]
    return ordered


def _upsert(session: AsyncSession, units: dict[str, OrgUnit], row: RosterRow, result: ImportResult) -> None:
    parent_id = units[row.parent_code].id if row.parent_code else None
    unit = units.get(row.code)
    if unit is None:
        unit = OrgUnit(code=row.code, name=row.name, kind=row.kind, parent_id=parent_id, path="/")
        session.add(unit)
        units[row.code] = unit
        result.created += 1
    elif (unit.name, unit.kind, unit.parent_id) != (row.name, row.kind, parent_id):
        unit.name, unit.kind, unit.parent_id = row.name, row.kind, parent_id
        result.updated += 1
    else:
        result.unchanged += 1


def _recompute_paths(units: Iterable[OrgUnit]) -> None:
    """Set `path` and `depth` from the parent links (a move re-paths the whole subtree)."""
    by_id = {u.id: u for u in units}

    def path_of(unit: OrgUnit) -> str:
        parent = by_id.get(unit.parent_id)
        return (path_of(parent) if parent else "/") + f"{unit.id}/"

    for unit in by_id.values():
        path = path_of(unit)
        if unit.path != path:
            unit.path, unit.depth = path, path.count("/") - 2


async def _ensure_teams(session: AsyncSession, units: Iterable[OrgUnit]) -> int:
    teams = {t.unit_id: t for t in (await session.execute(select(Team))).scalars()}
    used = {t.invite_code for t in teams.values()}
    created = 0
    for unit in units:
        team = teams.get(unit.id)
        if team is None:
            code = new_invite_code()
            while code in used:
                code = new_invite_code()
            used.add(code)
            session.add(Team(unit_id=unit.id, name=team_name(unit), invite_code=code))
            created += 1
        elif team.name != team_name(unit):
            team.name = team_name(unit)
    return created
