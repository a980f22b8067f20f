"""The teams page (a unit's teams with their invite codes) and the QR invite sheets of a unit, as a PDF."""

from aiohttp import web
from sqlalchemy import select

from bot.db.models import OrgUnit
from bot.i18n import N_
from bot.services import access, invite_sheets, org
from bot.services.access import Action
from bot.web.console.render import render, translator
from bot.web.keys import DB, SETTINGS

SHOWN = 300  # teams listed at once; the sheet holds them all
SHEET_FAILED = N_("The sheets could not be made")


def add_routes(app: web.Application) -> None:
    """The teams page and the sheets download."""
    app.router.add_get("/teams", page, name="teams")
    app.router.add_get("/units/{code}/invite-sheets.pdf", sheets, name="invite_sheets")


async def _unit(session, actor: access.Actor, code: str | None) -> OrgUnit:
    """The unit asked for (404 when unknown, 403 outside the scope), else the root of the person's scope."""
    if code:
        unit = await org.unit_by_code(session, code.strip()[:32])
    elif actor.whole_tree:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1))
    else:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.path == actor.scope_path))
    if unit is None:
        raise web.HTTPNotFound()
    access.require(actor, Action.VIEW, unit.path)
    return unit


async def page(request: web.Request) -> web.Response:
    """GET /admin/teams?unit=CODE: the teams below a unit with their invite codes, and the sheets button."""
    actor = request["actor"]
    async with request.app[DB].session() as session:
        unit = await _unit(session, actor, request.query.get("unit"))
        teams = await org.teams_in(session, unit)
        label = await org.unit_label(session, unit)
    links = invite_sheets.links_for(request.app[SETTINGS], "CODE")
    return await render(request, "teams.html", {
        "unit": unit, "label": label, "teams": teams[:SHOWN], "total": len(teams), "shown": SHOWN,
        "missing": [channel for channel, link in links.items() if link is None]})


async def sheets(request: web.Request) -> web.Response:
    """GET /admin/units/{code}/invite-sheets.pdf: one printable card per team below the unit."""
    actor = request["actor"]
    async with request.app[DB].session() as session:
        unit = await _unit(session, actor, request.match_info["code"])
        try:
            pdf = await invite_sheets.sheet_for(session, unit, request.app[SETTINGS])  # in Vietnamese, for members
        except invite_sheets.SheetError as exc:
            text = translator(request).t(exc.message, **exc.values)
            return await render(request, "error.html", {"title": SHEET_FAILED, "text": text, "status": 400},
                                status=400)
    name = invite_sheets.file_name_for(unit.code)
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})
