"""`cdsbot units remap` and `units remap-draft`: move a department onto a reorganised tree, history kept."""

import sys
from datetime import date
from pathlib import Path

from bot.cli.common import CliError, output_file, with_session
from bot.config import Settings
from bot.services import audit, remap, remap_apply, remap_draft
from bot.services.audit import AuditAction


def preview_lines(plan: remap.Plan) -> list[str]:
    """What the remap changes, as the person reads it before (dry run) and after."""
    lines = [f"effective {plan.effective.isoformat()}: {len(plan.retired)} unit(s) retired, "
             f"{len(plan.created)} created, {len(plan.merged)} merge(s), {plan.teams_moved} team(s) moved, "
             f"{plan.members_moved} member(s) moved to another team, invite codes: {plan.codes_kept} kept, "
             f"{plan.codes_issued} issued, {len(plan.folded)} merged team(s) closed"]
    for new, olds in sorted(plan.merged.items()):
        lines.append(f"  {plan.names[new]} [{new}] ← " + "; ".join(_old_label(plan, old) for old in olds))
    lines += [f"  new, no predecessor team: {r.name} [{r.code}]" for r in plan.fresh]
    lines += [f"  retired, no successor (its team stays until an officer moves it): {plan.old_names[code]} [{code}]"
              for code in plan.orphans]
    lines += [f"  left under a retired unit (nothing maps it): {plan.old_names[code]} [{code}]" for code in plan.left]
    return lines


def _old_label(plan: remap.Plan, code: str) -> str:
    team = plan.teams.get(code)
    return f"{plan.old_names[code]} [{code}]" + (f" (team {team[0]}, {team[1]} member(s))" if team else "")


async def cmd_units_remap(settings: Settings, args) -> None:
    """Check the map, show what changes, and (unless --dry-run) apply it all or nothing."""

    async def work(session):
        plan = await remap.plan_remap(session, args.map, args.effective)
        if not plan.problems and not args.dry_run:
            await remap_apply.apply_remap(session, plan)
            await audit.record_command(session, AuditAction.UNITS_REMAPPED, target=f"remap {args.map.name}",
                                       detail={"effective": plan.effective.isoformat(),
                                               "retired": len(plan.retired), "created": len(plan.created)})
            await session.commit()
        return plan

    plan = await with_session(settings, work)
    for problem in plan.problems:
        print(problem, file=sys.stderr)
    if plan.problems:
        raise CliError(f"{len(plan.problems)} problem(s); nothing was changed")
    print("\n".join(preview_lines(plan)))
    print("dry run: nothing was changed" if args.dry_run else "the tree was re-mapped")


async def cmd_units_remap_draft(settings: Settings, args) -> None:
    """Write a draft map from a new roster's "formed from" text; list what a person must settle."""
    draft, problems = await with_session(settings, lambda session: remap_draft.draft_map(session, args.roster))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise CliError(f"{len(problems)} problem(s); no map written")
    try:
        output_file(args.output).write_text(remap_draft.write_map(draft, args.roster), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc}") from exc
    for line in draft.unmatched + [f"left where it is: {u}" for u in draft.untouched]:
        print(line, file=sys.stderr)
    print(f"{args.output}: {draft.matched} current unit(s) matched, {len(draft.unmatched)} name(s) not matched, "
          f"{len(draft.new_units)} new unit(s) with no predecessor here, {len(draft.untouched)} unit(s) left")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {text}") from exc


def add_commands(units) -> None:
    """Register `units remap` and `units remap-draft`."""
    rm = units.add_parser("remap", help="re-map the tree onto a reorganised one (all or nothing, history kept)")
    rm.add_argument("map", type=Path, help="CSV: old_code,new_code,new_name,new_kind,new_parent_code")
    rm.add_argument("--effective", type=_day, required=True, help="the date the new tree takes effect")
    rm.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    rm.set_defaults(func=cmd_units_remap)
    draft = units.add_parser("remap-draft", help="draft a map from a new roster's formed_from column")
    draft.add_argument("roster", type=Path)
    draft.add_argument("-o", "--output", type=Path, required=True)
    draft.set_defaults(func=cmd_units_remap_draft)
