"""The department's web console: an aiohttp sub-application mounted at /admin by bot/app.py.

Server-rendered pages (aiohttp-jinja2), sessions in encrypted cookies (aiohttp-session with
cryptography), CSRF on every state-changing form, and a little htmx shipped in the package.
"""

import hashlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot import resources
from bot.clock import Clock
from bot.config import Settings
from bot.db.session import Database
from bot.delivery.sender import Outbox
from bot.services import signin as signin_service
from bot.web.console import accounts, audit, guard, photos, render, review, rollup, roster_upload, teams, units
from bot.web.console import bases_edit as bases_views
from bot.web.console import broadcasts as broadcast_views
from bot.web.console import document as document_views
from bot.web.console import duties as duty_views
from bot.web.console import exports as export_views
from bot.web.console import members as member_views
from bot.web.console import remap as remap_views
from bot.web.console import schedules as schedule_views
from bot.web.console import signin as signin_views
from bot.web.console import written_parts as written_views
from bot.web.console.home import home
from bot.web.headers import security_headers
from bot.web.keys import APP_STATUS, CLOCK, DB, OUTBOX, SETTINGS

log = logging.getLogger(__name__)

PREFIX = "/admin"
STATIC = resources.STATIC / "console"
COOKIE = "cdsbot_console"


def _storage(settings: Settings) -> EncryptedCookieStorage:
    """Encrypted, signed session cookies; the Fernet key is derived from CDSBOT_CONSOLE_SECRET."""
    if settings.console_secret is None:
        raise ValueError("the console needs CDSBOT_CONSOLE_SECRET")
    key = hashlib.sha256(b"cdsbot-console:" + settings.console_secret.get_secret_value().encode()).digest()
    return EncryptedCookieStorage(key, cookie_name=COOKIE, path=PREFIX, httponly=True, samesite="Lax",
                                  secure=settings.public_url.startswith("https://"))


def _routes(app: web.Application) -> None:
    """Every console page, by name (templates link to them with `url(name)`)."""
    router = app.router
    router.add_get("/", home, name="home")
    router.add_get("/signin", signin_views.page, name="signin")
    router.add_post("/signin/link", signin_views.ask_link, name="signin_link")
    router.add_post("/signin/password", signin_views.with_password, name="signin_password")
    router.add_get("/signin/t/{token}", signin_views.link_page, name="signin_token")
    router.add_post("/signin/t/{token}", signin_views.use_link, name="signin_token_use")
    router.add_post("/signout", signin_views.sign_out, name="signout")
    router.add_post("/signout/everywhere", signin_views.sign_out, name="signout_everywhere")
    router.add_post("/lang", signin_views.switch_language, name="lang")
    router.add_get("/accounts", accounts.page, name="accounts")
    router.add_post("/accounts", accounts.add, name="accounts_add")
    router.add_get("/audit", audit.page, name="audit")
    router.add_get("/audit.csv", audit.export, name="audit_csv")
    router.add_get("/units/{code}", units.page, name="unit")
    rollup.add_routes(app)
    review.add_routes(app)
    photos.add_routes(app)
    export_views.add_routes(app)
    document_views.add_routes(app)
    written_views.add_routes(app)
    bases_views.add_routes(app)
    duty_views.add_routes(app)
    member_views.add_routes(app)
    teams.add_routes(app)
    roster_upload.add_routes(app)
    remap_views.add_routes(app)
    broadcast_views.add_routes(app)
    schedule_views.add_routes(app)
    router.add_static("/static/", STATIC, name="static", append_version=True)


async def _housekeeping(app: web.Application) -> AsyncIterator[None]:
    """At start-up, forget spent sign-in links and old attempts; nothing to close at the end."""
    async with app[DB].session() as session:
        await signin_service.prune(session, app[CLOCK].now())
        await session.commit()
    yield


def create_console(db: Database, settings: Settings, clock: Clock, outbox: Outbox,
                   app_status: Callable[[], dict] | None = None) -> web.Application:
    """The console app, to be mounted at /admin (`app.add_subapp(PREFIX, create_console(...))`)."""
    app = web.Application(middlewares=[guard.errors, session_middleware(_storage(settings)), guard.auth, guard.csrf])
    app[DB], app[SETTINGS], app[CLOCK], app[OUTBOX] = db, settings, clock, outbox
    if app_status is not None:
        app[APP_STATUS] = app_status
    render.setup(app)
    _routes(app)
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(_housekeeping)
    return app


def mount(parent: web.Application, console: web.Application) -> None:
    """Serve the console at /admin/ and send visitors of / and /admin there.

    Call it before the channels add their routes: the first "/" registered answers, so this one
    replaces the web chat's own redirect of "/" (the chat stays at /chat).
    """

    async def to_console(_request: web.Request) -> web.StreamResponse:
        """Redirect to the console's home."""
        raise web.HTTPFound(PREFIX + "/")

    parent.router.add_get("/", to_console)
    parent.router.add_get(PREFIX, to_console)
    parent.add_subapp(PREFIX, console)
