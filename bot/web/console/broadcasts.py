"""Broadcasts in the console: the list, one broadcast's live progress (Server-Sent Events), pause/resume/cancel.

The progress page fills its table from an event stream (aiohttp-sse) that sends the counts whenever they
change, checked every second; pause, resume and cancel are the CLI's own service functions, audited.
"""

import asyncio
import json

from aiohttp import web
from aiohttp_sse import sse_response

from bot.channels import registry
from bot.delivery.states import State
from bot.i18n import N_
from bot.services import access, audit, broadcast_progress
from bot.services import broadcast as bc
from bot.services.access import Action
from bot.services.audit import AuditAction
from bot.web.console import broadcast_access as shared
from bot.web.console import broadcast_compose, broadcast_followups
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, SETTINGS

TICK_S = 1.0  # how often the stream looks at the counts (the page is never more than ~1 s behind)
STATES = ("draft", "sending", "paused", "cancelled", "done")
STATE_NAMES = {"draft": N_("Draft"), "sending": N_("Sending"), "paused": N_("Paused"), "cancelled": N_("Cancelled"),
               "done": N_("Done")}
COLUMN_NAMES = {State.SENT: N_("Sent"), State.QUEUED: N_("Queued"), State.HELD: N_("Held"),
                State.REROUTED: N_("Rerouted"), State.FAILED: N_("Failed"), State.UNREACHABLE: N_("Unreachable"),
                State.PAUSED: N_("Paused"), State.CANCELLED: N_("Cancelled")}
STEERING = {  # action → (service, audit action, the progress states it applies to)
    "pause": (bc.pause, AuditAction.BROADCAST_PAUSED, ("sending",)),
    "resume": (bc.resume, AuditAction.BROADCAST_RESUMED, ("paused",)),
    "cancel": (bc.cancel, AuditAction.BROADCAST_CANCELLED, ("sending", "paused", "draft")),
}


def add_routes(app: web.Application) -> None:
    """The list, the composer, one broadcast's page and stream, steering and the follow-up lists."""
    router = app.router
    router.add_get("/broadcasts", listing, name="broadcasts")
    router.add_post("/broadcasts", broadcast_compose.send, name="broadcast_send")
    router.add_get("/broadcasts/new", broadcast_compose.page, name="broadcast_new")
    router.add_get("/broadcasts/count", broadcast_compose.count, name="broadcast_count")
    router.add_post("/broadcasts/confirm", broadcast_compose.confirm, name="broadcast_confirm")
    router.add_get("/broadcasts/{id}", page, name="broadcast")
    router.add_get("/broadcasts/{id}/events", events, name="broadcast_events")
    router.add_post("/broadcasts/{id}/{action:pause|resume|cancel}", steer, name="broadcast_steer")
    broadcast_followups.add_routes(app)


async def listing(request: web.Request) -> web.Response:
    """GET /admin/broadcasts?state=&sender=&day=: the broadcasts the person may see, filtered."""
    actor = shared.viewer(request)
    filters = broadcast_progress.ListFilter.from_query(request.query)
    async with request.app[DB].session() as session:
        lines = await broadcast_progress.listing(session, actor, filters, request.app[SETTINGS].tz)
    return await render(request, "broadcasts.html", {
        "lines": lines, "filters": filters, "states": STATES, "state_names": STATE_NAMES,
        "may_send": access.can(actor, Action.BROADCAST), "scheduled": request.query.get("scheduled", "")[:40],
        "tz": request.app[SETTINGS].tz})


async def page(request: web.Request) -> web.Response:
    """GET /admin/broadcasts/{id}: the text, the live progress table, the steering buttons, the follow-ups."""
    actor, bid = shared.viewer(request), shared.broadcast_id(request)
    async with request.app[DB].session() as session:
        broadcast = await shared.allowed(session, actor, bid)
        progress = await broadcast_progress.progress(session, bid)
        may_steer = await broadcast_progress.allowed(session, actor, broadcast, Action.BROADCAST)
    tr = translator(request)
    return await render(request, "broadcast.html", {
        "b": broadcast, "progress": progress, "may_steer": may_steer, "columns": COLUMN_NAMES,
        "state_names": STATE_NAMES, "channel_name": lambda code: registry.name(tr, code),
        "state_names_json": json.dumps({state: tr.t(name) for state, name in STATE_NAMES.items()}),
        "steering": {action: applies for action, (_, _, applies) in STEERING.items()}, "tz": request.app[SETTINGS].tz})


async def events(request: web.Request) -> web.StreamResponse:
    """GET /admin/broadcasts/{id}/events: the counts as Server-Sent Events, whenever they change."""
    actor, bid = shared.viewer(request), shared.broadcast_id(request)
    async with request.app[DB].session() as session:
        await shared.allowed(session, actor, bid)
    async with sse_response(request) as stream:
        last = None
        while stream.is_connected():
            async with request.app[DB].session() as session:
                current = (await broadcast_progress.progress(session, bid)).to_dict()
            if current != last:
                await stream.send(json.dumps(current), event="progress")
                last = current
            await asyncio.sleep(TICK_S)
    return stream


async def steer(request: web.Request) -> web.Response:
    """POST /admin/broadcasts/{id}/pause|resume|cancel: the CLI's service functions, audited; back to the page."""
    actor, bid, action = shared.viewer(request), shared.broadcast_id(request), request.match_info["action"]
    move, audit_action, applies = STEERING[action]
    async with request.app[DB].session() as session:
        await shared.allowed(session, actor, bid, Action.BROADCAST)
        if (await broadcast_progress.progress(session, bid)).state in applies:
            moved = await move(session, bid)
            await audit.record(session, actor_account_id=request["account"].id, actor_name=request["account"].name,
                               action=audit_action, target=f"broadcast #{bid}", unit_path=actor.scope_path,
                               address=address_of(request), detail={"messages": moved}, at=request.app[CLOCK].now())
            await session.commit()
    if action == "resume":
        shared.wake(request)
    raise web.HTTPSeeOther(url_for(request, "broadcast", id=bid))
