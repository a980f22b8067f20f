"""`cdsbot demo` and `cdsbot run`: the two ways to start the bot."""

import argparse
import sys

from bot.app import create_app, serve
from bot.cli import admin
from bot.cli.common import DEMO_ROSTERS, import_files
from bot.config import ConfigError, Settings, parse_roles, role_names
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.services import org

DEMO_UNIT, DEMO_CODES = "21409", 4  # Xã Đức Nhuận (Mộ Đức) and its villages; Xã Long Phụng on the 2025 tree
DEMO_TREES = {"2023": DEMO_ROSTERS, "2025": sorted((DEMO_ROSTERS[0].parent / "2025").glob("*.csv"))}
DEMO_AGENCIES = sorted((DEMO_ROSTERS[0].parent / "agencies").glob("*.csv"))  # the province's agencies, either tree
DEMO_AGENCY = "CQ-SKHCN"  # Sở Khoa học và Công nghệ: an agency's invite code is offered too


async def _print_demo_welcome(app) -> None:
    async with app.db.session() as session:
        rows = (await org.teams_in(session, await org.unit_by_code(session, DEMO_UNIT)))[:DEMO_CODES]
        agency = await org.unit_by_code(session, DEMO_AGENCY)
        rows += (await org.teams_in(session, agency))[:1] if agency else []
    print(f"\ncdsbot is running. Open the web chat: {app.url}/chat")
    link = await admin.demo_signin_link(app)
    if link:
        print(f"Sign in to the console (one click, valid 10 minutes): {link}")
    print(f"Live channels: {', '.join(app.channels)}")
    print("Invite codes to try (type one in the chat):")
    for team, _unit in rows:
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
            result = await import_files(db, DEMO_TREES[args.tree] + DEMO_AGENCIES, sys.stderr.isatty())
            print(f"imported the demo roster ({args.tree} tree): {result.created} units, {result.teams_created} teams")
        elif args.tree != "2023":
            print(f"the database already holds a tree: --tree {args.tree} applies to an empty database only")
    finally:
        await db.dispose()
    await serve(create_app(admin.with_demo_key(settings)), _print_demo_welcome)


def run_settings(settings: Settings, roles: frozenset[str], port: int | None) -> Settings:
    """What `cdsbot run --role … --port …` serves with; refuses what these roles cannot do, in one line."""
    problem = settings.roles_problem(roles)
    if problem is not None:
        raise ConfigError(problem)
    if port is not None:
        settings = settings.model_copy(update={"web_port": port})
    if "web" not in roles:  # no console, no web chat: their pages talk only to the web processes
        return settings.model_copy(update={"console": False, "web_chat": False})
    admin.refuse_without_console_key(settings)
    return settings.production_web_chat()


async def cmd_run(settings: Settings, args) -> None:
    """Production: channels from configuration, no demo data; `--role` shares the work among processes."""

    async def announce(app) -> None:
        print(f"cdsbot is running on {app.url} with channels: {', '.join(app.channels) or 'none'} "
              f"(role {role_names(app.roles)})", flush=True)

    await serve(create_app(run_settings(settings, args.role, args.port), roles=args.role), announce)


def _roles(text: str) -> frozenset[str]:
    try:
        return parse_roles(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is a number from 0 to 65535")
    return int(text)


def add_commands(commands) -> None:
    """Register `demo` and `run`."""
    demo = commands.add_parser("demo", help="try cdsbot: demo roster + local web chat")
    demo.add_argument("--tree", choices=sorted(DEMO_TREES), default="2023",
                      help="the 2023 province (13 districts, 173 communes; the default) or the 2025 one (96 units)")
    demo.set_defaults(func=cmd_demo)
    run = commands.add_parser("run", help="serve with the configured channels (migrate first: cdsbot db upgrade)")
    run.add_argument("--role", type=_roles, default="all",
                     help="all (the default), or web, sender, scheduler, or several joined by commas "
                          "(sender,scheduler); roles other than all need PostgreSQL")
    run.add_argument("--port", type=_port, help="the web server's port (default CDSBOT_WEB_PORT); one per process")
    run.set_defaults(func=cmd_run)
