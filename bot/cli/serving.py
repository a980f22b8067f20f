"""`cdsbot demo` and `cdsbot run`: the two ways to start the bot."""

import sys

from bot.app import create_app, serve
from bot.cli import admin
from bot.cli.common import DEMO_ROSTERS, import_files
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.services import org

DEMO_UNIT, DEMO_CODES = "21409", 4  # Xã Đức Nhuận (Mộ Đức) and its villages; Xã Long Phụng on the 2025 tree
DEMO_TREES = {"2023": DEMO_ROSTERS, "2025": sorted((DEMO_ROSTERS[0].parent / "2025").glob("*.csv"))}


async def _print_demo_welcome(app) -> None:
    async with app.db.session() as session:
        rows = await org.teams_in(session, await org.unit_by_code(session, DEMO_UNIT))
    print(f"\ncdsbot is running. Open the web chat: {app.url}/chat")
    link = await admin.demo_signin_link(app)
    if link:
        print(f"Sign in to the console (one click, valid 10 minutes): {link}")
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
            result = await import_files(db, DEMO_TREES[args.tree], sys.stderr.isatty())
            print(f"imported the demo roster ({args.tree} tree): {result.created} units, {result.teams_created} teams")
        elif args.tree != "2023":
            print(f"the database already holds a tree: --tree {args.tree} applies to an empty database only")
    finally:
        await db.dispose()
    await serve(create_app(admin.with_demo_key(settings)), _print_demo_welcome)


async def cmd_run(settings: Settings, args) -> None:
    """Production: channels from configuration, no demo data."""

    async def announce(app) -> None:
        print(f"cdsbot is running on {app.url} with channels: {', '.join(app.channels) or 'none'}", flush=True)

    admin.refuse_without_console_key(settings)
    await serve(create_app(settings.production_web_chat()), announce)


def add_commands(commands) -> None:
    """Register `demo` and `run`."""
    demo = commands.add_parser("demo", help="try cdsbot: demo roster + local web chat")
    demo.add_argument("--tree", choices=sorted(DEMO_TREES), default="2023",
                      help="the 2023 province (13 districts, 173 communes; the default) or the 2025 one (96 units)")
    demo.set_defaults(func=cmd_demo)
    commands.add_parser("run", help="serve with the configured channels").set_defaults(func=cmd_run)
