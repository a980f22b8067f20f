"""`cdsbot content check | stats`: validate and count guides, campaigns and report types."""

import json
import sys
from pathlib import Path

from bot.cli.common import CliError
from bot.services.content import CONTENT_ROOT, check_content, content_stats


async def cmd_content_check(settings, args) -> None:
    """Validate guides, campaigns and report types; non-zero exit on any problem."""
    problems = check_content(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise CliError(f"{len(problems)} content problem(s)")
    print("content is valid")


async def cmd_content_stats(settings, args) -> None:
    """Counts by category and language, steps and illustrated guides."""
    stats = content_stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, default=str))
        return
    print(f"guides: {stats['guides']} ({', '.join(f'{k}: {v}' for k, v in stats['by_lang'].items())})")
    for category, per_lang in stats["by_category"].items():
        print(f"  {category}: {', '.join(f'{k} {v}' for k, v in per_lang.items())}")
    for key, label in (("steps", "steps"), ("illustrated", "illustrated guides"), ("images", "pictures")):
        print(f"{label}: {', '.join(f'{k} {v}' for k, v in stats[key].items())}")
    print(f"campaigns: {stats['campaigns']}")


def add_commands(commands) -> None:
    """Register `content …`."""
    content = commands.add_parser("content", help="guides, campaigns").add_subparsers(dest="sub", required=True)
    check = content.add_parser("check", help="validate all content; non-zero exit on any problem")
    check.add_argument("--root", type=Path, default=CONTENT_ROOT, help="folder holding guides/ and campaigns/")
    check.set_defaults(func=cmd_content_check)
    stats = content.add_parser("stats", help="counts by category and language")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_content_stats)
