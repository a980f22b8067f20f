"""The `cdsbot` command line: serve, migrate, import rosters, inspect the tree."""

import argparse
import asyncio
import csv
import json
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from bot import cli_broadcast, cli_content, cli_reports, cli_schedule, cli_zalo
from bot.app import create_app, serve
from bot.clock import Clock
from bot.config import ConfigError, Settings, load_settings
from bot.db.migrate import upgrade
from bot.db.models import ROLES
from bot.db.session import Database
from bot.services import catalogs, members, org, reachability, roster

DEMO_UNIT, DEMO_CODES = "21409", 4  # Xã Đức Nhuận (Mộ Đức) and its villages
DEMO_ROSTERS = sorted((Path(__file__).resolve().parents[1] / "content" / "units").glob("*.csv"))


class CliError(Exception):
    """A problem to print as one line and exit non-zero."""


async def cmd_db_upgrade(settings: Settings, args) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    print("database is at the latest version")


async def import_files(db: Database, files: list[Path], show_progress: bool) -> roster.ImportResult:
    """Import rosters in one transaction, with a progress bar on a terminal."""
    with tqdm(desc="units", unit=" rows", disable=not show_progress, file=sys.stderr) as bar:
        async with db.session() as session:
            result = await roster.import_rosters(session, files, progress=bar.update)
            if result.problems:
                await session.rollback()
            else:
                await session.commit()
    return result


async def cmd_units_import(settings: Settings, args) -> None:
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


async def _with_session(settings: Settings, work):
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        async with db.session() as session:
            return await work(session)
    finally:
        await db.dispose()


async def _unit_or_none(session, code: str | None):
    if code is None:
        return None
    unit = await org.unit_by_code(session, code)
    if unit is None:
        raise CliError(f"no unit with code {code}")
    return unit


async def cmd_units_stats(settings: Settings, args) -> None:
    figures = await _with_session(settings, org.stats)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"teams: {figures['teams']}, members: {figures['members']}")
        for kind, count in figures["units"].items():
            print(f"  {kind}: {count}")


async def cmd_units_tree(settings: Settings, args) -> None:
    async def work(session):
        return await org.render_tree(session, await _unit_or_none(session, args.code), args.depth)

    print("\n".join(await _with_session(settings, work)))


async def cmd_teams_invites(settings: Settings, args) -> None:
    async def work(session):
        return await org.teams_in(session, await _unit_or_none(session, args.code))

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["unit_code", "unit_name", "team", "invite_code"])
    for team, unit in await _with_session(settings, work):
        writer.writerow([unit.code, unit.name, team.name, team.invite_code])


async def _print_demo_welcome(app) -> None:
    async with app.db.session() as session:
        rows = await org.teams_in(session, await org.unit_by_code(session, DEMO_UNIT))
    print(f"\ncdsbot is running. Open the web chat: {app.url}/chat")
    print(f"Live channels: {', '.join(app.channels)}")
    print("Invite codes to try (type one in the chat):")
    for team, _unit in rows[:DEMO_CODES]:
        print(f"  {team.invite_code}  {team.name}")
    print("Press Ctrl-C to stop.\n", flush=True)


async def cmd_demo(settings: Settings, args) -> None:
    """Migrate, import the demo roster into an empty database, serve the web chat."""
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        async with db.session() as session:
            empty = (await org.stats(session))["teams"] == 0
        if empty:
            result = await import_files(db, DEMO_ROSTERS, sys.stderr.isatty())
            print(f"imported the demo roster: {result.created} units, {result.teams_created} teams")
    finally:
        await db.dispose()
    await serve(create_app(settings), _print_demo_welcome)


async def cmd_run(settings: Settings, args) -> None:
    """Production: channels from configuration, no demo data."""

    async def announce(app) -> None:
        print(f"cdsbot is running on {app.url} with channels: {', '.join(app.channels) or 'none'}", flush=True)

    await serve(create_app(settings), announce)


async def cmd_members_promote(settings: Settings, args) -> None:
    async def work(session):
        try:
            member = await members.promote(session, args.member, args.role)
        except (ValueError, LookupError) as exc:
            raise CliError(str(exc)) from None
        await session.commit()
        return member

    member = await _with_session(settings, work)
    print(f"{member.full_name} (#{member.id}) is now {member.role}")


async def cmd_members_list(settings: Settings, args) -> None:
    async def work(session):
        return await members.listing(session, await _unit_or_none(session, args.code))

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["id", "full_name", "role", "team", "channels"])
    for row in await _with_session(settings, work):
        writer.writerow(row)


async def cmd_i18n_update(settings: Settings, args) -> None:
    for locale, missing in catalogs.update().items():
        print(f"{locale}: {missing} untranslated")


async def cmd_i18n_check(settings: Settings, args) -> None:
    problems = catalogs.check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise CliError(f"{len(problems)} catalog problem(s); run `cdsbot i18n update` and translate")
    print("catalogs are complete and up to date")


async def cmd_members_reach(settings: Settings, args) -> None:
    async def work(session):
        return await reachability.reach(session, await _unit_or_none(session, args.code), Clock().now())

    rows = await _with_session(settings, work)
    channels = sorted({channel for row in rows for channel in row.by_channel})
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["unit_code", "unit_name", "members", *channels])
    for row in rows:
        writer.writerow([row.code, row.name, row.members, *(row.by_channel.get(c, 0) for c in channels)])


def _add_serving(commands) -> None:
    """`cdsbot demo` and `cdsbot run`: the two ways to start the bot."""
    commands.add_parser("demo", help="try cdsbot: demo roster + local web chat").set_defaults(func=cmd_demo)
    commands.add_parser("run", help="serve with the configured channels").set_defaults(func=cmd_run)


def _add_db(commands) -> None:
    """`cdsbot db …` subcommands."""
    db = commands.add_parser("db", help="database").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="bring the database to the latest migration").set_defaults(func=cmd_db_upgrade)


def _add_units(commands) -> None:
    """`cdsbot units …` subcommands."""
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


def _add_teams(commands) -> None:
    """`cdsbot teams …` subcommands."""
    teams = commands.add_parser("teams", help="teams").add_subparsers(dest="sub", required=True)
    inv = teams.add_parser("invites", help="teams with their invite codes, as CSV")
    inv.add_argument("code", nargs="?")
    inv.set_defaults(func=cmd_teams_invites)


def _add_members(commands) -> None:
    """`cdsbot members …` subcommands."""
    mem = commands.add_parser("members", help="members").add_subparsers(dest="sub", required=True)
    promote = mem.add_parser("promote", help="set a member's role")
    promote.add_argument("member", type=int, help="member id (see `cdsbot members list`)")
    promote.add_argument("--role", required=True, choices=ROLES)
    promote.set_defaults(func=cmd_members_promote)
    listing = mem.add_parser("list", help="members with ids, as CSV")
    listing.add_argument("code", nargs="?", help="only this unit's subtree")
    listing.set_defaults(func=cmd_members_list)
    reach = mem.add_parser("reach", help="members reachable now on each channel, per unit (CSV)")
    reach.add_argument("code", nargs="?", help="the unit whose child units to list (default: the province)")
    reach.set_defaults(func=cmd_members_reach)


def _add_i18n(commands) -> None:
    """`cdsbot i18n …` subcommands."""
    i18n = commands.add_parser("i18n", help="translations").add_subparsers(dest="sub", required=True)
    i18n.add_parser("update", help="extract strings, update vi/en catalogs").set_defaults(func=cmd_i18n_update)
    i18n.add_parser("check", help="fail on missing or stale translations").set_defaults(func=cmd_i18n_check)


# Each command group registers its subcommands; this order is the order `cdsbot --help` lists them in.
_COMMAND_GROUPS = (
    _add_serving,
    _add_db,
    _add_units,
    _add_teams,
    _add_members,
    _add_i18n,
    cli_content.add_commands,
    cli_zalo.add_commands,
    cli_reports.add_commands,
    cli_broadcast.add_commands,
    cli_schedule.add_commands,
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, one group of subcommands at a time."""
    parser = argparse.ArgumentParser(prog="cdsbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for add_group in _COMMAND_GROUPS:
        add_group(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("alembic", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        asyncio.run(args.func(settings, args))
    except (ConfigError, CliError) as exc:
        print(f"cdsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
