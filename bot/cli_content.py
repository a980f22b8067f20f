"""`cdsbot content check | stats`: validate and count guides, campaigns and report types."""

import json
import sys
from pathlib import Path

from bot.services.content import CONTENT_ROOT, check_content, content_stats


async def cmd_content_check(settings, args) -> None:
    from bot.cli import CliError

    problems = check_content(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise CliError(f"{len(problems)} content problem(s)")
    print("content is valid")


async def cmd_content_stats(settings, args) -> None:
    stats = content_stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, default=str))
        return
    print(f"guides: {stats['guides']} ({', '.join(f'{k}: {v}' for k, v in stats['by_lang'].items())})")
    for category, per_lang in stats["by_category"].items():
        print(f"  {category}: {', '.join(f'{k} {v}' for k, v in per_lang.items())}")
    print(f"campaigns: {stats['campaigns']}")


def add_commands(commands) -> None:
    content = commands.add_parser("content", help="guides, campaigns").add_subparsers(dest="sub", required=True)
    check = content.add_parser("check", help="validate all content; non-zero exit on any problem")
    check.add_argument("--root", type=Path, default=CONTENT_ROOT, help="folder holding guides/ and campaigns/")
    check.set_defaults(func=cmd_content_check)
    stats = content.add_parser("stats", help="counts by category and language")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_content_stats)
