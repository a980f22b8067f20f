"""`cdsbot reports document`: the official results report (DOCX) of a unit and period, with its XLSX annex."""

from datetime import date, datetime
from pathlib import Path

from bot.cli.common import CliError, output_file, unit_or_none, with_session
from bot.config import Settings
from bot.i18n import Translator
from bot.services import audit, document, document_annex, document_data, periods, plans
from bot.services import document_tables as tables
from bot.services.audit import AuditAction


async def _period_and_plan(session, args, issued: date) -> tuple[periods.Period, plans.Plan | None]:
    """--period, or with only --plan the plan's window up to the report's date (a report covers what is done);
    a campaign's window as the department stored it for the year."""
    plan = plans.by_key(args.plan) if args.plan else None
    if args.plan and plan is None:
        raise CliError(f"no plan {args.plan!r}: use <campaign id>:<year>, for example national-dx-day:2027")
    if not args.period and plan is None:
        raise CliError("give --period (2027-10, 2027-Q4, campaign:national-dx-day:2027, …) or --plan")
    try:
        if args.period:
            return await periods.stored(session, periods.parse(args.period)), plan
        window = await periods.stored(session, periods.parse(f"campaign:{plan.key}"))
        return periods.of_dates(window.start, max(window.start, min(window.end, issued))), plan
    except periods.BadPeriod as exc:
        raise CliError(f"bad period: {exc}") from exc


def _issued(settings: Settings, args) -> date:
    if not args.date:
        return datetime.now(settings.tz).date()
    try:
        return datetime.strptime(args.date, "%Y-%m-%d").date()
    except ValueError as exc:
        raise CliError(f"not a date: {args.date!r} (use YYYY-MM-DD)") from exc


async def cmd_reports_document(settings: Settings, args) -> None:
    """Write the DOCX and its annex; the download is recorded in the audit log like an export."""
    issued = _issued(settings, args)
    out = output_file(args.output)
    annex = Path(args.annex) if args.annex else out.with_name(f"{out.stem}-phu-luc.xlsx")

    async def work(session):
        period, plan = await _period_and_plan(session, args, issued)
        root = await unit_or_none(session, args.unit)
        if root is None:
            raise CliError(f"no unit {args.unit!r}" if args.unit else "give --unit CODE")
        data = await document_data.gather(session, root, period, plan, issued, settings.media_dir,
                                          args.approved_only)
        try:
            document.build(data, out)
        except document.DocumentError as exc:
            raise CliError(str(exc)) from exc
        document_annex.build_annex(data, annex)
        await audit.record_command(session, AuditAction.EXPORT_DOWNLOADED, target=out.name, unit_path=root.path,
                                   detail={"format": "docx", "period": period.key, "unit": root.code,
                                           "plan": plan.key if plan else None})
        await session.commit()

    await with_session(settings, work)
    print(f"{out}\n{annex}")


def _progress_lines(data: document_data.DocumentData) -> list[str]:
    """One line per unit: for each target, the figure and its share of the target ("no base" without a base)."""
    tr = Translator("vi")
    heads = [f"{t.name_in('vi')} ({tr.number(t.percent[data.targets_year])}% {tables.BASE_WORDS[t.base]})"
             for t in data.targets]
    lines = [f"{data.root.name} · {data.period.start:%d/%m/%Y}–{data.period.end:%d/%m/%Y} · "
             "đạt được (tỷ lệ so với chỉ tiêu):", *(f"  {i}. {h}" for i, h in enumerate(heads, start=1))]
    names = {r.unit.id: r.unit.name for r in data.rollup.units}
    for name, found in [*((names[u], p) for u, p in data.progress.items()), ("Tổng cộng", data.total_progress)]:
        cells = [f"{tables.number(tr, p.value)} ({tables.percent(tr, p.of_target)})" for p in found]
        lines.append(f"{name[:30]:<30} " + " | ".join(cells))
    return lines


async def cmd_reports_targets(settings: Settings, args) -> None:
    """The roll-up's progress against the year's targets, per child unit, as text."""
    issued = _issued(settings, args)

    async def work(session):
        period, plan = await _period_and_plan(session, args, issued)
        root = await unit_or_none(session, args.unit)
        if root is None:
            raise CliError(f"no unit {args.unit!r}" if args.unit else "give --unit CODE")
        return await document_data.gather(session, root, period, plan, issued, settings.media_dir,
                                          args.approved_only)

    print("\n".join(_progress_lines(await with_session(settings, work))))


def add_command(group) -> None:
    """Register `reports document` and `reports targets` in the `reports` group."""
    targets = group.add_parser("targets", help="progress against the year's targets (content/targets.yaml) by unit")
    targets.add_argument("--unit", required=True, help="unit code, e.g. 51 for the province")
    targets.add_argument("--period", help="as for `reports document`")
    targets.add_argument("--plan", help="<campaign id>:<year>, e.g. national-dx-day:2027")
    targets.add_argument("--date", help="with --plan only: count up to this day, YYYY-MM-DD (default: today)")
    targets.add_argument("--approved-only", action="store_true", help="count approved reports only")
    targets.set_defaults(func=cmd_reports_targets)
    doc = group.add_parser("document", help="the official results report (DOCX, Decree 30/2020) and its XLSX annex")
    doc.add_argument("--unit", required=True, help="unit code, e.g. 51 for the province")
    doc.add_argument("--period", help="2027-10, 2027-Q4, 2027, campaign:national-dx-day:2027 or 2027-09-28..2027-10-31 "
                                      "(default: the plan's window)")
    doc.add_argument("--plan", help="the plan reported on, <campaign id>:<year>, e.g. national-dx-day:2027")
    doc.add_argument("--date", help="the date printed on the report, YYYY-MM-DD (default: today)")
    doc.add_argument("--approved-only", action="store_true", help="count approved reports only")
    doc.add_argument("-o", "--output", required=True, help="the DOCX to write")
    doc.add_argument("--annex", help="the XLSX annex to write (default: beside the DOCX, …-phu-luc.xlsx)")
    doc.set_defaults(func=cmd_reports_document)
