"""Console accounts page: admins see the accounts of their scope and add officers, admins and staff."""

from aiohttp import web
from sqlalchemy import select

from bot.db.models import Member, OrgUnit
from bot.i18n import N_
from bot.services import access, accounts, audit
from bot.services.accounts import AccountError
from bot.services.audit import AuditAction
from bot.services.members import clean_phone
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB


def _require_manager(request: web.Request) -> access.Actor:
    return access.require_any(request["actor"], access.Action.MANAGE)


async def page(request: web.Request, *, error: AccountError | None = None, form=None) -> web.Response:
    """GET /admin/accounts: the accounts in the admin's scope and the form to add one."""
    actor = _require_manager(request)
    async with request.app[DB].session() as session:
        rows = await accounts.listing(session, actor)
    added = next((account.name for account, _unit in rows if str(account.id) == request.query.get("added")), None)
    context = {"rows": rows, "form": form or {}, "added": added,
               "error_text": _error_text(request, error) if error else None}
    return await render(request, "accounts.html", context, status=400 if error else 200)


def _error_text(request: web.Request, error: AccountError) -> str:
    return translator(request).t(error.message, **error.values)


async def _member_id(session, raw: str) -> int:
    """A member named by their number or their phone number."""
    raw = raw.strip()
    if raw.isdigit() and len(raw) <= 9:
        return int(raw)
    phone = clean_phone(raw)
    found = await session.scalar(select(Member.id).where(Member.phone == phone)) if phone else None
    if found is None:
        raise AccountError(N_("No member with this number or phone number."))
    return found


async def _add(session, form, now):
    """Add the account the form describes (a roster member, or staff with email and password)."""
    role, unit = str(form.get("role", "officer")), str(form.get("unit", "")).strip()
    if form.get("kind") == "staff":
        return await accounts.add_staff_account(session, email=str(form.get("email", "")),
                                                name=str(form.get("name", "")), unit_code=unit, role=role,
                                                password=str(form.get("password", "")), now=now)
    member_id = await _member_id(session, str(form.get("member", "")))
    return await accounts.add_member_account(session, member_id, role=role, unit_code=unit or None, now=now)


async def add(request: web.Request) -> web.Response:
    """POST /admin/accounts: add an account inside the admin's scope; recorded in the audit log."""
    actor = _require_manager(request)
    form = await request.post()
    async with request.app[DB].session() as session:
        try:
            account = await _add(session, form, request.app[CLOCK].now())
        except AccountError as error:
            await session.rollback()
            kept = {key: str(value) for key, value in form.items() if key not in ("password", "csrf_token")}
            return await page(request, error=error, form=kept)
        unit_path = (await session.get(OrgUnit, account.unit_id)).path
        access.require(actor, access.Action.MANAGE, unit_path)
        await audit.record(session, actor_account_id=request["account"].id, actor_name=request["account"].name,
                           action=AuditAction.ACCOUNT_ADDED, target=f"{account.name} ({account.role})",
                           unit_path=unit_path, address=address_of(request), at=request.app[CLOCK].now())
        await session.commit()
    raise web.HTTPSeeOther(url_for(request, "accounts", query={"added": str(account.id)}))
