"""Audit log page: filter by who, action and dates; export as CSV (the export is itself recorded)."""

from aiohttp import web

from bot.services import access, audit
from bot.services.audit import ACTION_LABELS, AuditAction, AuditFilter
from bot.web.console.render import render
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB


def _reader(request: web.Request) -> access.Actor:
    return access.require_any(request["actor"], access.Action.AUDIT)


async def page(request: web.Request) -> web.Response:
    """GET /admin/audit: newest entries first, 100 a page (admins: all; officers: their subtree)."""
    actor, filters = _reader(request), AuditFilter.from_query(request.query)
    try:
        number = max(0, int(request.query.get("page", "0")))
    except ValueError:
        number = 0
    async with request.app[DB].session() as session:
        rows = await audit.entries(session, actor, filters, page=number, limit=audit.PAGE_SIZE + 1)
    context = {"rows": rows[:audit.PAGE_SIZE], "more": len(rows) > audit.PAGE_SIZE, "page": number,
               "filters": filters, "query": filters.as_query(), "labels": ACTION_LABELS, "actions": list(AuditAction)}
    return await render(request, "audit.html", context)


async def export(request: web.Request) -> web.Response:
    """GET /admin/audit.csv: the filtered entries as CSV; the download goes into the log too."""
    actor, filters = _reader(request), AuditFilter.from_query(request.query)
    account, now = request["account"], request.app[CLOCK].now()
    async with request.app[DB].session() as session:
        body = await audit.export_csv(session, actor, filters)
        await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                           action=AuditAction.EXPORT_DOWNLOADED, target="audit.csv",
                           unit_path=None if actor.whole_tree else actor.scope_path,
                           address=address_of(request), detail=filters.as_query() or None, at=now)
        await session.commit()
    name = f"cdsbot-audit-{now:%Y%m%d-%H%M}.csv"
    return web.Response(body=body.encode("utf-8-sig"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
