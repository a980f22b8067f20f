"""The members page: search the members of one's scope by name, phone number or unit; admins change roles.

Phone numbers are shown only for members inside the person's scope (the search never leaves it), and the
search text is never logged (the access log is off, and nothing here logs the query).
"""

from aiohttp import web

from bot.core.router import row_id
from bot.i18n import N_
from bot.services import access, members
from bot.services.access import Action, Role
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, OUTBOX

UNKNOWN_ROLE = N_("Choose one of the roles in the list.")
NO_MEMBER = N_("No member with this number.")


def add_routes(app: web.Application) -> None:
    """The search page and the role form."""
    app.router.add_get("/members", page, name="members")
    app.router.add_post("/members/{member}/role", change_role, name="member_role")


def _viewer(request: web.Request) -> access.Actor:
    """The signed-in person, who must be able to see members somewhere."""
    return access.require_any(request["actor"], Action.VIEW)


async def page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    """GET /admin/members?q=…: up to 50 members of the person's scope matching the text, by name."""
    actor = _viewer(request)
    text = request.query.get("q", "").strip()[:80]
    async with request.app[DB].session() as session:
        found = await members.search(session, actor, text)
    changed = next((f for f in found if str(f.id) == request.query.get("changed")), None)
    return await render(request, "members.html", {
        "q": text, "found": found, "limit": members.FOUND_LIMIT, "roles": list(Role), "role_names": members.ROLE_NAMES,
        "may_manage": access.can(actor, Action.MANAGE), "changed": changed, "error": error}, status=status)


async def change_role(request: web.Request) -> web.Response:
    """POST /admin/members/{member}/role: promote or demote (MANAGE on the member's unit); the member is told."""
    actor = access.require_any(request["actor"], Action.MANAGE)
    member_id, role = row_id(request.match_info["member"]), str((await request.post()).get("role", ""))
    if role not in tuple(Role):
        return await page(request, error=translator(request).t(UNKNOWN_ROLE), status=400)
    by = members.Acting(actor, request["account"].name, address_of(request))
    async with request.app[DB].session() as session:
        try:
            _member, channels = await members.set_role(session, member_id or 0, role, by, request.app[CLOCK].now())
        except LookupError:
            return await page(request, error=translator(request).t(NO_MEMBER), status=404)
        await session.commit()
    for channel in channels:
        request.app[OUTBOX].wake(channel)
    back = {"q": str((await request.post()).get("q", ""))[:80], "changed": str(member_id)}
    raise web.HTTPSeeOther(url_for(request, "members", query={k: v for k, v in back.items() if v}))
