"""The roll-up page: a unit's reports by child unit and type for a period, with completeness and charts.

GET /admin/reports/rollup?unit=CODE&period=KEY[&from=…&to=…][&approved=1][&asat=DATE][&compare=KEY]: any
unit the person may view, any period (see bot/services/periods.py); each row drills down, a breadcrumb goes
back up. `asat` shows the tree as it stood on that day (bot/services/rollup_history.py), `compare` a second
period's reports and people beside the first's, with the difference.
"""

from datetime import date

from aiohttp import web
from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.db.models import OrgUnit
from bot.i18n import N_, Translator
from bot.services import access, agencies, charts, exports, org, periods, reports, rollup_history, targets
from bot.web.console.render import render, translator
from bot.web.keys import CLOCK, DB

DEADLINE_NOTES = {"campaign": N_("the campaign's report deadline"),
                  "other": N_("the monthly report's deadline after the period")}
PERIOD_NAMES = {"month": N_("Month {value}"), "quarter": N_("Quarter {value}"), "year": N_("Year {value}")}


async def scope_root(session, actor: access.Actor) -> OrgUnit | None:
    """The top unit the person may view: the province for admins, else the unit of their scope."""
    query = select(OrgUnit).order_by(OrgUnit.depth, OrgUnit.id).limit(1)
    if not actor.whole_tree:
        query = query.where(OrgUnit.path == actor.scope_path)
    return (await session.execute(query)).scalar_one_or_none()


async def chosen_unit(session, actor: access.Actor, query) -> OrgUnit:
    """The `unit` of the query (404 if unknown, 403 outside the person's scope), else the top of their scope."""
    code = (query.get("unit") or "").strip()
    unit = await org.unit_by_code(session, code) if code else await scope_root(session, actor)
    if unit is None:
        raise web.HTTPNotFound()
    access.require(actor, access.Action.VIEW, unit.path)
    return unit


def chosen_period(request: web.Request, query) -> periods.Period:
    """`from`/`to` when the period is "dates" (or none is chosen), else `period`, else this month; 400 for nonsense."""
    try:
        if query.get("period", "dates") == "dates" and query.get("from") and query.get("to"):
            return periods.of_dates(date.fromisoformat(query["from"]), date.fromisoformat(query["to"]))
        today = request.app[CLOCK].now().astimezone(LOCAL_TZ).date()
        key = query.get("period", "")
        return periods.parse(key if key and key != "dates" else f"{today:%Y-%m}")
    except ValueError as exc:  # BadPeriod is a ValueError
        raise web.HTTPBadRequest() from exc


def period_label(tr: Translator, key: str) -> str:
    """'Tháng 2026-11', 'Quý 2026-Q4', a campaign's name and year, or the dates."""
    period = periods.parse(key)
    if period.campaign is not None:
        return f"{period.campaign.name.get(tr.locale) or period.campaign.name['vi']} {period.start.year}"
    if period.kind in PERIOD_NAMES:
        return tr.t(PERIOD_NAMES[period.kind], value=key)
    return f"{tr.date(period.start)}–{tr.date(period.end)}"


def _charts(tr: Translator, rows: list[exports.TableRow], months: dict, year: int) -> dict:
    """The bars (reports per row, total left out) and the line (reports per month of the period's year)."""
    def shown(value):
        return tr.t(exports.NO_FIGURES) if value is None else tr.number(value)

    bars = [charts.Point(r.name, r.row.reports, shown(r.row.reports)) for r in rows if not r.total]
    line = [charts.Point(f"{m:02d}", months.get((year, m), (None,))[0], shown(months.get((year, m), (None,))[0]))
            for m in range(1, 13)]
    titles = tr.t("Reports by unit"), tr.t("Reports by month, {year}", year=year)
    return {"bars": charts.bars(titles[0], bars), "line": charts.line(titles[1], line),
            "bars_title": titles[0], "line_title": titles[1]}


async def breadcrumb(session, actor: access.Actor, unit: OrgUnit, day: date | None = None) -> list[OrgUnit]:
    """The unit's ancestors the person may view, from the top down, then the unit itself (on the tree of `day`)."""
    steps = list(reversed(await org.ancestors(session, unit))) if day is None else \
        await rollup_history.trail_as_at(session, unit, day)
    return [u for u in steps if access.may(actor, access.Action.VIEW, u.path)]


def chosen_history(query) -> tuple[date | None, periods.Period | None]:
    """`asat` (the tree as at that day; none: today's tree) and `compare` (a second period); 400 for nonsense."""
    try:
        day = date.fromisoformat(query["asat"]) if query.get("asat") else None
        return day, periods.parse(query["compare"]) if query.get("compare") else None
    except ValueError as exc:  # BadPeriod is a ValueError
        raise web.HTTPBadRequest() from exc


async def comparison(session, sel: exports.Selection, first: reports.Rollup, other: periods.Period | None,
                     day: date | None, tr: Translator) -> dict | None:
    """The second period beside the first, per row (reports, people and the differences), for the template."""
    if other is None:
        return None
    second = await _rollup(session, sel, other, day)
    names = {(line.row.unit.id, line.row.own_team): line.name for line in exports.table(second, tr)}
    names |= {(line.row.unit.id, line.row.own_team): line.name for line in exports.table(first, tr)}
    pairs = [(tr.t("Total") + " · " + sel.root.name if pair.total else names[(pair.unit.id, pair.own_team)], pair)
             for pair in rollup_history.side_by_side(first, second)]
    return {"first": period_label(tr, sel.period.key), "second": period_label(tr, other.key), "pairs": pairs}


async def page(request: web.Request) -> web.Response:
    """GET /admin/reports/rollup: the table, the charts, the switches and the export buttons."""
    actor: access.Actor = request["actor"]
    tr = translator(request)
    period = chosen_period(request, request.query)
    approved_only = request.query.get("approved") == "1"
    with_agencies = request.query.get("agencies") == "1"  # the agency groups below a territorial unit too
    day, other = chosen_history(request.query)
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, request.query)
        period = await periods.stored(session, period)
        other = await periods.stored(session, other) if other else None
        sel = exports.Selection(unit, period, approved_only, tr.locale, agencies=with_agencies)
        agency_groups = await agencies.apart_from(session, unit)
        result = await _rollup(session, sel, period, day)
        year = period.end.year
        months = await _months(session, sel, year, day)
        target_rows, target_total = await targets.rollup_progress(session, result, year)
        trail = await breadcrumb(session, actor, unit, day)
        compared = await comparison(session, sel, result, other, day, tr)
    rows, columns = exports.table(result, tr), exports.columns(tr)
    groups = [(c.group, sum(1 for o in columns if o.type_id == c.type_id)) for c in columns if c.count_id is None]
    today = request.app[CLOCK].now().astimezone(LOCAL_TZ).date()
    keys = periods.choices(today)
    keys += [] if period.key in keys or period.kind == "dates" else [period.key]
    query = {"unit": unit.code, "period": period.key, **({"approved": "1"} if approved_only else {}),
             **({"agencies": "1"} if with_agencies else {}), **({"asat": day.isoformat()} if day else {}),
             **({"compare": other.key} if other else {})}
    return await render(request, "rollup.html", {
        "unit": unit, "period": period, "rows": rows, "columns": columns, "groups": groups, "figure": exports.figure,
        "trail": trail, "approved_only": approved_only, "agency_groups": agency_groups, "with_agencies": with_agencies,
        "periods": [(k, period_label(tr, k)) for k in keys],
        "period_name": period_label(tr, period.key), "query": query, "as_at": day, "compared": compared,
        "compare_key": other.key if other else "", "not_then": _not_then(result, day),
        "compare_periods": [(k, period_label(tr, k)) for k in compare_keys(today, other)],
        "deadline_note": tr.t(DEADLINE_NOTES["campaign" if period.campaign else "other"]),
        "no_figures": tr.t(exports.NO_FIGURES), "may_export": access.may(actor, access.Action.EXPORT, unit.path),
        **_charts(tr, rows, months, year),
        "target_progress": target_progress(tr, year, target_rows, target_total),
    })


def target_progress(tr: Translator, year: int, rows: dict, total: list) -> dict:
    """What the table of progress against the year's targets shows (templates/rollup_targets.html)."""
    return {"targets": targets.chosen(year), "year": year, "rows": rows, "total": total,
            "pct": lambda value: targets.percent_text(tr.locale, value), "base_words": targets.BASE_WORDS}


def compare_keys(today: date, other: periods.Period | None) -> list[str]:
    """The periods offered beside the first: the usual ones, then whole years back to four years ago."""
    keys = periods.choices(today) + [str(year) for year in range(today.year - 2, today.year - 5, -1)]
    return keys + ([other.key] if other and other.key not in keys and other.kind != "dates" else [])


async def _rollup(session, sel: exports.Selection, period: periods.Period, day: date | None) -> reports.Rollup:
    """The selection's roll-up for `period` on today's tree (`day` None) or on the tree of `day`."""
    return await rollup_history.rollup_on(session, sel.root, period.start, period.end, day=day,
                                          deadline=period.deadline, approved_only=sel.approved_only,
                                          kinds=exports.kinds(), agencies_too=sel.agencies)


async def _months(session, sel: exports.Selection, year: int, day: date | None) -> dict:
    """The chart's line: reports per month of the year, on today's tree or on the tree of `day`."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if day is None:
        return await reports.monthly(session, sel.root, start, end, sel.approved_only, agencies_too=sel.agencies)
    return await rollup_history.monthly_as_at(session, sel.root, start, end, day=day, approved_only=sel.approved_only,
                                              agencies_too=sel.agencies)


def _not_then(result: reports.Rollup, day: date | None) -> set[str]:
    """Codes of the rows whose unit was not on the tree of `day` (formed later, or retired by then)."""
    if day is None:
        return set()
    return {row.unit.code for row in result.units if not row.own_team and not (
        (row.unit.valid_from is None or row.unit.valid_from <= day) and (row.unit.retired_on is None
                                                                         or row.unit.retired_on > day))}


def add_routes(app: web.Application) -> None:
    """Register the roll-up page."""
    app.router.add_get("/reports/rollup", page, name="rollup")
