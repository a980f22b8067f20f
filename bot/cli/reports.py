"""`cdsbot reports summary|export`: the activity roll-up of a subtree and period as text or JSON, or as a file.

Names of units, report types and counts, headers and numbers are in the chosen language (`--lang`,
Vietnamese by default). An export is recorded in the audit log like a download from the console.
"""

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.cli import document
from bot.cli.common import CliError, output_file, progress, unit_or_none, with_session
from bot.config import Settings
from bot.db.models import OrgUnit
from bot.i18n import LOCALES, Translator
from bot.services import audit, export_files, exports, periods, reports, rollup_history
from bot.services.audit import AuditAction
from bot.services.report_types import load_report_types


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CliError(f"not a date: {text!r} (use YYYY-MM-DD or DD/MM/YYYY)")


def _period(settings: Settings, args) -> tuple[date, date, datetime]:
    today = datetime.now(settings.tz).date()
    start = _date(args.start) if args.start else today.replace(day=1)
    end = _date(args.end) if args.end else today
    if end < start:
        raise CliError("--to is before --from")
    last = _date(args.deadline) if args.deadline else end
    return start, end, datetime.combine(last + timedelta(days=1), time(), settings.tz)


def _name(tr: Translator, row: reports.UnitRow) -> str:
    return reports.own_team_name(tr, row.unit.name) if row.own_team else row.unit.name


def _row_json(row: reports.UnitRow, name: str) -> dict:
    return {"code": row.unit.code, "name": name, "own_team": row.own_team, "reports": row.reports,
            "people": row.people, "teams_expected": row.expected, "teams_reported": row.reported,
            "on_time": row.on_time, "late": row.late,
            "by_type": None if row.by_type is None else {k: vars(v) for k, v in row.by_type.items()}}


def _as_json(result: reports.Rollup, tr: Translator) -> dict:
    return {
        "unit": result.root.code, "from": result.start.isoformat(), "to": result.end.isoformat(),
        "approved_only": result.approved_only,
        "units": [_row_json(row, _name(tr, row)) for row in result.units],
        "total": _row_json(result.total, result.root.name),
        "counts_by_type": result.counts,
    }


def _as_text(result: reports.Rollup, tr: Translator) -> str:
    def num(value: int | None) -> str:
        return "—" if value is None else tr.number(value)

    scope = export_files.scope_text(tr, result.approved_only)
    lines = [f"{result.root.name} [{result.root.code}] · {tr.date(result.start)}–{tr.date(result.end)} · {scope}",
             f"{tr.t('Unit'):<32} {tr.t('Teams reported'):>15} {tr.t('On time'):>8} {tr.t('Late'):>6} "
             f"{tr.t('Reports'):>9} {tr.t('People'):>9}"]
    for row, name in [(row, _name(tr, row)) for row in result.units] + [(result.total, tr.t("Total"))]:
        lines.append(f"{name[:32]:<32} {num(row.reported) + '/' + num(row.expected):>15} "
                     f"{num(row.on_time):>8} {num(row.late):>6} {num(row.reports):>9} {num(row.people):>9}")
    types = load_report_types()
    lines.append(tr.t("By report type:"))
    for type_id, sums in result.counts.items():
        kind = types.get(type_id)
        figures = ", ".join(f"{(kind.count(c).label_in(tr.locale) if kind and kind.count(c) else c)} {num(v)}"
                            for c, v in sums.items() if v is not None)
        lines.append(f"  {kind.name_in(tr.locale) if kind else type_id}: {figures}")
    return "\n".join(lines)


async def _root(session, code: str | None) -> OrgUnit:
    """The unit a command names, else the top of the tree."""
    root = await unit_or_none(session, code)
    if root is None:
        root = (await session.execute(select(OrgUnit).order_by(OrgUnit.depth, OrgUnit.id).limit(1))).scalar()
    if root is None:
        raise CliError("no units yet: import a roster first (cdsbot units import)")
    return root


async def cmd_reports_summary(settings: Settings, args) -> None:
    start, end, deadline = _period(settings, args)
    count_ids = sorted({c.id for t in load_report_types().values() for c in t.counts})
    tr = Translator(args.lang)
    day = _date(args.as_at) if args.as_at else None
    other = _parse_period(args.compare) if args.compare else None

    async def work(session):
        root = await _root(session, args.unit)
        first = await rollup_history.rollup_on(session, root, start, end, day=day, deadline=deadline,
                                               count_ids=count_ids, approved_only=args.approved_only,
                                               agencies_too=args.agencies)
        if other is None:
            return first, None
        second = await periods.stored(session, other)
        return first, await rollup_history.rollup_on(session, root, second.start, second.end, day=day,
                                                     deadline=second.deadline, count_ids=count_ids,
                                                     approved_only=args.approved_only, agencies_too=args.agencies)

    result, second = await with_session(settings, work)
    if args.json:
        found = _as_json(result, tr) | ({"as_at": day.isoformat()} if day else {})
        found |= {"compare": _compare_json(result, second, tr)} if second else {}
        print(json.dumps(found, ensure_ascii=False))
    else:
        print(_as_text(result, tr) + (f"\n{_compare_text(result, second, tr, day)}" if second else ""))


def _compare_json(first: reports.Rollup, second: reports.Rollup, tr: Translator) -> dict:
    """The second period beside the first: per row [first, second, first − second] (null: no data)."""
    rows = [{"code": pair.unit.code, "name": tr.t("Total") if pair.total else _pair_name(tr, pair),
             "own_team": pair.own_team, "reports": pair.values("reports"), "people": pair.values("people")}
            for pair in rollup_history.side_by_side(first, second)]
    return {"from": second.start.isoformat(), "to": second.end.isoformat(), "units": rows[:-1], "total": rows[-1]}


def _pair_name(tr: Translator, pair: rollup_history.Pair) -> str:
    return reports.own_team_name(tr, pair.unit.name) if pair.own_team else pair.unit.name


def _compare_text(first: reports.Rollup, second: reports.Rollup, tr: Translator, day: date | None) -> str:
    """Reports and people of both periods per row, and the difference ("—" where a period has no data)."""
    def num(value: int | None) -> str:
        return "—" if value is None else tr.number(value)

    a, b = (f"{tr.date(r.start)}–{tr.date(r.end)}" for r in (first, second))
    unit, counted, people = tr.t("Unit"), tr.t("Reports") + " (1)", tr.t("People") + " (1)"
    tree = tr.t("tree as at {date}", date=tr.date(day)) if day else tr.t("today's tree")
    lines = [tr.t("Compared: {first} and {second} ({tree})", first=f"(1) {a}", second=f"(2) {b}", tree=tree),
             f"{unit:<32} {counted:>13} {'(2)':>9} {'±':>7} {people:>13} {'(2)':>9} {'±':>7}"]
    for pair in rollup_history.side_by_side(first, second):
        cells = [num(v) for figure in ("reports", "people") for v in pair.values(figure)]
        name = tr.t("Total") if pair.total else _pair_name(tr, pair)
        lines.append(f"{name[:32]:<32} {cells[0]:>13} {cells[1]:>9} {cells[2]:>7} {cells[3]:>13} {cells[4]:>9} "
                     f"{cells[5]:>7}")
    return "\n".join(lines)


def _parse_period(key: str) -> periods.Period:
    """A period key (2024, 2024-Q3, 2024-11, a campaign's, FROM..TO), or a clear refusal."""
    try:
        return periods.parse(key)
    except periods.BadPeriod as exc:
        raise CliError(f"bad period: {exc}") from exc


def _export_period(settings: Settings, args) -> periods.Period:
    """--period KEY, or --from/--to (default: this month so far)."""
    if args.period:
        return _parse_period(args.period)
    try:
        today = datetime.now(settings.tz).date()
        return periods.of_dates(_date(args.start) if args.start else today.replace(day=1),
                                _date(args.end) if args.end else today)
    except periods.BadPeriod as exc:
        raise CliError(f"bad period: {exc}") from exc


async def cmd_reports_export(settings: Settings, args) -> None:
    period = _export_period(settings, args)
    day = _date(args.as_at) if args.as_at else None
    out = output_file(args.output)

    async def work(session):
        sel = exports.Selection(await _root(session, args.unit), await periods.stored(session, period),
                                args.approved_only, args.lang, as_at=day)
        unit = " rows" if args.format != "zip" else " photos"
        with progress(f"export {args.format}", unit, not args.quiet) as bar:
            bar.total = await export_files.total(session, sel, args.format)
            written = await export_files.build(session, sel, args.format, out, public_url=settings.public_url,
                                               media_dir=settings.media_dir, progress=bar.update)
        await audit.record_command(session, AuditAction.EXPORT_DOWNLOADED, target=out.name,
                                   unit_path=sel.root.path, detail={"format": args.format, "period": period.key,
                                                                    "rows": written, "unit": sel.root.code,
                                                                    **({"as_at": day.isoformat()} if day else {})})
        await session.commit()
        return written

    written = await with_session(settings, work)
    print(f"{out}: {written} {'photos' if args.format == 'zip' else 'reports'}")


def _common(parser, default_from: str) -> None:
    parser.add_argument("--unit", help="unit code (default: the province)")
    parser.add_argument("--from", dest="start", help=f"first day, YYYY-MM-DD (default: {default_from})")
    parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--approved-only", action="store_true", help="count approved reports only")
    parser.add_argument("--lang", choices=LOCALES, default="vi", help="language of names and headers (default: vi)")


AS_AT_HELP = "on the tree as it stood on this day, YYYY-MM-DD (default: today's tree, old units' reports under " \
             "their successors)"


def add_commands(commands) -> None:
    """`cdsbot reports …` subcommands."""
    group = commands.add_parser("reports", help="activity reports").add_subparsers(dest="sub", required=True)
    summary = group.add_parser("summary", help="roll-up by child unit and type, with completeness")
    _common(summary, "1st of this month")
    summary.add_argument("--deadline", help="reports received by the end of this day are on time (default: --to)")
    summary.add_argument("--json", action="store_true")
    summary.add_argument("--agencies", action="store_true",
                         help="count the agency groups below the unit too (a territorial roll-up leaves them out)")
    summary.add_argument("--as-at", help=AS_AT_HELP)
    summary.add_argument("--compare", help="a second period beside the first, with the difference: 2024, 2024-Q3, "
                                           "2024-11 or 2024-01-05..2024-02-10")
    summary.set_defaults(func=cmd_reports_summary)
    export = group.add_parser("export", help="the roll-up and report rows as XLSX or CSV, or the photos as a ZIP")
    _common(export, "1st of this month")
    export.add_argument("--period", help="instead of --from/--to: 2026-11, 2026-Q4, 2026, "
                                         "campaign:national-dx-day:2026 or 2026-01-05..2026-02-10")
    export.add_argument("--format", choices=export_files.FORMATS, default="xlsx")
    export.add_argument("--as-at", help=AS_AT_HELP + "; the report rows are those filed for that tree's units")
    export.add_argument("-o", "--output", required=True, help="the file to write")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    export.set_defaults(func=cmd_reports_export)
    document.add_command(group)
