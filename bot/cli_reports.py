"""`cdsbot reports summary`: the activity roll-up of a subtree and period, as text or JSON."""

import json
from datetime import date, datetime, time, timedelta

from babel.numbers import format_decimal
from sqlalchemy import select

import bot.cli as cli  # bot.cli imports this module at its top: names are looked up at call time
from bot.config import Settings
from bot.db.models import OrgUnit
from bot.services import reports
from bot.services.report_types import load_report_types


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise cli.CliError(f"not a date: {text!r} (use YYYY-MM-DD or DD/MM/YYYY)")


def _num(value: int | None) -> str:
    """Vietnamese number formatting (7.534); '—' for no data."""
    return "—" if value is None else format_decimal(value, locale="vi")


def _period(settings: Settings, args) -> tuple[date, date, datetime]:
    today = datetime.now(settings.tz).date()
    start = _date(args.start) if args.start else today.replace(day=1)
    end = _date(args.end) if args.end else today
    if end < start:
        raise cli.CliError("--to is before --from")
    last = _date(args.deadline) if args.deadline else end
    return start, end, datetime.combine(last + timedelta(days=1), time(), settings.tz)


def _as_json(result: reports.Rollup) -> dict:
    return {
        "unit": result.root.code, "from": result.start.isoformat(), "to": result.end.isoformat(),
        "approved_only": result.approved_only,
        "units": [{"code": row.unit.code, "name": row.unit.name, "reports": row.reports, "people": row.people,
                   "teams_expected": row.expected, "teams_reported": row.reported, "on_time": row.on_time,
                   "late": row.late,
                   "by_type": None if row.by_type is None else {k: vars(v) for k, v in row.by_type.items()}}
                  for row in result.units],
        "counts_by_type": result.counts,
    }


def _as_text(result: reports.Rollup) -> str:
    scope = "approved reports" if result.approved_only else "pending and approved reports"
    lines = [f"{result.root.name} [{result.root.code}] · {result.start:%d/%m/%Y}–{result.end:%d/%m/%Y} · {scope}",
             f"{'unit':<32} {'teams reported':>15} {'on time':>8} {'late':>6} {'reports':>9} {'people':>9}"]
    for row in result.units:
        lines.append(f"{row.unit.name[:32]:<32} {_num(row.reported) + '/' + _num(row.expected):>15} "
                     f"{_num(row.on_time):>8} {_num(row.late):>6} {_num(row.reports):>9} {_num(row.people):>9}")
    types = load_report_types()
    lines.append("by type:")
    for type_id, sums in result.counts.items():
        kind = types.get(type_id)
        figures = ", ".join(f"{(kind.count(c).label_in('en') if kind and kind.count(c) else c)} {_num(v)}"
                            for c, v in sums.items() if v is not None)
        lines.append(f"  {kind.name_in('en') if kind else type_id}: {figures}")
    return "\n".join(lines)


async def cmd_reports_summary(settings: Settings, args) -> None:
    start, end, deadline = _period(settings, args)
    count_ids = sorted({c.id for t in load_report_types().values() for c in t.counts})

    async def work(session):
        root = await cli._unit_or_none(session, args.unit)
        if root is None:
            root = (await session.execute(select(OrgUnit).order_by(OrgUnit.depth, OrgUnit.id).limit(1))).scalar()
        if root is None:
            raise cli.CliError("no units yet: import a roster first (cdsbot units import)")
        return await reports.rollup(session, root, start, end, deadline=deadline, count_ids=count_ids,
                                    approved_only=args.approved_only)

    result = await cli._with_session(settings, work)
    print(json.dumps(_as_json(result), ensure_ascii=False) if args.json else _as_text(result))


def add_commands(commands) -> None:
    """`cdsbot reports …` subcommands."""
    group = commands.add_parser("reports", help="activity reports").add_subparsers(dest="sub", required=True)
    summary = group.add_parser("summary", help="roll-up by child unit and type, with completeness")
    summary.add_argument("--unit", help="unit code (default: the province)")
    summary.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 1st of this month)")
    summary.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
    summary.add_argument("--deadline", help="reports received by the end of this day are on time (default: --to)")
    summary.add_argument("--approved-only", action="store_true", help="count approved reports only")
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_reports_summary)
