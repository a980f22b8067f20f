"""Import CSV rosters of org units: validate every row, then apply all or nothing.

A roster file has the columns `code,name,kind,parent_code`; lines starting
with `#` are comments. Importing is idempotent: a unit is found by its code,
so a renamed unit is updated in place, never duplicated. Every check follows
each parent link once (no recursion), and rows are written in bulk, parents
first, so a 100,000-row roster imports in seconds (bench/roster.py).
"""

import csv
import io
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit, Team
from bot.services.unit_kinds import AGENCY, branch_of

COLUMNS = ["code", "name", "kind", "parent_code"]
NOTE_COLUMN = "formed_from"  # an optional fifth column (the 2025 roster's), read by `units remap-draft` only
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read aloud
INVITE_LENGTH = 8
UNITS, TEAMS = OrgUnit.__table__, Team.__table__  # written with Core statements: ORM objects cost 10x the time
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('org_unit', 'id')) FROM generate_series(1, :count)")
CHUNK = 10_000  # rows per INSERT call (and per step of the progress bar)
MAX_CODE, MAX_NAME = UNITS.c.code.type.length, UNITS.c.name.type.length
_KIND = re.compile(r"[a-z][a-z_]{0,15}")  # kinds are data (province, ward, special_zone …): a short slug
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc; PostgreSQL refuses NUL in text
# Levels below and including the root: '/<id>/…/' then fits `path` (400 characters) for any id below 10^10.
MAX_DEPTH = 32


class RosterRow(NamedTuple):
    """One unit as a file gives it, with where (a tuple: a province's roster makes 10^5 of them)."""

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


@dataclass(slots=True)
class _Unit:
    """The columns of one stored unit that an import reads and writes (lighter than an ORM object)."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int


def new_invite_code() -> str:
    """Random, unguessable (31^8 ≈ 8.5e11) and typeable on a phone keypad."""
    return new_invite_codes(1)[0]


def new_invite_codes(count: int) -> list[str]:
    """`count` invite codes from one read of the system's randomness (not one read per letter)."""
    size, letters = len(INVITE_ALPHABET), []
    while len(letters) < count * INVITE_LENGTH:  # bytes above the last multiple of 31 are dropped: no bias
        letters += [INVITE_ALPHABET[b % size] for b in secrets.token_bytes(count * INVITE_LENGTH * 9 // 8 + 8)
                    if b < 256 - 256 % size]
    return ["".join(letters[i:i + INVITE_LENGTH]) for i in range(0, count * INVITE_LENGTH, INVITE_LENGTH)]


def team_name(unit: OrgUnit | _Unit) -> str:
    """The team's display name, derived from its unit so a rename carries over."""
    if branch_of(unit.kind) == AGENCY:  # a department, union or company is its own reporting team
        return unit.name
    if unit.parent_id is None:  # the top of the tree (the province), whatever its kind is called
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
    try:
        records = [(reader.line_num, cells) for cells in reader if "".join(cells).strip()]
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        return [], [f"{path}:{reader.line_num}: {exc}"]
    if not records:
        return [], [f"{path}:1: empty roster"]
    (header_line, header), rows, problems, name = records[0], [], [], str(path)
    columns = [h.strip() for h in header]
    if columns not in (COLUMNS, COLUMNS + [NOTE_COLUMN]):
        return [], [f"{path}:{header_line}: columns must be {','.join(COLUMNS)}, found {','.join(header)}"]
    for line_no, cells in records[1:]:
        if len(cells) != len(columns):
            problems.append(f"{path}:{line_no}: expected {len(columns)} columns, found {len(cells)}")
            continue
        cells = cells[:len(COLUMNS)]
        if "\n" in "".join(cells):
            problems.append(f"{path}:{line_no}: a line break inside a field")
            continue
        code, unit_name, kind, parent = map(str.strip, cells)
        row = RosterRow(code, " ".join(unit_name.split()), kind, parent, name, line_no)
        problems += [f"{path}:{line_no}: {p}" for p in _row_problems(row)]
        rows.append(row)
    return rows, problems


def _row_problems(row: RosterRow) -> list[str]:
    """What is wrong with one row on its own; lengths are the columns' (PostgreSQL enforces them, SQLite not)."""
    found, label = [], row.code[:MAX_CODE]
    if not row.code:
        found.append("empty code")
    if len(row.code) > MAX_CODE:
        found.append(f"unit {label}…: code is {len(row.code)} characters long (at most {MAX_CODE})")
    if not row.name:
        found.append(f"unit {label}: empty name")
    if len(row.name) > MAX_NAME:
        found.append(f"unit {label}: name is {len(row.name)} characters long (at most {MAX_NAME})")
    if _CONTROL.search(f"{row.code}{row.name}{row.parent_code}"):
        found.append(f"unit {label}: a control character in a field")
    if not _KIND.fullmatch(row.kind):
        found.append(f"unit {label}: kind {row.kind[:20]!r} must be a lower-case word such as commune or ward")
    if row.parent_code == row.code:
        found.append(f"unit {label}: is its own parent")
    return found


def _fold_down(parents: dict, root, step) -> dict:
    """`step(value of the parent, key)` for every key, roots (or unknown parents) starting from `root`.

    Iterative and linear: each link is followed once. Keys in a cycle, or below one, get None.
    """
    values: dict = {}
    for start in parents:
        chain, on_chain, key = [], set(), start
        while key is not None and key in parents and key not in values and key not in on_chain:
            chain.append(key)
            on_chain.add(key)
            key = parents[key]
        if key is None or key not in parents:
            value = root
        else:
            value = None if key in on_chain else values[key]
        for key in reversed(chain):
            value = None if value is None else step(value, key)
            values[key] = value
    return values


def _levels(parents: dict[str, str | None]) -> dict[str, int | None]:
    """Each unit's level (a root is 1); None in or below a cycle."""
    return _fold_down(parents, 0, lambda level, _code: level + 1)


def check_tree(rows: list[RosterRow], existing: dict[str, str | None]) -> tuple[list[str], dict[str, int | None]]:
    """Duplicate codes, unknown parents, cycles and too deep trees, against the file rows plus the database.

    Returns the problems, and each unit's level (see `_levels`) for writing parents first.
    """
    problems, first = [], {}
    for row in rows:
        if row.code in first:
            problems.append(f"{row.file}:{row.line}: duplicate code {row.code} (first at line {first[row.code]})")
        first.setdefault(row.code, row.line)
    parents = dict(existing) | {r.code: r.parent_code or None for r in rows}  # once the files are applied
    levels = _levels(parents)
    for row in rows:
        if row.parent_code and row.parent_code not in parents:
            problems.append(f"{row.file}:{row.line}: unit {row.code}: unknown parent {row.parent_code}")
        elif levels[row.code] is None:
            problems.append(f"{row.file}:{row.line}: unit {row.code}: its parents form a cycle")
    return problems + _too_deep(rows, parents, levels), levels


def _too_deep(rows: list[RosterRow], parents: dict[str, str | None], levels: dict[str, int | None]) -> list[str]:
    """One problem per row that puts a branch below MAX_DEPTH (its own level, or a stored subtree it moves)."""
    in_file = {r.code: r for r in rows}
    blamed: dict[str, None] = {}
    for code, level in levels.items():
        if level != MAX_DEPTH + 1:
            continue
        culprit = code
        while culprit is not None and culprit not in in_file:  # a stored unit: blame the moved ancestor
            culprit = parents.get(culprit)
        if culprit is not None:
            blamed[culprit] = None
    return [f"{in_file[c].file}:{in_file[c].line}: unit {c}: the tree would be more than {MAX_DEPTH} levels deep"
            for c in blamed]


async def import_rosters(
    session: AsyncSession, paths: Iterable[Path], progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Validate all files, then upsert every unit and its team in the caller's transaction.

    Nothing is written when any problem is found; the caller commits. `progress(n)` is told of rows as written.
    """
    result = ImportResult()
    rows, units, levels, result.problems = await _read_and_check(session, paths)
    if result.problems:
        return result
    report = progress or (lambda _n: None)
    created = await _insert_new(session, rows, units, levels, result, report)
    await _update_changed(session, [r for r in rows if r.code not in created], units, result, report)
    await _repath(session, units)
    result.teams_created = await _ensure_teams(session, units.values())
    return result


async def _read_and_check(session: AsyncSession, paths: Iterable[Path]) -> tuple[list, dict, dict, list[str]]:
    """Every file's rows, the stored units, each unit's level and every problem (files, then the tree)."""
    rows, problems = [], []
    for path in paths:
        file_rows, file_problems = parse_roster(Path(path))
        rows += file_rows
        problems += file_problems
    units = await _stored_units(session)
    code_of = {u.id: u.code for u in units.values()}
    tree_problems, levels = check_tree(rows, {c: code_of.get(u.parent_id) for c, u in units.items()})
    return rows, units, levels, problems + tree_problems


@dataclass
class Preview:
    """What importing the files would change, row by row, before anything is written (the console shows it)."""

    added: list[RosterRow] = field(default_factory=list)
    renamed: list[tuple[RosterRow, str]] = field(default_factory=list)  # the row and the stored name
    moved: list[tuple[RosterRow, str]] = field(default_factory=list)  # the row and the stored parent's code
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)  # problems, each "file:line: what"; any refuses the import


async def preview_rosters(session: AsyncSession, paths: Iterable[Path]) -> Preview:
    """A dry run of `import_rosters`: the same checks, and what each row would add, rename or move."""
    rows, units, _levels, problems = await _read_and_check(session, paths)
    preview, code_of = Preview(refused=problems), {u.id: u.code for u in units.values()}
    for row in rows:
        unit = units.get(row.code)
        if unit is None:
            preview.added.append(row)
            continue
        parent = code_of.get(unit.parent_id, "")
        if (unit.name, unit.kind) != (row.name, row.kind):
            preview.renamed.append((row, unit.name))
        if parent != row.parent_code:
            preview.moved.append((row, parent))
        preview.unchanged += (unit.name, unit.kind, parent) == (row.name, row.kind, row.parent_code)
    return preview


async def _stored_units(session: AsyncSession) -> dict[str, _Unit]:
    columns = (UNITS.c.id, UNITS.c.code, UNITS.c.name, UNITS.c.kind, UNITS.c.parent_id, UNITS.c.path, UNITS.c.depth)
    return {r.code: _Unit(*r) for r in (await session.execute(select(*columns))).all()}


async def _update_by_id(session: AsyncSession, table, changes: list[dict]) -> None:
    """One executemany UPDATE of the columns in `changes`, each dict naming its row's `id`."""
    if changes:
        columns = [c for c in changes[0] if c != "id"]
        statement = update(table).where(table.c.id == bindparam("row_id")).values({c: bindparam(c) for c in columns})
        await session.execute(statement, [{"row_id": change.pop("id"), **change} for change in changes])


async def _new_ids(session: AsyncSession, count: int) -> list[int]:
    """Ids for new units, taken before inserting them so each row is written once, with its final path."""
    if session.bind.dialect.name == "postgresql":
        taken = await session.execute(_NEXT_IDS, {"count": count})
        return [uid for (uid,) in taken]
    highest = await session.scalar(select(func.max(UNITS.c.id))) or 0  # SQLite: one writer at a time
    return list(range(highest + 1, highest + 1 + count))


async def _insert_new(session: AsyncSession, rows: list[RosterRow], units: dict[str, _Unit], levels: dict,
                      result: ImportResult, report: Callable[[int], None]) -> set[str]:
    """Insert new units in bulk, parents first (the foreign key is checked row by row); return their codes."""
    new = sorted((r for r in rows if r.code not in units), key=lambda r: levels[r.code])
    batch = []
    for row, uid in zip(new, await _new_ids(session, len(new)), strict=True):
        parent = units[row.parent_code] if row.parent_code else None
        unit = units[row.code] = _Unit(uid, row.code, row.name, row.kind, parent.id if parent else None,
                                       f"{parent.path if parent else '/'}{uid}/", levels[row.code] - 1)
        batch.append(dict(id=uid, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id,
                          path=unit.path, depth=unit.depth))
    for first in range(0, len(batch), CHUNK):
        await session.execute(insert(UNITS), batch[first:first + CHUNK])
        report(len(batch[first:first + CHUNK]))
    result.created = len(batch)
    return {r.code for r in new}


async def _update_changed(session: AsyncSession, rows: list[RosterRow], units: dict[str, _Unit],
                          result: ImportResult, report: Callable[[int], None]) -> None:
    """Renamed, re-kinded or moved stored units, in one bulk UPDATE."""
    changes = []
    for row in rows:
        unit = units[row.code]
        parent_id = units[row.parent_code].id if row.parent_code else None
        if (unit.name, unit.kind, unit.parent_id) == (row.name, row.kind, parent_id):
            result.unchanged += 1
        else:
            unit.name, unit.kind, unit.parent_id = row.name, row.kind, parent_id
            changes.append(dict(id=unit.id, name=row.name, kind=row.kind, parent_id=parent_id))
    result.updated = len(changes)
    await _update_by_id(session, UNITS, changes)
    report(result.updated + result.unchanged)


async def _repath(session: AsyncSession, units: dict[str, _Unit]) -> None:
    """Set `path` and `depth` from the parent links (a move re-paths the whole subtree), in one bulk UPDATE."""
    by_id = {u.id: u for u in units.values()}
    paths = _fold_down({u.id: u.parent_id for u in by_id.values()}, "/", lambda path, uid: f"{path}{uid}/")
    changes = []
    for uid, path in paths.items():
        unit = by_id[uid]
        if unit.path != path:
            unit.path, unit.depth = path, path.count("/") - 2
            changes.append(dict(id=uid, path=path, depth=unit.depth))
    await _update_by_id(session, UNITS, changes)


async def _ensure_teams(session: AsyncSession, units: Iterable[_Unit]) -> int:
    """A team for every unit without one (bulk INSERT), and team names that follow unit renames."""
    columns = (TEAMS.c.id, TEAMS.c.unit_id, TEAMS.c.name, TEAMS.c.invite_code)
    teams = {t.unit_id: t for t in (await session.execute(select(*columns))).all()}
    used = {t.invite_code for t in teams.values()}
    new, renamed = [], []
    for unit in units:
        team = teams.get(unit.id)
        if team is None:
            new.append(dict(unit_id=unit.id, name=team_name(unit), active=True))
        elif team.name != team_name(unit):
            renamed.append(dict(id=team.id, name=team_name(unit)))
    codes = [c for c in dict.fromkeys(new_invite_codes(len(new) + 16)) if c not in used]
    while len(codes) < len(new):  # a clash among ~10^5 codes drawn from 8.5e11 is rare: draw a few more
        codes = list(dict.fromkeys(codes + [c for c in new_invite_codes(16) if c not in used]))
    for team, code in zip(new, codes, strict=False):
        team["invite_code"] = code
    if new:
        await session.execute(insert(TEAMS), new)
    await _update_by_id(session, TEAMS, renamed)
    return len(new)


def check_new_units(rows: list[RosterRow], existing: dict[str, str | None]) -> list[str]:
    """The importer's checks, for units a reorganisation creates (`units remap`) before anything is written."""
    problems = [f"{r.file}:{r.line}: {p}" for r in rows for p in _row_problems(r)]
    return problems + check_tree(rows, existing)[0]


async def add_units(session: AsyncSession, rows: list[RosterRow]) -> dict[str, _Unit]:
    """Insert checked new units in bulk, parents first (`units remap`); returns every stored unit by code."""
    units = await _stored_units(session)
    code_of = {u.id: u.code for u in units.values()}
    _problems, levels = check_tree(rows, {c: code_of.get(u.parent_id) for c, u in units.items()})
    await _insert_new(session, rows, units, levels, ImportResult(), lambda _n: None)
    return units


async def settle_tree(session: AsyncSession, units: dict[str, _Unit], current: Iterable[_Unit]) -> int:
    """After units moved: re-path every subtree, then a team for each current unit without one; returns teams made."""
    await _repath(session, units)
    return await _ensure_teams(session, current)
