"""The console's middlewares: friendly error pages, CSRF tokens, who is signed in, and security headers.

Order (outermost first): errors → session (aiohttp-session) → auth → csrf. A state-changing
request without the session's CSRF token is refused with 403 before any view runs (a signed-out
one is sent to the sign-in page first; either way nothing changes).
"""

import logging
import secrets

from aiohttp import web
from aiohttp_session import Session, get_session, new_session

from bot.i18n import N_
from bot.services import access, accounts
from bot.web.console.render import render
from bot.web.keys import CLOCK, DB, SETTINGS

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ROUTES = frozenset({"signin", "signin_link", "signin_password", "signin_token", "signin_token_use", "lang",
                           "static"})
ERROR_TEXTS = {
    400: (N_("That did not work"), N_("Something in the request was not right. Go back and try again.")),
    403: (N_("Not allowed"), N_("You may not open this page or do this. If you think you should, ask an admin.")),
    404: (N_("Page not found"), N_("There is no page at this address.")),
    413: (N_("The file is too big"), N_("This page takes files up to 1 MB. Send a smaller file, or ask an admin to "
                                        "import it on the server.")),
    500: (N_("Something went wrong"), N_("Something went wrong on our side; it has been noted. Try again in a "
                                         "moment.")),
}
CSRF_TEXT = (N_("The form has expired"), N_("This form was not accepted (its security token is missing or old). "
                                             "Reload the page and try again; nothing was changed."))


class CsrfRefused(web.HTTPForbidden):
    """A state-changing request without the session's CSRF token."""


def route_label(request: web.Request) -> str:
    """The route's pattern (never the path itself, which may hold a sign-in token), for logs."""
    info = request.match_info.get_info() if request.match_info.route.resource else {}
    return info.get("formatter") or info.get("path") or info.get("prefix") or "?"


async def error_page(request: web.Request, status: int, texts: tuple[str, str] | None = None) -> web.Response:
    """A page in the person's language saying what went wrong, with the right status; never a traceback."""
    title, text = texts or ERROR_TEXTS.get(status, ERROR_TEXTS[400 if status < 500 else 500])
    try:
        return await render(request, "error.html", {"title": title, "text": text, "status": status}, status=status)
    except Exception:  # the error page itself failed (e.g. the database is down): plain text, still friendly
        log.exception("console error page failed on %s", route_label(request))
        return web.Response(text=f"{status}: cdsbot console", status=status)


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    """Turn refusals and failures into friendly pages; log unexpected errors (by route, not by path)."""
    try:
        return await handler(request)
    except CsrfRefused:
        return await error_page(request, 403, CSRF_TEXT)
    except access.Denied:
        return await error_page(request, 403)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return await error_page(request, exc.status)
    except Exception:
        log.exception("console error on %s %s", request.method, route_label(request))
        return await error_page(request, 500)


@web.middleware
async def csrf(request: web.Request, handler) -> web.StreamResponse:
    """Give every visitor a CSRF token; refuse a state-changing request that does not send it back."""
    session = await get_session(request)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    request["csrf"] = session["csrf"]
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token")
        if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = (await request.post()).get("csrf_token")
        if not isinstance(sent, str) or not secrets.compare_digest(sent, request["csrf"]):
            raise CsrfRefused()
    return await handler(request)


async def _identify(request: web.Request, session: Session) -> None:
    """Set request['account'] and request['actor'] from the session, dropping it when stale or idle."""
    account_id = session.get("account")
    if account_id is None:
        return
    now = request.app[CLOCK].now().timestamp()
    idle = request.app[SETTINGS].console_idle_minutes * 60
    async with request.app[DB].session() as db:
        account = await accounts.active_account(db, account_id)
        fresh = account is not None and session.get("ver") == account.session_version
        if not fresh or now - session.get("seen", 0) > idle:
            for key in ("account", "ver", "seen"):
                session.pop(key, None)
            return
        request["actor"] = await accounts.actor_of(db, account)
    request["account"] = account
    session["seen"] = now


@web.middleware
async def auth(request: web.Request, handler) -> web.StreamResponse:
    """Who is signed in; everyone else is sent to the sign-in page (except for the public routes)."""
    await _identify(request, await get_session(request))
    if "account" not in request and request.match_info.route.name not in PUBLIC_ROUTES:
        raise web.HTTPSeeOther(request.app.router["signin"].url_for())
    return await handler(request)


async def start_session(request: web.Request, account) -> None:
    """A fresh session for the account (a new CSRF token too, so nothing from before sign-in carries over)."""
    session = await new_session(request)
    session.update(account=account.id, ver=account.session_version, csrf=secrets.token_urlsafe(32),
                   seen=request.app[CLOCK].now().timestamp())


async def end_session(request: web.Request) -> None:
    """Forget the signed-in account in this browser."""
    (await get_session(request)).invalidate()
