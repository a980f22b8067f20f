"""The report-duty calendar: the year's reporting duties and, for each, what is in and what is missing.

GET /admin/duties?year=YYYY[&unit=CODE]: every duty with the teams' and the department's deadlines and, for
those already open, how many teams reported and how many units sent their written parts. GET
/admin/duties/{key}?unit=CODE: one duty per unit below, with the teams and officers still missing; each row
drills down. Only units the person may view.
"""

from aiohttp import web

from bot.clock import LOCAL_TZ
from bot.services import access, duties, reports
from bot.web.console.render import render, translator
from bot.web.console.rollup import breadcrumb, chosen_unit, period_label
from bot.web.keys import CLOCK, DB

YEARS_AROUND = 1  # years offered before and after this one


def _year(request: web.Request, today) -> int:
    """The year asked for (this year by default); 400 for nonsense."""
    raw = request.query.get("year", str(today.year))
    if not raw.isdigit() or abs(int(raw) - today.year) > 5:
        raise web.HTTPBadRequest()
    return int(raw)


async def page(request: web.Request) -> web.Response:
    """GET /admin/duties: the year's duties for the person's unit."""
    actor = access.require_any(request["actor"], access.Action.VIEW)
    today = request.app[CLOCK].now().astimezone(LOCAL_TZ).date()
    year = _year(request, today)
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, request.query)
        found = await duties.of_year(session, year)
        totals = await duties.overview(session, unit, [d for d in found if d.period.start <= today])
    return await render(request, "duties.html", {
        "unit": unit, "year": year, "duties": found, "totals": totals, "today": today,
        "labels": {d.key: period_label(translator(request), d.key) for d in found},
        "years": range(today.year - YEARS_AROUND, today.year + YEARS_AROUND + 1),
    })


async def duty_page(request: web.Request) -> web.Response:
    """GET /admin/duties/{key}: one duty, per unit below the chosen one, and who is still missing."""
    actor = access.require_any(request["actor"], access.Action.VIEW)
    async with request.app[DB].session() as session:
        duty = await duties.by_key(session, request.match_info["key"])
        if duty is None:
            raise web.HTTPNotFound()
        unit = await chosen_unit(session, actor, request.query)
        rows, total = await duties.status(session, unit, duty)
        teams, silent = await duties.missing(session, unit, duty)
        trail = await breadcrumb(session, actor, unit)
    return await render(request, "duty.html", {
        "unit": unit, "duty": duty, "rows": rows, "total": total, "teams": teams, "silent": silent,
        "trail": trail, "listed": duties.LISTED, "period_name": period_label(translator(request), duty.key),
        "today": request.app[CLOCK].now().astimezone(LOCAL_TZ).date(),
        "may_answer": access.may(actor, access.Action.UNIT_FACTS, unit.path),
        "own_team": reports.own_team_name(translator(request), unit.name),
    })


def add_routes(app: web.Application) -> None:
    """Register the duty calendar and a duty's page."""
    app.router.add_get("/duties", page, name="duties")
    app.router.add_get("/duties/{key}", duty_page, name="duty")
