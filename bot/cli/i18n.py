"""`cdsbot i18n update|check`: keep the vi/en catalogs in step with the code."""

import sys

from bot.cli.common import CliError
from bot.config import Settings
from bot.services import catalogs


async def cmd_i18n_update(settings: Settings, args) -> None:
    """Extract strings and update both catalogs; print what is left to translate."""
    for locale, missing in catalogs.update().items():
        print(f"{locale}: {missing} untranslated")


async def cmd_i18n_check(settings: Settings, args) -> None:
    """Fail on missing or stale translations."""
    problems = catalogs.check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise CliError(f"{len(problems)} catalog problem(s); run `cdsbot i18n update` and translate")
    print("catalogs are complete and up to date")


def add_commands(commands) -> None:
    """Register `i18n …`."""
    i18n = commands.add_parser("i18n", help="translations").add_subparsers(dest="sub", required=True)
    i18n.add_parser("update", help="extract strings, update vi/en catalogs").set_defaults(func=cmd_i18n_update)
    i18n.add_parser("check", help="fail on missing or stale translations").set_defaults(func=cmd_i18n_check)
