"""Units' base figures (population, households): imported from CSV, and read for a subtree.

A unit without figures of its own takes the sum of its children's when every child has one, so communes'
figures add up to their district; otherwise it has no base, which the roll-up shows as such (not as 0).
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bases import UnitBase
from bot.db.models import OrgUnit

FIELDS = ("population", "households")
MAX_FIGURE = 100_000_000


@dataclass(frozen=True)
class Base:
    """A unit's population and households (None where not known)."""

    population: int | None = None
    households: int | None = None

    def of(self, field: str) -> int | None:
        return getattr(self, field)


def _figure(text: str, line: int, field: str, problems: list[str]) -> int | None:
    text = (text or "").strip().replace(".", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_FIGURE:
        problems.append(f"line {line}: {field} must be a whole number above 0, or empty when unknown")
        return None
    return int(text)


def parse_csv(text: str) -> tuple[dict[str, Base], list[str]]:
    """{unit code: Base} from CSV with the header `code,population,households`; problems name their line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "code" not in reader.fieldnames or not set(FIELDS) & set(reader.fieldnames):
        return {}, ["line 1: the header must be code,population,households"]
    found: dict[str, Base] = {}
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        code = (row.get("code") or "").strip()
        if not code or code.startswith("#"):
            continue
        if code in found:
            problems.append(f"line {line}: unit {code} appears twice")
        found[code] = Base(*(_figure(row.get(f) or "", line, f, problems) for f in FIELDS))
    return found, problems


async def import_bases(session: AsyncSession, figures: dict[str, Base], now: datetime) -> tuple[int, list[str]]:
    """Store the figures (all or nothing: an unknown code stops everything); (units written, problems)."""
    units = dict((await session.execute(select(OrgUnit.code, OrgUnit.id).where(
        OrgUnit.code.in_(list(figures))))).all())
    missing = sorted(set(figures) - set(units))
    if missing:
        return 0, [f"unknown unit code(s): {', '.join(missing[:10])}" + (" …" if len(missing) > 10 else "")]
    for code, base in figures.items():
        row = await session.get(UnitBase, units[code]) or UnitBase(unit_id=units[code], updated_at=now)
        row.population, row.households, row.updated_at = base.population, base.households, now
        session.add(row)
    return len(figures), []


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
