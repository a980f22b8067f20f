"""The roll-up page: a unit's reports by child unit and type for a period, with completeness and charts.

GET /admin/reports/rollup?unit=CODE&period=KEY[&from=…&to=…][&approved=1]: any unit the person may
view, any period (see bot/services/periods.py); each row drills down, a breadcrumb goes back up.
"""

from datetime import date

from aiohttp import web
from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.db.models import OrgUnit
from bot.i18n import N_, Translator
from bot.services import access, charts, exports, org, periods, reports
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


async def breadcrumb(session, actor: access.Actor, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors the person may view, from the top down, then the unit itself."""
    return [u for u in reversed(await org.ancestors(session, unit)) if access.may(actor, access.Action.VIEW, u.path)]


async def page(request: web.Request) -> web.Response:
    """GET /admin/reports/rollup: the table, the charts, the switches and the export buttons."""
    actor: access.Actor = request["actor"]
    tr = translator(request)
    period = chosen_period(request, request.query)
    approved_only = request.query.get("approved") == "1"
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, request.query)
        sel = exports.Selection(unit, period, approved_only, tr.locale)
        result = await exports.rollup(session, sel)
        year = period.end.year
        months = await reports.monthly(session, unit, date(year, 1, 1), date(year, 12, 31), approved_only)
        trail = await breadcrumb(session, actor, unit)
    rows, columns = exports.table(result, tr), exports.columns(tr)
    groups = [(c.group, sum(1 for o in columns if o.type_id == c.type_id)) for c in columns if c.count_id is None]
    today = request.app[CLOCK].now().astimezone(LOCAL_TZ).date()
    keys = periods.choices(today)
    keys += [] if period.key in keys or period.kind == "dates" else [period.key]
    query = {"unit": unit.code, "period": period.key, **({"approved": "1"} if approved_only else {})}
    return await render(request, "rollup.html", {
        "unit": unit, "period": period, "rows": rows, "columns": columns, "groups": groups, "figure": exports.figure,
        "trail": trail, "approved_only": approved_only, "periods": [(k, period_label(tr, k)) for k in keys],
        "period_name": period_label(tr, period.key), "query": query,
        "deadline_note": tr.t(DEADLINE_NOTES["campaign" if period.campaign else "other"]),
        "no_figures": tr.t(exports.NO_FIGURES), "may_export": access.may(actor, access.Action.EXPORT, unit.path),
        **_charts(tr, rows, months, year),
    })


def add_routes(app: web.Application) -> None:
    """Register the roll-up page."""
    app.router.add_get("/reports/rollup", page, name="rollup")
