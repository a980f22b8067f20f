"""Write a checked remap plan (bot/services/remap.py) in the caller's transaction; nothing is deleted.

Old units are retired and nest under their successor, so a subtree's reports, filed for the old units,
roll up under the new unit; each report keeps the unit it was filed for (the last id of its path).
Teams move with their units (and officers' scopes with them); members of merged teams join the kept team.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.lineage import UnitLineage
from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.i18n import N_
from bot.services import remap_notify, rollup_scan, roster
from bot.services.remap import Plan

UNITS, TEAMS, MEMBERS, REPORTS = OrgUnit.__table__, Team.__table__, Member.__table__, Report.__table__


STEPS = {"units": N_("Retiring and creating units"), "teams": N_("Moving teams and members"),
         "tree": N_("Settling the tree"), "reports": N_("Moving the reports' history"),
         "lineage": N_("Recording the lineage"), "members": N_("Telling the members of merged teams")}


def retired_code(code: str, plan: Plan) -> str:
    """The code a retired unit keeps when its new successor takes over its code: '21409@2025-07-01'."""
    return f"{code}@{plan.effective.isoformat()}"


async def apply_remap(session: AsyncSession, plan: Plan, now: datetime | None = None,
                      progress: Callable[[str], None] | None = None) -> int:
    """Retire, create, nest and move units; move teams and members; refresh report paths; record the lineage;
    tell the members of merged teams (returns how many were told). `progress` is told each step as it begins."""
    step = progress or (lambda _name: None)
    step("units")
    reused = {r.code for r in plan.created} & set(plan.retired)
    await _many(session, UNITS, "code", [(code, retired_code(code, plan)) for code in reused], key="code")
    units = await roster.add_units(session, plan.created)
    old = {code: units[retired_code(code, plan) if code in reused else code] for code in plan.retired}
    old_parents = {code: unit.parent_id for code, unit in old.items()}
    moved = {code: units[code] for code in plan.moves}
    old_parents |= {code: unit.parent_id for code, unit in moved.items()}
    for code, unit in list(old.items()) + list(moved.items()):
        target = plan.successor.get(code) if code in old else plan.moves[code]
        if target is not None:
            unit.parent_id = units[target].id
    await _many(session, UNITS, "parent_id", [(u.id, u.parent_id) for u in list(old.values()) + list(moved.values())])
    await _many(session, UNITS, "retired_on", [(u.id, plan.effective) for u in old.values()])
    await _many(session, UNITS, "valid_from", [(units[r.code].id, plan.effective) for r in plan.created])
    step("teams")
    await _move_teams(session, plan, units)
    step("tree")
    retired = set((await session.execute(select(OrgUnit.id).where(OrgUnit.retired_on.is_not(None)))).scalars())
    await roster.settle_tree(session, units, [u for u in units.values() if u.id not in retired])
    step("reports")
    await _refresh_report_paths(session, {u.id: u.path for u in units.values()})
    step("lineage")
    await _record_lineage(session, plan, units, old, moved, old_parents)
    rollup_scan.clear_cache()
    step("members")
    return await remap_notify.tell_merged(session, plan, now)


async def _many(session: AsyncSession, table, column: str, pairs: list[tuple], key: str = "id") -> None:
    """One executemany UPDATE setting `column` on the rows whose `key` is given: [(key value, new value)]."""
    if pairs:
        statement = update(table).where(table.c[key] == bindparam("k")).values({column: bindparam("v")})
        await session.execute(statement, [{"k": k, "v": v} for k, v in pairs])


async def _move_teams(session: AsyncSession, plan: Plan, units: dict) -> None:
    """Kept teams go to their new unit (invite code kept); members of the other merged teams join them."""
    await _many(session, TEAMS, "unit_id", [(team_id, units[code].id) for code, team_id in plan.keeper.items()])
    await _many(session, MEMBERS, "team_id", list(plan.folded.items()), key="team_id")
    await _many(session, TEAMS, "active", [(team_id, False) for team_id in plan.folded])


async def _refresh_report_paths(session: AsyncSession, paths: dict[int, str]) -> None:
    """Each report's path becomes its own unit's path now (the unit it was filed for stays the last id)."""
    stored = (await session.execute(select(REPORTS.c.unit_path).distinct())).scalars()
    changes = [(path, paths[int(path.rstrip("/").rsplit("/", 1)[-1])]) for path in stored]
    await _many(session, REPORTS, "unit_path", [(a, b) for a, b in changes if a != b], key="unit_path")


async def _record_lineage(session: AsyncSession, plan: Plan, units: dict, old: dict, moved: dict,
                          old_parents: dict) -> None:
    """One row per link (old unit → new unit, with the team that was there) and per moved unit (its former parent)."""
    rows = [dict(old_unit_id=old[o].id, new_unit_id=units[n].id, kind=kind, effective_on=plan.effective,
                 old_parent_id=old_parents[o], team_id=plan.team_of.get(o) if plan.successor[o] == n else None)
            for o, n, kind in plan.links]
    rows += [dict(old_unit_id=u.id, new_unit_id=u.id, kind="move", effective_on=plan.effective,
                  old_parent_id=old_parents[code], team_id=None) for code, u in moved.items()]
    if rows:
        await session.execute(insert(UnitLineage.__table__), rows)
