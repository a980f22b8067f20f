"""The composer: write, pick the audience from one's own subtree with a live count, confirm, send or schedule.

GET /admin/broadcasts/new shows the form; GET …/count (htmx) the count for the audience fields; POST
…/confirm the numbers once more; POST /admin/broadcasts creates it. Every step checks the audience against
the person's scope again, so a forged POST reaching another unit is refused (403) and creates nothing.
"""

from datetime import datetime

from aiohttp import web
from sqlalchemy import or_, select

from bot.channels import registry
from bot.db.models import OrgUnit
from bot.i18n import LOCALES, N_
from bot.services import access, agencies, audit, broadcast_timing, schedules
from bot.services import broadcast as bc
from bot.services.access import Action, Role
from bot.services.audit import AuditAction
from bot.services.guide_library import load_guides
from bot.services.members import ROLE_NAMES
from bot.services.org import in_subtree, live
from bot.services.schedule_rules import Policy
from bot.web.console import broadcast_access as shared
from bot.web.console import broadcast_form as form
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, OUTBOX, SETTINGS

LANG_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language, as the language switch shows them
REPEAT_NAMES = {"once": N_("Once"), "daily": N_("Every day"), "weekly": N_("Every week on that weekday"),
                "monthly": N_("Every month on that day"), "yearly": N_("Every year on that date")}
PICKER_DEPTH = 2  # levels below the person's own unit offered in the picker (province → districts → communes)


def sender(request: web.Request) -> access.Actor:
    """The signed-in person, who must be allowed to broadcast somewhere."""
    return access.require_any(request["actor"], Action.BROADCAST)


def _rates(request: web.Request) -> dict[str, float]:
    return registry.rates(request.app[OUTBOX].channels, request.app[SETTINGS].telegram_paid_broadcast)


async def _units(session, actor: access.Actor) -> list[tuple[OrgUnit, int]]:
    """Units of the person's subtree for the picker, with their depth below its top, in tree order."""
    top = await bc.scope_of(session, actor)
    query = select(OrgUnit).where(live()).order_by(OrgUnit.path)
    if top is not None:
        query = query.where(in_subtree(top))
    base = top.depth if top is not None else 0
    shown = or_(OrgUnit.depth <= base + PICKER_DEPTH, agencies.agency_clause())  # the agency branch whole: it is small
    units = (await session.execute(query.where(shown))).scalars()
    return [(unit, unit.depth - base) for unit in units]


async def _choices(request: web.Request, session, actor: access.Actor) -> dict:
    """What the form offers: the subtree's units and levels, roles, languages, channels, guides, repeats."""
    facts = registry.channels()
    places, agency_units = agencies.split_picker(await _units(session, actor))
    return {"units": places, "agencies": agency_units, "levels": await bc.levels_in(session, actor),
            "roles": [role.value for role in Role], "langs": LOCALES, "channels": facts,
            "guides": load_guides().ids(), "repeats": REPEAT_NAMES,
            "names": {"role": ROLE_NAMES, "lang": LANG_NAMES,
                      "channel": {code: f.name for code, f in facts.items()}},
            "policy": Policy.from_settings(request.app[SETTINGS])}


async def page(request: web.Request, draft: form.Draft | None = None, error: str = "", status: int = 200
               ) -> web.Response:
    """GET /admin/broadcasts/new: the composer (again with the draft and an error after a refused step)."""
    actor = sender(request)
    async with request.app[DB].session() as session:
        choices = await _choices(request, session, actor)
    return await render(request, "broadcast_new.html", {**choices, "draft": draft or form.Draft(), "error": error},
                        status=status)


async def _resolved(session, actor: access.Actor, audience: bc.Audience) -> bc.Audience:
    """The audience checked against the person's scope; refusals become 403 (scope) or a form error."""
    try:
        return await bc.resolve(session, audience, actor)
    except bc.NotAllowed:
        raise access.Denied("broadcast outside scope") from None
    except bc.BadAudience:
        raise web.HTTPBadRequest() from None


async def numbers(request: web.Request, session, actor: access.Actor, draft: form.Draft) -> dict:
    """The live count: members, deliveries and time per channel, Zalo's window, and the quiet-hours split."""
    audience = await _resolved(session, actor, draft.audience or bc.Audience())
    rates, now, tr = _rates(request), request.app[CLOCK].now(), translator(request)
    preview = await bc.preview(session, audience, rates)
    start = now
    if draft.when == "later":
        try:
            start = form.rule_of(draft, request.app[SETTINGS].tz).next_after(now) or now
        except form.FormError:
            start = now
    plan = broadcast_timing.split(preview.deliveries, rates, start, Policy.from_settings(request.app[SETTINGS]),
                                  draft.urgent)
    return {"preview": preview, "outside": await bc.outside_window(session, audience, now), "plan": plan,
            "times": {code: bc.duration(tr, s) for code, s in preview.seconds.items()},
            "total_time": bc.duration(tr, preview.total_seconds), "rates": rates, "draft": draft,
            "delayed": plan.starts != start, "repeats": REPEAT_NAMES,
            "channel_name": lambda code: registry.name(tr, code)}


async def count(request: web.Request) -> web.Response:
    """GET /admin/broadcasts/count?unit=…: the count box alone, for htmx to swap in."""
    actor = sender(request)
    async with request.app[DB].session() as session:
        context = await numbers(request, session, actor, form.draft_of(request.query))
    return await render(request, "broadcast_count.html", context)


async def _read(request: web.Request) -> form.Draft:
    """The posted draft, with an uploaded photo stored and checked; FormError for what to fix."""
    data = await request.post()
    draft = form.draft_of(data)
    upload = data.get("upload")
    media = request.app[SETTINGS].media_dir
    if isinstance(upload, web.FileField) and upload.filename:
        draft.photo = form.store_photo(media, upload.file.read(bc.PHOTO_LIMIT + 1))
    form.check(draft, load_guides().ids(), media)
    if draft.when == "later" and form.rule_of(draft, request.app[SETTINGS].tz).next_after(
            request.app[CLOCK].now()) is None:
        raise form.FormError(form.BAD_WHEN)
    return draft


async def _refused(request: web.Request, draft: form.Draft | None, error: form.FormError) -> web.Response:
    return await page(request, draft, translator(request).t(str(error), **error.values), status=400)


async def confirm(request: web.Request) -> web.Response:
    """POST /admin/broadcasts/confirm: the numbers once more, and the button that sends."""
    actor = sender(request)
    try:
        draft = await _read(request)
    except form.FormError as error:
        return await _refused(request, form.draft_of(await request.post()), error)
    async with request.app[DB].session() as session:
        context = await numbers(request, session, actor, draft)
    return await render(request, "broadcast_confirm.html", context)


async def send(request: web.Request) -> web.Response:
    """POST /admin/broadcasts: create and queue it now (quiet hours respected), or schedule it; audited."""
    actor = sender(request)
    try:
        draft = await _read(request)
    except form.FormError as error:
        return await _refused(request, form.draft_of(await request.post()), error)
    now, settings = request.app[CLOCK].now(), request.app[SETTINGS]
    async with request.app[DB].session() as session:
        audience = await _resolved(session, actor, draft.audience or bc.Audience())
        if draft.when == "later":
            target = await _schedule(session, draft, audience, now, settings)
        else:
            target = await _send_now(request, session, actor, draft, audience, now)
        await audit.record(session, actor_account_id=request["account"].id, actor_name=request["account"].name,
                           action=AuditAction.BROADCAST_CREATED, target=target, unit_path=actor.scope_path,
                           address=address_of(request), detail={"audience": audience.to_dict(), "when": draft.when,
                                                                "urgent": draft.urgent}, at=now)
        await session.commit()
    shared.wake(request)
    if draft.when == "later":
        raise web.HTTPSeeOther(url_for(request, "broadcasts", query={"scheduled": target}))
    raise web.HTTPSeeOther(url_for(request, "broadcast", id=target.removeprefix("broadcast #")))


async def _send_now(request: web.Request, session, actor: access.Actor, draft: form.Draft, audience: bc.Audience,
                    now: datetime) -> str:
    """Create, expand, and hold for the morning what would go out in the quiet hours (unless urgent)."""
    photo = form.photo_path(request.app[SETTINGS].media_dir, draft.photo) if draft.photo else None
    broadcast = await bc.create(session, sender=None, actor=actor, audience=audience, text_vi=draft.text_vi,
                                text_en=draft.text_en, photo=str(photo) if photo else None, ack=draft.ack,
                                guide_id=draft.guide or None, now=now, urgent=draft.urgent)
    broadcast.created_by = request["account"].member_id
    await bc.expand(session, broadcast, now)
    await broadcast_timing.hold_for_quiet_hours(session, broadcast.id, now, _rates(request),
                                                Policy.from_settings(request.app[SETTINGS]), draft.urgent)
    return f"broadcast #{broadcast.id}"


async def _schedule(session, draft: form.Draft, audience: bc.Audience, now: datetime, settings) -> str:
    """A schedule that sends the draft at the chosen time (and repeats it); quiet hours apply when it fires."""
    photo = form.photo_path(settings.media_dir, draft.photo) if draft.photo else None
    template = schedules.broadcast_template(audience, draft.text_vi, draft.text_en or None, guide=draft.guide or None,
                                            ack=draft.ack, photo=str(photo) if photo else None)
    schedule = await schedules.add(session, name=draft.text_vi.splitlines()[0][:60],
                                   rule=form.rule_of(draft, settings.tz), template=template, now=now)
    return f"schedule #{schedule.id}"
