"""`cdsbot units import|stats|tree|remap|remap-draft`: load the org tree from CSV rosters, look at it, re-map it."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli import units_remap
from bot.cli.common import CliError, import_files, unit_or_none, with_session
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.services import bases, org


async def cmd_units_import(settings: Settings, args) -> None:
    """Import rosters all or nothing; every problem is printed with its file and line."""
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        result = await import_files(db, args.files, sys.stderr.isatty())
    finally:
        await db.dispose()
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise CliError(f"{len(result.problems)} problem(s); nothing was imported")
    print(
        f"units: {result.created} created, {result.updated} updated, {result.unchanged} unchanged; "
        f"teams: {result.teams_created} created"
    )


async def cmd_units_stats(settings: Settings, args) -> None:
    """Counts of teams, members and units by kind."""
    figures = await with_session(settings, org.stats)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"teams: {figures['teams']}, members: {figures['members']}")
        for kind, count in figures["units"].items():
            print(f"  {kind}: {count}")
        if figures.get("retired_units"):
            print(f"  retired (kept for history): {figures['retired_units']}")


async def cmd_units_tree(settings: Settings, args) -> None:
    """The tree (or a subtree), indented."""

    async def work(session):
        return await org.render_tree(session, await unit_or_none(session, args.code), args.depth)

    print("\n".join(await with_session(settings, work)))


async def cmd_units_bases(settings: Settings, args) -> None:
    """Load units' population and households from CSV (code,population,households), all or nothing."""
    try:
        figures, problems = bases.parse_csv(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc

    async def work(session):
        written, missing = await bases.import_bases(session, figures, datetime.now(UTC))
        if not missing:
            await session.commit()
        return written, missing

    if not problems:
        written, problems = await with_session(settings, work)
    for problem in problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if problems:
        raise CliError(f"{len(problems)} problem(s); nothing was imported")
    print(f"base figures: {written} unit(s)")


def add_commands(commands) -> None:
    """Register `units …`."""
    units = commands.add_parser("units", help="the org tree").add_subparsers(dest="sub", required=True)
    imp = units.add_parser("import", help="load CSV rosters (all or nothing)")
    imp.add_argument("files", nargs="+", type=Path)
    imp.set_defaults(func=cmd_units_import)
    st = units.add_parser("stats", help="counts of teams and units by kind")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_units_stats)
    tree = units.add_parser("tree", help="print the tree, indented")
    tree.add_argument("code", nargs="?")
    tree.add_argument("--depth", type=int)
    tree.set_defaults(func=cmd_units_tree)
    base = units.add_parser("bases", help="load population and households per unit from CSV (all or nothing)")
    base.add_argument("file", type=Path, help="CSV with the header code,population,households")
    base.set_defaults(func=cmd_units_bases)
    units_remap.add_commands(units)
