"""Units' base figures (population, households): imported from CSV, and read for a subtree.

A unit without figures of its own takes the sum of its children's when every child has one, so communes'
figures add up to their district; otherwise it has no base, which the roll-up shows as such (not as 0).
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bases import UnitBase
from bot.db.models import OrgUnit
from bot.i18n import N_
from bot.services import access

FIELDS = ("population", "households")
MAX_FIGURE = 100_000_000
HEADER = N_("the header must be code,population,households")
NOT_A_FIGURE = {"population": N_("population must be a whole number above 0, or empty when unknown"),
                "households": N_("households must be a whole number above 0, or empty when unknown")}
TWICE = N_("unit {code} appears twice")
UNKNOWN = N_("unknown unit code(s): {codes}")
UNKNOWN_ONE = N_("unit {code} is not in the tree")
OUTSIDE = N_("unit {code} is outside your scope")


@dataclass(frozen=True)
class Base:
    """A unit's population and households (None where not known)."""

    population: int | None = None
    households: int | None = None

    def of(self, field: str) -> int | None:
        return getattr(self, field)


@dataclass(frozen=True)
class BaseProblem:
    """A refused figure or line: an English message id with its values (the console translates it), and its line."""

    message: str
    values: dict = field(default_factory=dict)
    line: int | None = None

    def __str__(self) -> str:
        text = self.message.format(**self.values)
        return text if self.line is None else f"line {self.line}: {text}"


@dataclass(frozen=True)
class Row:
    """One line of a bases CSV: where it is, the unit's code and its figures."""

    line: int
    code: str
    base: Base


def parse_figure(text: str, name: str) -> tuple[int | None, BaseProblem | None]:
    """A figure as typed ("12.500" or "12500"; empty = unknown), or the problem with it."""
    text = (text or "").strip().replace(".", "").replace(" ", "")
    if not text:
        return None, None
    if not text.isdigit() or not 0 < int(text) <= MAX_FIGURE:
        return None, BaseProblem(NOT_A_FIGURE[name])
    return int(text), None


def _figure(text: str, line: int, name: str, problems: list[BaseProblem]) -> int | None:
    value, problem = parse_figure(text, name)
    if problem is not None:
        problems.append(BaseProblem(problem.message, line=line))
    return value


def parse_rows(text: str) -> tuple[list[Row], list[BaseProblem]]:
    """The lines of a CSV with the header `code,population,households`; problems name their line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "code" not in reader.fieldnames or not set(FIELDS) & set(reader.fieldnames):
        return [], [BaseProblem(HEADER, line=1)]
    rows: list[Row] = []
    problems: list[BaseProblem] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        code = (row.get("code") or "").strip()
        if not code or code.startswith("#"):
            continue
        if code in seen:
            problems.append(BaseProblem(TWICE, {"code": code}, line))
        seen.add(code)
        rows.append(Row(line, code, Base(*(_figure(row.get(f) or "", line, f, problems) for f in FIELDS))))
    return rows, problems


def parse_csv(text: str) -> tuple[dict[str, Base], list[BaseProblem]]:
    """{unit code: Base} from CSV with the header `code,population,households`; problems name their line."""
    rows, problems = parse_rows(text)
    return {row.code: row.base for row in rows}, problems


async def import_bases(session: AsyncSession, figures: dict[str, Base], now: datetime
                       ) -> tuple[int, list[BaseProblem]]:
    """Store the figures (all or nothing: an unknown code stops everything); (units written, problems)."""
    units = dict((await session.execute(select(OrgUnit.code, OrgUnit.id).where(
        OrgUnit.code.in_(list(figures))))).all())
    missing = sorted(set(figures) - set(units))
    if missing:
        return 0, [BaseProblem(UNKNOWN, {"codes": ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")})]
    for code, base in figures.items():
        row = await session.get(UnitBase, units[code]) or UnitBase(unit_id=units[code], updated_at=now)
        row.population, row.households, row.updated_at = base.population, base.households, now
        session.add(row)
    return len(figures), []


@dataclass
class Preview:
    """What a bases CSV would change, checked against the tree and the person's scope; nothing written."""

    changed: list[tuple[Row, OrgUnit, Base | None]]  # (line, its unit, the unit's figures before)
    unchanged: int
    refused: list[BaseProblem]

    @property
    def figures(self) -> dict[str, Base]:
        """What `import_bases` writes once nothing is refused."""
        return {row.code: row.base for row, _unit, _old in self.changed}


async def own_bases(session: AsyncSession, unit_ids: list[int]) -> dict[int, Base]:
    """{unit id: its own stored figures} (never the children's sum), for the units that have a row."""
    rows = await session.execute(select(UnitBase).where(UnitBase.unit_id.in_(unit_ids)))
    return {r.unit_id: Base(r.population, r.households) for r in rows.scalars()}


async def preview(session: AsyncSession, actor: access.Actor, text: str) -> Preview:
    """Parse the CSV and check each line's unit: known, and one the person may state figures for."""
    rows, refused = parse_rows(text)
    units = {u.code: u for u in (await session.execute(
        select(OrgUnit).where(OrgUnit.code.in_([r.code for r in rows])))).scalars()}
    before = await own_bases(session, [u.id for u in units.values()])
    found = Preview([], 0, refused)
    bad_lines = {p.line for p in refused}
    for row in rows:
        unit = units.get(row.code)
        if row.line in bad_lines:
            continue
        if unit is None:
            found.refused.append(BaseProblem(UNKNOWN_ONE, {"code": row.code}, row.line))
        elif not access.may(actor, access.Action.UNIT_FACTS, unit.path):
            found.refused.append(BaseProblem(OUTSIDE, {"code": row.code}, row.line))
        elif before.get(unit.id) == row.base or (unit.id not in before and row.base == Base()):
            found.unchanged += 1
        else:
            found.changed.append((row, unit, before.get(unit.id)))
    found.refused.sort(key=lambda p: p.line or 0)
    return found


async def bases_under(session: AsyncSession, root: OrgUnit) -> dict[int, Base]:
    """{unit id: Base} for every unit of the subtree that has one, its own or its children's sum."""
    rows = (await session.execute(
        select(OrgUnit.id, OrgUnit.parent_id, UnitBase.population, UnitBase.households)
        .outerjoin(UnitBase, UnitBase.unit_id == OrgUnit.id).where(OrgUnit.path.startswith(root.path))
    )).all()
    children: dict[int, list[int]] = defaultdict(list)
    own = {}
    for unit_id, parent_id, population, households in rows:
        children[parent_id].append(unit_id)
        own[unit_id] = (population, households)
    memo: dict[int, tuple] = {}

    def effective(unit_id: int) -> tuple:
        if unit_id not in memo:
            kids = [effective(k) for k in children.get(unit_id, [])]
            memo[unit_id] = tuple(
                own[unit_id][i] if own[unit_id][i] is not None
                else (sum(k[i] for k in kids) if kids and all(k[i] is not None for k in kids) else None)
                for i in range(len(FIELDS)))
        return memo[unit_id]

    result = {u: Base(*effective(u)) for u in own}
    return {u: b for u, b in result.items() if b.population is not None or b.households is not None}
