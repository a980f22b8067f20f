"""Difficulties and recommendations in the console: a unit answers for a period, the department words them.

GET/POST /admin/written?unit=CODE&period=KEY: the unit's officer answers both parts (prefilled with what the
unit's team sent in chat). GET /admin/written/gathered: every unit below that said something, side by side
with the wording the results report will use; POST /admin/written/wording sets one unit's wording. Outside
the person's scope it is 403 and nothing changes; every change goes into the audit log.
"""

from aiohttp import web
from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.db.models import OrgUnit
from bot.services import access, audit, org, periods, plans, written_parts
from bot.services.audit import AuditAction
from bot.web.console.render import render, translator, url_for
from bot.web.console.rollup import breadcrumb, chosen_period, chosen_unit, period_label
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB


async def _period(request: web.Request, query) -> periods.Period:
    """The chosen period; by default the plan running today by the department's calendar (e.g. DX Day), else this
    month."""
    if query.get("period"):
        return chosen_period(request, query)
    today = request.app[CLOCK].now().astimezone(LOCAL_TZ).date()
    async with request.app[DB].session() as session:
        running = await plans.running(session, today)
    return periods.parse(f"campaign:{running[0].key}" if running else f"{today:%Y-%m}")


def _choices(request: web.Request, period: periods.Period) -> list[tuple[str, str]]:
    """The periods offered in the menu (the chosen one included), with their names."""
    tr = translator(request)
    keys = periods.choices(request.app[CLOCK].now().astimezone(LOCAL_TZ).date())
    keys += [] if period.key in keys else [period.key]
    return [(key, period_label(tr, key)) for key in keys]


async def _record(request: web.Request, session, unit: OrgUnit, period: periods.Period, kinds: list[str],
                  role: str) -> None:
    """One audit entry for the saved parts."""
    account = request["account"]
    await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                       action=AuditAction.WRITTEN_PART_SAVED, target=unit.code, unit_path=unit.path,
                       address=address_of(request), at=request.app[CLOCK].now(),
                       detail={"period": period.key, "kinds": kinds, "as": role})


async def _store(request: web.Request, session, unit: OrgUnit, period: periods.Period, texts: dict[str, str],
                 role: str) -> None:
    """Save the unit's answers (`role` "answer") or their wording in the report ("wording"); audit what changed."""
    parts = await written_parts.of_unit(session, unit, period)
    now, name = request.app[CLOCK].now(), request["account"].name
    save = written_parts.save_answer if role == "answer" else written_parts.save_wording
    changed = [kind for kind in written_parts.KINDS
               if await save(session, parts, period.key, kind, texts[kind], by=name, now=now)]
    if changed:
        await _record(request, session, unit, period, changed, role)
    await session.commit()


def _texts(request: web.Request, form, prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    """({kind: text} from the form, {kind: the problem in the person's language})."""
    tr = translator(request)
    texts = {kind: str(form.get(f"{prefix}{kind}", "")) for kind in written_parts.KINDS}
    problems = {}
    for kind, text in texts.items():
        if found := written_parts.problem(text):
            problems[kind] = tr.t(found[0], **{k: tr.number(v) for k, v in found[1].items()})
    return texts, problems


async def page(request: web.Request, *, texts: dict | None = None, problems: dict | None = None) -> web.Response:
    """GET /admin/written: the unit's answers for the period, ready to edit."""
    actor = request["actor"]
    query = request.query if request.method == "GET" else await request.post()
    period = await _period(request, query)
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, query)
        access.require(actor, access.Action.UNIT_FACTS, unit.path)
        period = await periods.stored(session, period)
        parts = await written_parts.of_unit(session, unit, period)
        trail = await breadcrumb(session, actor, unit)
    texts = texts or {kind: parts.answer(kind) for kind in written_parts.KINDS}
    return await render(request, "written_parts.html", {
        "unit": unit, "period": period, "periods": _choices(request, period), "trail": trail, "parts": parts,
        "texts": texts, "problems": problems or {}, "kinds": written_parts.KINDS, "names": written_parts.KIND_NAMES,
        "saved": request.query.get("saved") == "1", "max_text": written_parts.MAX_TEXT,
        "period_name": period_label(translator(request), period.key),
        "from_chat": {kind: bool(parts.chat.get(kind)) and kind not in parts.stored for kind in written_parts.KINDS},
    }, status=400 if problems else 200)


async def save(request: web.Request) -> web.Response:
    """POST /admin/written: store the unit's answers (403 outside the scope), then back to the form."""
    actor, form = request["actor"], await request.post()
    period = await _period(request, form)
    texts, problems = _texts(request, form, "")
    if problems:
        return await page(request, texts=texts, problems=problems)
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, actor, form)
        access.require(actor, access.Action.UNIT_FACTS, unit.path)
        period = await periods.stored(session, period)
        await _store(request, session, unit, period, texts, "answer")
    raise web.HTTPSeeOther(url_for(request, "written", {"unit": unit.code, "period": period.key, "saved": "1"}))


async def gathered(request: web.Request) -> web.Response:
    """GET /admin/written/gathered: what each unit below said for the period, and the report's wording."""
    actor = request["actor"]
    period = await _period(request, request.query)
    async with request.app[DB].session() as session:
        root = await chosen_unit(session, actor, request.query)
        access.require(actor, access.Action.UNIT_FACTS, root.path)
        found = await written_parts.gathered(session, root, await periods.stored(session, period))
        parents = await _parent_paths(session, [p.unit for p in found])
        trail = await breadcrumb(session, actor, root)
    rows = [(p, written_parts.may_word(actor, p.unit, parents.get(p.unit.parent_id))) for p in found]
    return await render(request, "written_gathered.html", {
        "unit": root, "period": period, "periods": _choices(request, period), "trail": trail, "rows": rows,
        "kinds": written_parts.KINDS, "names": written_parts.KIND_NAMES, "saved": request.query.get("saved", ""),
        "error": request.query.get("error") == "long", "max_text": written_parts.MAX_TEXT,
    })


async def _parent_paths(session, units: list[OrgUnit]) -> dict[int, str]:
    """{unit id: path} of the units' parents."""
    ids = {u.parent_id for u in units if u.parent_id is not None}
    if not ids:
        return {}
    return dict((await session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(ids)))).all())


async def word(request: web.Request) -> web.Response:
    """POST /admin/written/wording: one unit's wording in the report (403 unless the person is above it)."""
    actor, form = request["actor"], await request.post()
    period = await _period(request, form)
    texts, problems = _texts(request, form, "wording_")
    async with request.app[DB].session() as session:
        root = await chosen_unit(session, actor, form)
        unit = await org.unit_by_code(session, str(form.get("code", "")))
        if unit is None or not unit.path.startswith(root.path):
            raise web.HTTPNotFound()
        parent = await session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
        if not written_parts.may_word(actor, unit, parent.path if parent else None):
            raise access.Denied("wording")
        back = {"unit": root.code, "period": period.key, "saved": unit.code}
        if problems:
            raise web.HTTPSeeOther(url_for(request, "written_gathered", {**back, "saved": "", "error": "long"}))
        await _store(request, session, unit, await periods.stored(session, period), texts, "wording")
    raise web.HTTPSeeOther(url_for(request, "written_gathered", back) + f"#unit-{unit.code}")


def add_routes(app: web.Application) -> None:
    """Register the answer form, the gathered view and the wording."""
    app.router.add_get("/written", page, name="written")
    app.router.add_post("/written", save, name="written_save")
    app.router.add_get("/written/gathered", gathered, name="written_gathered")
    app.router.add_post("/written/wording", word, name="written_wording")
