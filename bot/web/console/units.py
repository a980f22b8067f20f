"""A unit's page: its teams, members and this month's reports, per unit of the next level down."""

from aiohttp import web

from bot.services import access, dashboard, org
from bot.web.console.render import render
from bot.web.keys import CLOCK, DB


async def page(request: web.Request) -> web.Response:
    """GET /admin/units/{code}: 404 for an unknown code, 403 outside the person's subtree."""
    actor: access.Actor = request["actor"]
    async with request.app[DB].session() as session:
        unit = await org.unit_by_code(session, request.match_info["code"])
        if unit is None:
            raise web.HTTPNotFound()
        access.require(actor, access.Action.VIEW, unit.path)
        start, end = dashboard.month_of(request.app[CLOCK].now())
        figures = await dashboard.unit_figures(session, actor, unit, start, end)
        label = await org.unit_label(session, unit)
    children = [row for row in figures if row.code != unit.code]
    return await render(request, "unit.html", {"unit": unit, "label": label, "children": children,
                                               "month_start": start})
