"""Agencies beside the territory: bodies that get tasks and report but are not places (Sở, Tỉnh đoàn, Báo, VNPT …).

They form a branch of the tree of their own, under a territorial unit (the province): a group unit (`CQ`) with
agencies and their sub-units below it, all of kinds marked `branch: agency` in content/units/kinds.yaml. Being
in the tree, they are held by the province's officers and admins with the one access rule unchanged. What
this module decides: a territorial roll-up (and its completeness) leaves the agency groups straight below its
root out unless asked; a report duty covers the territory unless it names the agencies; pickers list them apart.
"""

from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import OrgUnit
from bot.services.unit_kinds import AGENCY, branch_of, load_kinds

ALSO, ONLY = "also", "only"  # a duty's `agencies:` (campaign audience): the agencies as well, or them alone


def agency_kinds() -> list[str]:
    """The kinds of the agency branch, in kinds.yaml order."""
    return [slug for slug, kind in load_kinds().items() if kind.branch == AGENCY]


def is_agency(unit: OrgUnit) -> bool:
    """Whether a unit belongs to the agency branch (by its kind)."""
    return branch_of(unit.kind) == AGENCY


def agency_clause(kind_column=OrgUnit.kind):
    """SQL: the unit (of `kind_column`) belongs to the agency branch."""
    kinds = agency_kinds()
    return kind_column.in_(kinds) if kinds else false()


async def groups(session: AsyncSession) -> list[OrgUnit]:
    """The tops of the agency branch (agency units whose parent is a place, e.g. `CQ`), live ones, by code."""
    parent = aliased(OrgUnit)
    query = (select(OrgUnit).join(parent, OrgUnit.parent_id == parent.id)
             .where(agency_clause(), ~agency_clause(parent.kind), OrgUnit.retired_on.is_(None))
             .order_by(OrgUnit.code))
    return list((await session.execute(query)).scalars())


async def apart_from(session: AsyncSession, root: OrgUnit, include: bool = False) -> list[OrgUnit]:
    """The agency units straight below a territorial root, which its roll-up leaves out unless `include`.

    Below an agency root nothing is left out: the agency group's own roll-up shows its agencies.
    """
    if include or is_agency(root):
        return []
    query = select(OrgUnit).where(OrgUnit.parent_id == root.id, agency_clause())
    return list((await session.execute(query)).scalars())


def rows_of(children: list[OrgUnit], apart: list[OrgUnit]) -> list[OrgUnit]:
    """A roll-up's child rows: those not left out (`apart_from`), the places first and any agency group after."""
    left_out = {unit.id for unit in apart}
    return sorted((unit for unit in children if unit.id not in left_out), key=is_agency)


def duty_clause(agencies: str | None, levels: list[str] | None = None):
    """SQL on OrgUnit: the teams a report duty reaches. The territory (units of `levels`' kinds; None or empty:
    every level) unless its audience names the agencies: `also` adds the agency branch, `only` keeps it alone."""
    agency = agency_clause()
    territory = and_(~agency, OrgUnit.kind.in_(levels)) if levels else ~agency
    return {ONLY: agency, ALSO: or_(territory, agency)}.get(agencies, territory)


def split_picker(units: list[tuple[OrgUnit, int]]) -> tuple[list[tuple[OrgUnit, int]], list[tuple[OrgUnit, int]]]:
    """A picker's (unit, depth) rows as (places, agencies), each in the given order; agencies' depths count from
    their group's (0), which the picker indents as its own tree."""
    places = [(unit, depth) for unit, depth in units if not is_agency(unit)]
    found = [(unit, depth) for unit, depth in units if is_agency(unit)]
    base = min((depth for _unit, depth in found), default=0)
    return places, [(unit, depth - base) for unit, depth in found]
