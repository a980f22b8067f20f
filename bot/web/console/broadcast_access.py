"""What the broadcast pages share: who may look, which broadcast the address names, and waking the sender."""

from aiohttp import web

from bot.core.router import row_id
from bot.delivery.queue import EVERY_CHANNEL
from bot.services import access, broadcast_progress
from bot.services.access import Action
from bot.web.keys import OUTBOX


def viewer(request: web.Request) -> access.Actor:
    """The signed-in person, who must be able to view some part of the tree."""
    return access.require_any(request["actor"], Action.VIEW)


def broadcast_id(request: web.Request) -> int:
    """The broadcast id in the address (404 when it is not a number)."""
    found = row_id(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def allowed(session, actor: access.Actor, bid: int, action: Action = Action.VIEW):
    """The broadcast when the person may do `action` on it (403 otherwise, 404 when there is none)."""
    try:
        return await broadcast_progress.require(session, actor, bid, action)
    except LookupError:
        raise web.HTTPNotFound() from None


def wake(request: web.Request) -> None:
    """New rows are queued: the sender need not wait for its next look at the queue."""
    request.app[OUTBOX].wake(EVERY_CHANNEL)
