"""The console's home page: the province (or the signed-in person's part of it) at a glance."""

from dataclasses import dataclass

from aiohttp import web
from babel.dates import format_date
from babel.numbers import format_percent
from sqlalchemy import select

from bot.channels import registry
from bot.db.models import OrgUnit
from bot.i18n import N_, Translator
from bot.services import access, dashboard
from bot.services.schedule_rules import Policy
from bot.services.schedules import MONTH_FORMATS
from bot.services.unit_kinds import kinds_name
from bot.web.console.render import render, translator, url_for
from bot.web.keys import APP_STATUS, CLOCK, DB, SETTINGS

BY_KINDS = N_("Reporting this month, by {kinds}")  # the kinds of the units listed: "by xã/phường"
OTHER_LEVEL = N_("Reporting this month, by unit")


@dataclass(frozen=True)
class ChannelRow:
    """One messenger on the home page: members reachable on it now, and whether it is working."""

    code: str
    name: str
    reachable: int
    share: float | None  # of the scope's members
    status: str | None  # "ok" / "degraded"; None when the app does not say
    reason: str = ""


def channel_rows(glance: dashboard.Glance, status: dict | None, tr: Translator) -> list[ChannelRow]:
    """Every channel that reaches someone or that the app runs, most reachable first."""
    status = status or {}
    members = glance.total("members")
    codes = sorted(set(glance.reachable) | set(status), key=lambda c: (-glance.reachable.get(c, 0), c))
    rows = []
    for code in codes:
        state = status.get(code) or {}
        reach = glance.reachable.get(code, 0)
        rows.append(ChannelRow(code, registry.name(tr, code), reach, reach / members if members else None,
                               state.get("status"), state.get("reason") or ""))
    return rows


def percent(tr: Translator, rate: float | None) -> str:
    """45 % in the person's locale; "no data" when there is nothing to divide by."""
    return tr.t("no data") if rate is None else format_percent(rate, locale=tr.locale)


def reports_url(request: web.Request, code: str, month: str) -> str:
    """The page that explains a unit's reporting: the roll-up for the month when the console has it, else the unit."""
    if "rollup" in request.app.router.named_resources():
        return url_for(request, "rollup", query={"unit": code, "period": month})
    return url_for(request, "unit", code=code)


async def level_title(session, glance: dashboard.Glance, tr: Translator) -> str:
    """The title over the units of the next level down, named by their kinds (kinds.yaml) in the person's language."""
    own = glance.scope.code if glance.scope is not None else None  # the scope's own team is listed among them
    codes = [unit.code for unit in glance.units if unit.code != own]
    kinds = list((await session.execute(select(OrgUnit.kind).where(OrgUnit.code.in_(codes)).distinct())).scalars())
    return tr.t(BY_KINDS, kinds=kinds_name(kinds, tr.locale, plural=False)) if kinds else tr.t(OTHER_LEVEL)


def _status(request: web.Request) -> dict | None:
    """The running app's per-channel status, when it provides one (tests and the bench may not)."""
    provider = request.app.get(APP_STATUS)
    return provider() if provider is not None else None


async def home(request: web.Request) -> web.Response:
    """GET /admin/: the glance figures for the signed-in person's scope, each linked to the page that explains it."""
    actor: access.Actor = request["actor"]
    now = request.app[CLOCK].now()
    async with request.app[DB].session() as session:
        glance = await dashboard.glance(session, actor, now, Policy.from_settings(request.app[SETTINGS]))
        tr = translator(request)
        title = await level_title(session, glance, tr)
    scope = glance.scope
    context = {
        "g": glance, "now": now, "channels": channel_rows(glance, _status(request), tr),
        "pct": lambda rate: percent(tr, rate),
        "month": format_date(glance.month_start, MONTH_FORMATS[tr.locale], locale=tr.locale),
        "level_title": title,
        "scope_code": scope.code if scope is not None else None,
        "with_data": [u for u in glance.units if u.completeness is not None],
        "no_data": [u for u in glance.units if u.completeness is None],
        "may_audit": access.can(actor, access.Action.AUDIT),
        "reports_url": lambda code: reports_url(request, code, f"{glance.month_start:%Y-%m}"),
    }
    return await render(request, "home.html", context)
