"""A broadcast's follow-up lists: who needs help, who was not reached (and why), who has not answered.

Each list holds only the members of the person's scope (phone numbers included), downloads as CSV
(audited), and "send again" queues the message once more for those who received nothing, never the others.
"""

from aiohttp import web

from bot.channels import registry
from bot.i18n import N_
from bot.services import audit, followups_lists
from bot.services.access import Action
from bot.services.audit import AuditAction
from bot.services.followups_lists import KINDS, LISTS, REASONS
from bot.web.console import broadcast_access as shared
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB

TITLES = {"help": N_("Who needs help"), "unreachable": N_("Who was not reached"),
          "silent": N_("Who has not answered")}
HEADERS = (N_("Name"), N_("Team"), N_("Unit"), N_("Phone"), N_("Messenger"), N_("Why"), N_("Details"))


def add_routes(app: web.Application) -> None:
    """One page and one CSV per list, and the send-again action."""
    app.router.add_get("/broadcasts/{id}/followups/{kind:help|unreachable|silent}", page, name="followups")
    app.router.add_get("/broadcasts/{id}/followups/{kind:help|unreachable|silent}.csv", export,
                       name="followups_csv")
    app.router.add_post("/broadcasts/{id}/resend", resend, name="broadcast_resend")


async def _people(request: web.Request):
    actor, bid = shared.viewer(request), shared.broadcast_id(request)
    kind = request.match_info["kind"]
    async with request.app[DB].session() as session:
        broadcast = await shared.allowed(session, actor, bid)
        people = await LISTS[kind](session, actor, bid)
    return actor, broadcast, kind, people


async def page(request: web.Request) -> web.Response:
    """GET …/followups/{kind}: the list, with phone links."""
    _actor, broadcast, kind, people = await _people(request)
    return await render(request, "broadcast_followups.html", {
        "b": broadcast, "kind": kind, "kinds": KINDS, "titles": TITLES, "people": people,
        "limit": followups_lists.MAX_ROWS, "channel_name": lambda code: registry.name(translator(request), code)})


async def export(request: web.Request) -> web.Response:
    """GET …/followups/{kind}.csv: the list as a spreadsheet file; audited."""
    actor, broadcast, kind, people = await _people(request)
    tr = translator(request)
    body = followups_lists.to_csv(people, [tr.t(h) for h in HEADERS], {k: tr.t(v) for k, v in REASONS.items()})
    async with request.app[DB].session() as session:
        await audit.record(session, actor_account_id=request["account"].id, actor_name=request["account"].name,
                           action=AuditAction.EXPORT_DOWNLOADED, target=f"broadcast #{broadcast.id} {kind}.csv",
                           unit_path=actor.scope_path, address=address_of(request), detail={"rows": len(people)},
                           at=request.app[CLOCK].now())
        await session.commit()
    name = f"broadcast-{broadcast.id}-{kind}.csv"
    return web.Response(body=("\ufeff" + body).encode(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def resend(request: web.Request) -> web.Response:
    """POST …/resend: one new broadcast to the members of the person's scope who received nothing; audited."""
    actor, bid = shared.viewer(request), shared.broadcast_id(request)
    now = request.app[CLOCK].now()
    async with request.app[DB].session() as session:
        original = await shared.allowed(session, actor, bid, Action.BROADCAST)
        again, queued = await followups_lists.resend(session, actor, original, now, request["account"].member_id)
        if again is None:
            raise web.HTTPSeeOther(url_for(request, "broadcast", id=bid, query={"resent": "0"}))
        await audit.record(session, actor_account_id=request["account"].id, actor_name=request["account"].name,
                           action=AuditAction.BROADCAST_RESENT, target=f"broadcast #{again.id}",
                           unit_path=actor.scope_path, address=address_of(request),
                           detail={"from": bid, "messages": queued}, at=now)
        await session.commit()
    shared.wake(request)
    raise web.HTTPSeeOther(url_for(request, "broadcast", id=again.id))
