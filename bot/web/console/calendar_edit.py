"""The DX Day plan and the province's calendar in the console: review a year's plan in full, arm, disarm, edit dates.

Arming and disarming call the CLI's service functions (`arming.arm`, `arming.disarm`); the year's calendar
(DX week, theme, comms period, deadlines) is stored with `calendar_overrides.save`, which arming then reads.
Only admins (who may manage) change anything; every change is audited.
"""

from dataclasses import replace
from datetime import date

from aiohttp import web

from bot.clock import LOCAL_TZ
from bot.i18n import N_
from bot.services import access, arming, audit, calendar_overrides
from bot.services import broadcast as bc
from bot.services.access import Action
from bot.services.audit import AuditAction
from bot.services.calendar_overrides import FIELDS, BadCalendar
from bot.services.campaign_model import ThemeMissing
from bot.services.campaigns import load_campaign
from bot.services.members import ROLE_NAMES
from bot.services.reminders import LEGACY_TARGETS
from bot.web.console.broadcast_access import viewer
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB

DX_DAY = "national-dx-day"
YEARS = range(2020, 2101)
STAND_IN = N_("[this year's theme: given when arming]")
NOT_A_DATE = N_("Every date must be a day, e.g. 28/09/2027.")
TARGET_NAMES = {"members": N_("members"), "leader": N_("team leaders"),
                "officers_above": N_("officers of the level above"),
                "officers_two_above": N_("officers two levels above"), "top_officers": N_("province officers"),
                "admin": N_("admins")}
TARGET_NAMES |= {old: TARGET_NAMES[new] for old, new in LEGACY_TARGETS.items()}  # steps armed before the change
NAMES = {"role": ROLE_NAMES, "target": TARGET_NAMES}  # how audiences are shown (levels: kind_name, from kinds.yaml)


def add_routes(app: web.Application) -> None:
    """The plan of a year, arming and disarming it, and the year's calendar form."""
    router = app.router
    router.add_get("/schedules/plan/{year:\\d{4}}", plan_page, name="schedule_plan")
    router.add_post("/schedules/plan/{year:\\d{4}}/arm", arm, name="schedule_arm")
    router.add_post("/schedules/plan/{year:\\d{4}}/disarm", disarm, name="schedule_disarm")
    router.add_get("/schedules/calendar/{year:\\d{4}}", calendar_page, name="schedule_calendar")
    router.add_post("/schedules/calendar/{year:\\d{4}}", calendar_save, name="schedule_calendar_save")


def audience_of(template: dict) -> dict:
    """A schedule's audience in one shape: units, levels, roles (a reminder names levels and roles only)."""
    raw = template.get("audience") or template
    units = list(raw.get("units") or []) + ([raw["scope"]] if raw.get("scope") else [])
    return {"units": units, "levels": list(raw.get("levels") or []), "roles": list(raw.get("roles") or [])}


def text_of(action: str, template: dict) -> dict:
    """The message a schedule sends (its first, for rotations); a reminder's own text or nothing."""
    if action == "reminder":
        return dict(template.get("text") or {})
    message = (template.get("messages") or [{}])[0]
    return {"vi": message.get("vi") or "", "en": message.get("en") or ""}


def manager(request: web.Request) -> access.Actor:
    """The signed-in person, who must be an admin (arming, the calendar and missed sends reach the whole tree)."""
    return access.require_any(request["actor"], Action.MANAGE)


def year_of(request: web.Request) -> int:
    """The year in the address (404 outside 2020–2100)."""
    year = int(request.match_info["year"])
    if year not in YEARS:
        raise web.HTTPNotFound()
    return year


async def _record(request: web.Request, session, action: AuditAction, target: str, detail: dict) -> None:
    account = request["account"]
    await audit.record(session, actor_account_id=account.id, actor_name=account.name, action=action, target=target,
                       unit_path=None, address=address_of(request), detail=detail, at=request.app[CLOCK].now())


async def plan_page(request: web.Request, *, theme: dict | None = None, problem: str = "",
                    status: int = 200) -> web.Response:
    """GET /admin/schedules/plan/{year}: every step of the year's DX Day plan, both languages, and what is armed."""
    viewer(request)
    year, campaign = year_of(request), load_campaign(DX_DAY)
    stand_in = translator(request).t(STAND_IN)
    async with request.app[DB].session() as session:
        cal = await calendar_overrides.year_calendar(session, campaign, year)
        steps = await arming.planned(session, campaign, year, None, stand_in=stand_in)
        armed = await arming.armed_keys(session, [s.key for s in steps])
    theme = theme if theme is not None else {"vi": cal.theme_vi, "en": cal.theme_en}
    return await render(request, "schedule_plan.html", {
        "year": year, "campaign": campaign, "cal": cal, "steps": steps, "armed": armed, "theme": theme,
        "problem": problem, "may_manage": access.can(request["actor"], Action.MANAGE), "names": NAMES,
        "audience_of": audience_of, "text_of": text_of, "tz": LOCAL_TZ,
        "done": request.query.get("done", "")[:40]}, status=status)


async def arm(request: web.Request) -> web.Response:
    """POST …/arm: arm the year with the theme from the form (required when the texts quote it); audited."""
    manager(request)
    year, campaign, form = year_of(request), load_campaign(DX_DAY), await request.post()
    theme = {lang: str(form.get(f"theme_{lang}", "")).strip()[:300] for lang in ("vi", "en")}
    if not theme["vi"]:  # the form asks for the theme every time: it is what members read on the first day
        return await plan_page(request, theme=theme, status=400, problem=translator(request).t(
            "Write this year's theme in Vietnamese before arming: the messages quote it. Nothing was armed."))
    async with request.app[DB].session() as session:
        try:
            outcome = await arming.arm(session, campaign, year, {k: v for k, v in theme.items() if v},
                                       request.app[CLOCK].now())
        except (ThemeMissing, ValueError, bc.BadAudience) as exc:
            why = translator(request).t("This plan could not be armed: {why}", why=str(exc))
            return await plan_page(request, theme=theme, status=400, problem=why)
        armed = sum(1 for _, result in outcome if result == "armed")
        await _record(request, session, AuditAction.CAMPAIGN_ARMED, f"{DX_DAY} {year}",
                      {"armed": armed, "unchanged": len(outcome) - armed, "theme": theme})
        await session.commit()
    raise web.HTTPSeeOther(url_for(request, "schedule_plan", {"done": "armed" if armed else "none"}, year=year))


async def disarm(request: web.Request) -> web.Response:
    """POST …/disarm: remove the year's steps not sent yet; audited."""
    manager(request)
    year = year_of(request)
    async with request.app[DB].session() as session:
        removed = await arming.disarm(session, DX_DAY, year)
        await _record(request, session, AuditAction.CAMPAIGN_DISARMED, f"{DX_DAY} {year}", {"removed": removed})
        await session.commit()
    raise web.HTTPSeeOther(url_for(request, "schedule_plan", {"done": "disarmed"}, year=year))


async def calendar_page(request: web.Request, *, cal=None, problems: list[str] | None = None,
                        status: int = 200) -> web.Response:
    """GET /admin/schedules/calendar/{year}: the year's dates and theme in a form (the file's when not set)."""
    manager(request)
    year, campaign = year_of(request), load_campaign(DX_DAY)
    if cal is None:
        async with request.app[DB].session() as session:
            cal = await calendar_overrides.year_calendar(session, campaign, year)
    return await render(request, "calendar_edit.html", {
        "year": year, "cal": cal, "problems": problems or [], "defaults": calendar_overrides.defaults(campaign, year),
        "done": request.query.get("done", "")[:40]}, status=status)


def _read(form, cal: calendar_overrides.YearCalendar) -> tuple[calendar_overrides.YearCalendar, list[str]]:
    """The form's dates and theme over `cal`, and the message ids of fields that are not dates."""
    values, bad = {}, []
    for name in FIELDS:
        raw = str(form.get(name, "")).strip()
        if not raw and name == "department_deadline":
            values[name] = None
            continue
        try:
            values[name] = date.fromisoformat(raw)
        except ValueError:
            bad.append(name)
    theme = {f"theme_{lang}": str(form.get(f"theme_{lang}", "")).strip()[:300] for lang in ("vi", "en")}
    return replace(cal, **values, **theme), bad


async def calendar_save(request: web.Request) -> web.Response:
    """POST …/calendar/{year}: store the year's calendar when the dates are in order; audited."""
    manager(request)
    year, campaign = year_of(request), load_campaign(DX_DAY)
    cal, bad = _read(await request.post(), calendar_overrides.defaults(campaign, year))
    if bad:
        return await calendar_page(request, cal=cal, status=400,
                                   problems=[NOT_A_DATE])
    async with request.app[DB].session() as session:
        try:
            await calendar_overrides.save(session, campaign, cal, by=request["account"].name,
                                          now=request.app[CLOCK].now())
        except BadCalendar as exc:
            return await calendar_page(request, cal=cal, problems=exc.problems, status=400)
        detail = {name: str(getattr(cal, name) or "") for name in FIELDS} | {"theme_vi": cal.theme_vi,
                                                                             "theme_en": cal.theme_en}
        await _record(request, session, AuditAction.CALENDAR_CHANGED, f"{DX_DAY} {year}", detail)
        await session.commit()
    raise web.HTTPSeeOther(url_for(request, "schedule_plan", {"done": "calendar"}, year=year))
