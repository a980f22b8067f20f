"""Schedules in the console: every schedule and campaign event on a month grid and in a list, and missed sends.

The month shows each schedule's due times in it and the DX Day plan's steps not armed yet (with the year's
calendar from the database), each with its audience and text in both languages, limited to what reaches the
person's subtree. Missed sends are sent late or dropped with the CLI's service functions, audited.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiohttp import web
from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.core.router import row_id
from bot.db.models import OrgUnit
from bot.delivery.queue import EVERY_CHANNEL
from bot.i18n import N_
from bot.services import access, arming, audit, schedules
from bot.services.access import Action
from bot.services.audit import AuditAction
from bot.services.campaigns import load_campaign
from bot.services.schedule_rules import Rule
from bot.web.console import calendar_edit
from bot.web.console.broadcast_access import viewer
from bot.web.console.calendar_edit import NAMES, audience_of, text_of
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, OUTBOX

DX_DAY = calendar_edit.DX_DAY
MAX_PER_MONTH = 62  # due times of one schedule shown in a month (twice a day at most)
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
STATE_NAMES = {"active": N_("Armed"), "paused": N_("Paused"), "done": N_("Done"), "planned": N_("Not armed yet")}


@dataclass(frozen=True)
class Item:
    """One send on the calendar: an armed schedule's due time, or a plan step not armed yet."""

    when: datetime  # local
    name: str
    action: str  # broadcast / reminder
    audience: dict
    text: dict  # {"vi": ..., "en": ...}; empty for a reminder that writes its own
    state: str  # active / paused / done / planned
    schedule_id: int | None = None
    target: str = ""  # a reminder's: who it goes to
    key: str | None = None  # campaign:year:step for a campaign's sends

    @property
    def short(self) -> str:
        """What the month grid shows: a campaign step's id, else the name."""
        return self.key.split(":")[-1] if self.key else self.name

    @property
    def anchor(self) -> str:
        return f"item-{self.schedule_id or self.name.replace(' ', '-')}-{self.when:%Y%m%d%H%M}"


def add_routes(app: web.Application) -> None:
    """The schedules page, missed sends, and the DX Day plan and calendar (calendar_edit)."""
    app.router.add_get("/schedules", page, name="schedules")
    app.router.add_post("/schedules/missed/{id}/{action:send|drop}", missed_action, name="schedule_missed")
    calendar_edit.add_routes(app)


def month_of(query, today: date) -> date:
    """The first day of the month asked for (?month=2027-09), this month when absent or unreadable."""
    try:
        year, month = (int(part) for part in query.get("month", "").split("-"))
        if year in calendar_edit.YEARS:
            return date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


def reaches(actor: access.Actor, audience: dict, paths: dict[str, str]) -> bool:
    """Whether a send reaches into the person's subtree (a send to no named unit reaches the whole tree)."""
    if actor.whole_tree or not audience["units"]:
        return True
    return any(p.startswith(actor.scope_path) or actor.scope_path.startswith(p)
               for p in (paths.get(code, "") for code in audience["units"]) if p)


def due_times(rule: Rule, first: datetime, last: datetime) -> list[datetime]:
    """A rule's due times from `first` (inclusive) to `last` (exclusive)."""
    out, moment = [], rule.next_after(first - timedelta(seconds=1))
    while moment is not None and moment < last and len(out) < MAX_PER_MONTH:
        out.append(moment)
        moment = rule.next_after(moment)
    return out


async def month_items(session, actor: access.Actor, month: date, now: datetime, stand_in: str,
                      paths: dict[str, str]) -> list[Item]:
    """Every send due in the month that reaches the person: schedules, then DX Day steps not armed (still ahead)."""
    first = datetime.combine(month, datetime.min.time(), tzinfo=LOCAL_TZ)
    last = datetime.combine((month + timedelta(days=32)).replace(day=1), datetime.min.time(), tzinfo=LOCAL_TZ)
    items, armed = [], set()
    for s in await schedules.listing(session):
        armed.add(s.key)
        if s.state == "done" or s.next_at is None:
            continue
        for due in due_times(Rule.from_dict(s.rule), max(first, s.next_at), last):
            items.append(Item(due.astimezone(LOCAL_TZ), s.name, s.action, audience_of(s.template),
                              text_of(s.action, s.template), s.state, s.id, s.template.get("target", ""), s.key))
    campaign = load_campaign(DX_DAY)
    for step in await arming.planned(session, campaign, month.year, None, stand_in=stand_in):
        if not arming.armed_as(step.key, armed) and step.when is not None and max(first, now) <= step.when < last:
            items.append(Item(step.when.astimezone(LOCAL_TZ), step.name, step.action,
                              audience_of(step.template), text_of(step.action, step.template), "planned",
                              target=step.template.get("target", ""), key=step.key))
    return sorted((i for i in items if reaches(actor, i.audience, paths)), key=lambda i: (i.when, i.name))


async def unit_paths(session) -> dict[str, str]:
    """Unit code → path, to tell whether a send to named units reaches the person's subtree."""
    return dict((await session.execute(select(OrgUnit.code, OrgUnit.path))).all())


def weeks(month: date, items: list[Item]) -> list[list[tuple[date, list[Item]]]]:
    """The month as weeks (Monday first) of (day, its items); days of other months carry none."""
    by_day: dict[date, list[Item]] = {}
    for item in items:
        by_day.setdefault(item.when.date(), []).append(item)
    grid = calendar.Calendar().monthdatescalendar(month.year, month.month)
    return [[(day, by_day.get(day, []) if day.month == month.month else []) for day in week] for week in grid]


async def page(request: web.Request) -> web.Response:
    """GET /admin/schedules?month=YYYY-MM: the month grid, the list and the missed sends."""
    now = request.app[CLOCK].now()
    today = now.astimezone(LOCAL_TZ).date()
    actor, month = viewer(request), month_of(request.query, today)
    async with request.app[DB].session() as session:
        paths = await unit_paths(session)
        items = await month_items(session, actor, month, now, translator(request).t(calendar_edit.STAND_IN), paths)
        missed = [(run, s) for run, s in await schedules.missed(session)
                  if reaches(actor, audience_of(s.template), paths)]
    before = (month - timedelta(days=1)).replace(day=1)
    after = (month + timedelta(days=32)).replace(day=1)
    return await render(request, "schedules.html", {
        "month": month, "items": items, "weeks": weeks(month, items), "missed": missed,
        "before": f"{before:%Y-%m}", "after": f"{after:%Y-%m}", "may_manage": access.can(actor, Action.MANAGE),
        "done": request.query.get("done", "")[:40], "today": today,
        "weekdays": WEEKDAYS, "state_names": STATE_NAMES, "names": NAMES})


async def missed_action(request: web.Request) -> web.Response:
    """POST /admin/schedules/missed/{id}/send|drop: the CLI's send-missed, or drop it; audited."""
    calendar_edit.manager(request)
    run_id, action = row_id(request.match_info["id"]), request.match_info["action"]
    if run_id is None:
        raise web.HTTPNotFound()
    now = request.app[CLOCK].now()
    async with request.app[DB].session() as session:
        try:
            if action == "send":
                run = await schedules.send_missed(session, run_id, now)
            else:
                run = await schedules.drop_missed(session, run_id, now)
        except LookupError:
            raise web.HTTPNotFound() from None
        except ValueError:  # already sent or dropped (another tab, another person): nothing twice
            raise web.HTTPSeeOther(url_for(request, "schedules", {"done": "unchanged"})) from None
        await audit.record(session, actor_account_id=request["account"].id, actor_name=request["account"].name,
                           action=AuditAction.MISSED_SENT if action == "send" else AuditAction.MISSED_DROPPED,
                           target=f"schedule #{run.schedule_id} run #{run.id}", unit_path=None,
                           address=address_of(request), detail={"due_at": run.due_at.isoformat(),
                                                                "deliveries": run.deliveries}, at=now)
        await session.commit()
    if action == "send":
        request.app[OUTBOX].wake(EVERY_CHANNEL)
    raise web.HTTPSeeOther(url_for(request, "schedules", {"done": action}))

