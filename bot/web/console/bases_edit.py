"""Units' base figures in the console: population and households of a unit and the units just below it.

GET /admin/bases?unit=CODE shows them in one form (POST saves); a CSV upload (POST /admin/bases/upload) is
checked line by line with the CLI's own parser and shown as a preview, then applied with the CLI's import
function (POST /admin/bases/apply). Only units in the person's scope; every change goes into the audit log.
"""

from aiohttp import web
from sqlalchemy import select

from bot.db.models import OrgUnit
from bot.i18n import N_
from bot.services import access, audit, bases
from bot.services.audit import AuditAction
from bot.web.console.render import render, translator, url_for
from bot.web.console.rollup import breadcrumb, chosen_unit
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB

NO_FILE = N_("Choose a CSV file first.")
NOT_UTF8 = N_("The file is not a UTF-8 text (CSV) file. Save it as CSV UTF-8 and try again.")
LISTED = 200


async def _units(session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit, then the live units just below it by name."""
    children = (await session.execute(select(OrgUnit).where(
        OrgUnit.parent_id == unit.id, OrgUnit.retired_on.is_(None)).order_by(OrgUnit.name))).scalars()
    return [unit, *children]


async def page(request: web.Request, *, typed: dict | None = None, problems: dict | None = None,
               upload: dict | None = None, status: int = 200) -> web.Response:
    """GET /admin/bases: the figures of the unit and the units below it, editable within the scope."""
    actor = request["actor"]
    query = request.query if request.method == "GET" else await request.post()
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, query)
        units = await _units(session, unit)
        own = await bases.own_bases(session, [u.id for u in units])
        effective = await bases.bases_under(session, unit)
        trail = await breadcrumb(session, actor, unit)
    rows = [(u, own.get(u.id), effective.get(u.id), access.may(actor, access.Action.UNIT_FACTS, u.path))
            for u in units]
    return await render(request, "bases.html", {
        "unit": unit, "rows": rows, "trail": trail, "typed": typed or {}, "problems": problems or {},
        "fields": bases.FIELDS, "saved": request.query.get("saved"), "upload": upload, "listed": LISTED,
        "may_edit": any(row[3] for row in rows),
    }, status=status)


def _typed(form, units: list[OrgUnit]) -> tuple[dict, dict, dict[str, bases.Base]]:
    """({(code, field): text as typed}, {(code, field): problem message id}, {code: Base} for the valid ones)."""
    typed, problems, figures = {}, {}, {}
    for unit in units:
        values = []
        for name in bases.FIELDS:
            text = typed[(unit.code, name)] = str(form.get(f"{name}:{unit.code}", ""))
            value, problem = bases.parse_figure(text, name)
            if problem is not None:
                problems[(unit.code, name)] = problem.message
            values.append(value)
        figures[unit.code] = bases.Base(*values)
    return typed, problems, figures


async def _audit(request: web.Request, session, unit: OrgUnit, count: int, source: str) -> None:
    """One audit entry for the figures written."""
    account = request["account"]
    await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                       action=AuditAction.BASES_CHANGED, target=unit.code, unit_path=unit.path,
                       address=address_of(request), at=request.app[CLOCK].now(),
                       detail={"units": count, "source": source})


async def save(request: web.Request) -> web.Response:
    """POST /admin/bases: store the typed figures; 403 if any field names a unit outside the scope."""
    actor, form = request["actor"], await request.post()
    codes = {key.partition(":")[2] for key in form if key.partition(":")[0] in bases.FIELDS}
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, form)
        units = list((await session.execute(select(OrgUnit).where(OrgUnit.code.in_(codes)))).scalars())
        if len(units) != len(codes) or not units:
            raise web.HTTPBadRequest()
        for one in units:
            access.require(actor, access.Action.UNIT_FACTS, one.path)
        typed, problems, figures = _typed(form, units)
        if problems:
            tr = translator(request)
            return await page(request, typed=typed, problems={k: tr.t(m) for k, m in problems.items()}, status=400)
        before = await bases.own_bases(session, [u.id for u in units])
        changed = {u.code: figures[u.code] for u in units
                   if before.get(u.id, bases.Base()) != figures[u.code]}
        if changed:
            await bases.import_bases(session, changed, request.app[CLOCK].now())
            await _audit(request, session, unit, len(changed), "form")
        await session.commit()
    raise web.HTTPSeeOther(url_for(request, "bases", {"unit": unit.code, "saved": str(len(changed))}))


def _shown(request: web.Request, found: bases.Preview, text: str) -> dict:
    """The preview as the page shows it: changes, and refused lines in the person's language."""
    tr = translator(request)
    refused = [(p.line or "", tr.t(p.message, **p.values)) for p in found.refused]
    return {"changed": found.changed, "unchanged": found.unchanged, "refused": refused, "text": text}


async def _preview(request: web.Request, text: str) -> bases.Preview:
    async with request.app[DB].session() as session:
        return await bases.preview(session, request["actor"], text)


async def upload(request: web.Request) -> web.Response:
    """POST /admin/bases/upload: what the CSV would change, line by line; nothing is written yet."""
    access.require_any(request["actor"], access.Action.UNIT_FACTS)
    field = (await request.post()).get("bases")
    data = field.file.read() if isinstance(field, web.FileField) else b""
    tr = translator(request)
    if not data:
        return await page(request, upload={"error": tr.t(NO_FILE)}, status=400)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return await page(request, upload={"error": tr.t(NOT_UTF8)}, status=400)
    found = await _preview(request, text)
    return await page(request, upload=_shown(request, found, text), status=400 if found.refused else 200)


async def apply(request: web.Request) -> web.Response:
    """POST /admin/bases/apply: check the previewed CSV again and import it all or nothing."""
    access.require_any(request["actor"], access.Action.UNIT_FACTS)
    form = await request.post()
    text = str(form.get("csv", ""))
    found = await _preview(request, text)
    if found.refused or not text:
        return await page(request, upload=_shown(request, found, text), status=400)
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, request["actor"], form)
        written, problems = await bases.import_bases(session, found.figures, request.app[CLOCK].now())
        if problems:  # the tree changed since the preview: nothing is written
            await session.rollback()
            raise web.HTTPConflict()
        await _audit(request, session, unit, written, "csv")
        await session.commit()
    raise web.HTTPSeeOther(url_for(request, "bases", {"unit": unit.code, "saved": str(written)}))


def add_routes(app: web.Application) -> None:
    """Register the base figures page, its form, the CSV preview and the import."""
    app.router.add_get("/bases", page, name="bases")
    app.router.add_post("/bases", save, name="bases_save")
    app.router.add_post("/bases/upload", upload, name="bases_upload")
    app.router.add_post("/bases/apply", apply, name="bases_apply")
