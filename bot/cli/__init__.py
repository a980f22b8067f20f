"""The `cdsbot` command line: serve, migrate, import rosters, inspect the tree, broadcast, schedule."""

import argparse
import asyncio
import os
import signal
import sys

from bot.cli import (
    admin,
    broadcast,
    campaign,
    content,
    db,
    deadletters,
    i18n,
    members,
    reports,
    schedule,
    serving,
    teams,
    units,
    zalo,
)
from bot.cli.common import CliError
from bot.config import ConfigError, load_settings
from bot.log_setup import configure_logging, secrets_of

# Each command group registers its subcommands; this order is the order `cdsbot --help` lists them in.
COMMAND_GROUPS = (serving, db, units, teams, members, admin, i18n, content, zalo, reports, broadcast, schedule,
                  campaign, deadletters)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, one group of subcommands at a time."""
    parser = argparse.ArgumentParser(prog="cdsbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that stops early (`cdsbot … | head`) ends it quietly, as Unix tools do."""
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not as a traceback when Python exits
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout again at exit
        return 128 + signal.SIGPIPE  # what a shell reports for a tool stopped by a closed pipe


def _run(argv: list[str] | None) -> int:
    """Parse the command line, load settings and run the chosen command; problems print one line, not a traceback."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, secrets_of(settings))
        asyncio.run(args.func(settings, args))
    except (ConfigError, CliError) as exc:
        print(f"cdsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
