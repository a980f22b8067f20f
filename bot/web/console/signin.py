"""Sign-in views: ask for a link (sent through the person's messenger), use it, or a password; sign out."""

from aiohttp import web

from bot.db.console import ConsoleAccount
from bot.i18n import LOCALES, N_
from bot.services import accounts, audit, signin
from bot.services.audit import AuditAction
from bot.web.console.guard import end_session, start_session
from bot.web.console.render import LANG_COOKIE, render, translator, url_for
from bot.web.keys import CLOCK, DB, OUTBOX, SETTINGS

YEAR = 365 * 24 * 3600


def address_of(request: web.Request) -> str:
    """Where the request came from (the peer address), for rate limits and the audit log."""
    return (request.remote or "")[:64]


def public_base(request: web.Request) -> str:
    """The console's address for links: CDSBOT_PUBLIC_URL, else the address this server was reached on.

    Never the Host header: a forged one would send the person a link to someone else's site.
    """
    configured = request.app[SETTINGS].public_url.rstrip("/")
    if configured:
        return configured
    host, port = request.transport.get_extra_info("sockname")[:2]
    host = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{host}:{port}"


def _locked_text(request: web.Request, lock: signin.Locked) -> str:
    tr = translator(request)
    when = f"{tr.time(lock.until)} {tr.date(lock.until)}"
    if lock.account:
        return tr.t("This account is locked after too many sign-in attempts. It unlocks at {when}.", when=when)
    return tr.t("Too many sign-in attempts from your address. Try again at {when}.", when=when)


async def page(request: web.Request) -> web.Response:
    """GET /admin/signin: the two ways in (a link by phone number, or email and password)."""
    if "account" in request:
        raise web.HTTPSeeOther(url_for(request, "home"))
    notice = N_("You are signed out.") if request.query.get("out") else None
    return await render(request, "signin.html", {"notice": notice})


async def ask_link(request: web.Request) -> web.Response:
    """POST /admin/signin/link: send a one-time link to the messengers of the account with this phone or username."""
    form = await request.post()
    who = str(form.get("who", "")).strip()
    if not signin.looks_like_person(who):
        error = N_("Type the phone number you gave the bot, like 0905123456, or your Telegram username, like @lan_cds.")
        return await render(request, "signin.html", {"error": error, "who": who}, status=400)
    now, address, channels = request.app[CLOCK].now(), address_of(request), []
    async with request.app[DB].session() as session:
        account = await signin.find_account(session, who)
        lock = await signin.locked(session, account, address, now)
        if lock is not None:
            return await render(request, "signin.html", {"error_text": _locked_text(request, lock)}, status=429)
        signin.count_attempt(session, account, address, now)
        if account is not None:
            token = await signin.issue_link(session, account, now)
            link = public_base(request) + url_for(request, "signin_token", token=token)
            channels = await signin.send_link(session, account, link, now)
        await session.commit()
    for channel in channels:
        request.app[OUTBOX].wake(channel)
    return await render(request, "signin_sent.html")


async def with_password(request: web.Request) -> web.Response:
    """POST /admin/signin/password: staff sign in with email and password."""
    form = await request.post()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    now, address = request.app[CLOCK].now(), address_of(request)
    async with request.app[DB].session() as session:
        account = await signin.find_account(session, email) if accounts.clean_email(email) else None
        lock = await signin.locked(session, account, address, now)
        if lock is not None:
            return await render(request, "signin.html", {"error_text": _locked_text(request, lock), "email": email},
                                status=429)
        ok = account is not None and accounts.password_ok(account, password)
        signin.count_attempt(session, account, address, now, ok=ok)
        await _audit_signin(session, account if ok else None, address, now, tried=account.name if account else email)
        if ok:
            account.last_signin_at = now
        await session.commit()
    if not ok:
        error = N_("Wrong email or password.")
        return await render(request, "signin.html", {"error": error, "email": email}, status=401)
    await start_session(request, account)
    raise web.HTTPSeeOther(url_for(request, "home"))


async def _audit_signin(session, account, address: str, now, *, tried: str) -> None:
    """Record a sign-in, or a failed one under the name tried (never a token or a phone number)."""
    if account is not None:
        await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                           action=AuditAction.SIGNIN, target=account.name,
                           unit_path=await accounts.scope_path(session, account), address=address, at=now)
    else:
        await audit.record(session, actor_account_id=None, actor_name=tried or "?", action=AuditAction.SIGNIN_FAILED,
                           address=address, at=now)


async def link_page(request: web.Request) -> web.Response:
    """GET /admin/signin/t/{token}: a button that uses the link (a link preview only looks, never spends it)."""
    async with request.app[DB].session() as session:
        account = await signin.peek_link(session, request.match_info["token"], request.app[CLOCK].now())
    if account is None:
        return await render(request, "signin_invalid.html", status=400)
    return await render(request, "signin_confirm.html", {"name": account.name,
                                                         "token": request.match_info["token"]})


async def use_link(request: web.Request) -> web.Response:
    """POST /admin/signin/t/{token}: spend the one-time link and sign in."""
    now, address = request.app[CLOCK].now(), address_of(request)
    async with request.app[DB].session() as session:
        lock = await signin.locked(session, None, address, now)
        if lock is not None:
            return await render(request, "signin.html", {"error_text": _locked_text(request, lock)}, status=429)
        account = await signin.use_link(session, request.match_info["token"], now)
        signin.count_attempt(session, account, address, now, ok=account is not None)
        await _audit_signin(session, account, address, now, tried="")
        if account is not None:
            account.last_signin_at = now
        await session.commit()
    if account is None:
        return await render(request, "signin_invalid.html", status=400)
    await start_session(request, account)
    raise web.HTTPSeeOther(url_for(request, "home"))


async def sign_out(request: web.Request) -> web.Response:
    """POST /admin/signout (this browser) and /admin/signout/everywhere (every browser of the account)."""
    everywhere = request.match_info.route.name == "signout_everywhere"
    account, now = request["account"], request.app[CLOCK].now()
    async with request.app[DB].session() as session:
        if everywhere:
            accounts.end_all_sessions(await session.get(ConsoleAccount, account.id))
        await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                           action=AuditAction.SIGNOUT_EVERYWHERE if everywhere else AuditAction.SIGNOUT,
                           target=account.name, unit_path=await accounts.scope_path(session, account),
                           address=address_of(request), at=now)
        await session.commit()
    await end_session(request)
    raise web.HTTPSeeOther(url_for(request, "signin", query={"out": "1"}))


async def switch_language(request: web.Request) -> web.Response:
    """POST /admin/lang: remember the language in a cookie (and on the account when signed in)."""
    form = await request.post()
    lang = str(form.get("lang", ""))
    back = str(form.get("next", ""))
    if not back.startswith("/admin") or back.startswith("//"):
        back = url_for(request, "home")
    response = web.Response(status=303, headers={"Location": back})
    if lang in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, path="/admin", httponly=True, samesite="Lax",
                            secure=request.app[SETTINGS].public_url.startswith("https://"))
        if "account" in request:
            async with request.app[DB].session() as session:
                (await session.get(ConsoleAccount, request["account"].id)).locale = lang
                await session.commit()
    return response
