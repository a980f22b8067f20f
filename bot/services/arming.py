"""Campaign files become schedules: arm (idempotent), disarm, and the timeline staff check before arming.

A yearly campaign (National DX Day) becomes one one-shot schedule per event,
report reminder and escalation step, keyed campaign:year:step so arming twice
adds nothing. A recurring campaign (weekly bulletin, monthly digest) becomes
one recurring schedule keyed by the campaign id; a monthly, quarterly or yearly
reporting period one schedule per reminder and escalation step, keyed
campaign:monthly:step, each computing its period when it fires.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import registry
from bot.clock import LOCAL_TZ
from bot.db.schedules import Schedule, ScheduleRun
from bot.services import broadcast as bc
from bot.services import calendar_overrides, reminders, schedules
from bot.services.campaign_model import Campaign
from bot.services.campaigns import campaign_dates, render
from bot.services.recurring import RecurringCampaign
from bot.services.schedule_rules import Rule


@dataclass(frozen=True)
class Step:
    """One schedule a campaign arms: its key, when, what it does."""

    key: str
    name: str
    rule: Rule
    action: str
    template: dict

    @property
    def when(self) -> datetime | None:
        return self.rule.at


def steps(campaign: Campaign | RecurringCampaign, year: int | None, theme: dict | None = None,
          stand_in: str | None = None) -> list[Step]:
    """Every schedule the campaign needs for `year` (recurring campaigns need no year).

    A yearly campaign that quotes the theme raises `ThemeMissing` without one, unless `stand_in` marks it in a draft.
    """
    if isinstance(campaign, RecurringCampaign) and campaign.reminders is not None:
        return _monthly(campaign)
    if isinstance(campaign, RecurringCampaign):
        messages = [{"vi": m.text["vi"], "en": m.text["en"], "guide": m.guide} for m in campaign.messages]
        template = {"audience": _audience(campaign.audience).to_dict(), "messages": messages, "ack": False,
                    "photo": None, "figures": campaign.figures}
        return [Step(campaign.id, campaign.name["en"], campaign.rule, "broadcast", template)]
    if year is None:
        raise ValueError(f"{campaign.id} is a yearly campaign: give --year")
    out = []
    for event in render(campaign, year, theme, stand_in):
        key, once = f"{campaign.id}:{year}:{event.event_id}", Rule("once", at=event.when)
        if event.kind == "reminder":
            spec = _reminder(campaign, year, "members", event.text)
            out.append(Step(key, f"{campaign.id} {year} {event.event_id}", once, "reminder", spec))
            continue
        template = schedules.broadcast_template(_audience(event.audience), event.text["vi"], event.text["en"],
                                                guide=event.guide)
        out.append(Step(key, f"{campaign.id} {year} {event.event_id}", once, "broadcast", template))
    dates = campaign_dates(campaign, year)
    for (day, who), after in zip(dates.escalations, campaign.reminders.escalate_after_days, strict=True):
        at = datetime.combine(day, campaign.reminders.time, tzinfo=LOCAL_TZ)
        step_id = f"escalate-d{after}-{who.replace('_', '-')}"
        out.append(Step(f"{campaign.id}:{year}:{step_id}", f"{campaign.id} {year} {step_id}", Rule("once", at=at),
                        "reminder", _reminder(campaign, year, who, None)))
    return sorted(out, key=lambda s: (s.when, s.key))


def _monthly(campaign: RecurringCampaign) -> list[Step]:
    """A reporting period's steps: each on its day of every month (quarter, year), the period found when it fires."""
    rem, rule = campaign.reminders, campaign.rule
    deadline_day = rule.month_day[1] if rule.every == "yearly" else rule.day
    plan = [(-days, "members", f"report-reminder-d{days}") for days in rem.before_deadline_days]
    plan += [(days, who, f"escalate-d{days}-{who.replace('_', '-')}")
             for days, who in zip(rem.escalate_after_days, rem.escalate_to, strict=True)]
    out = []
    for offset, who, step_id in sorted(plan):
        spec = {"campaign": campaign.id, "target": who, "levels": list(rem.audience.levels),
                "roles": list(rem.audience.roles), "text": dict(rem.text) if who == "members" else None,
                "guide": rem.guide, "deadline_day": deadline_day, "every": rule.every,
                **({"agencies": rem.audience.agencies} if rem.audience.agencies else {})}
        day = deadline_day + offset
        step_rule = (Rule("yearly", time=rem.time, month_day=(rule.month_day[0], day)) if rule.every == "yearly"
                     else Rule(rule.every, time=rem.time, day=day))
        out.append(Step(f"{campaign.id}:monthly:{step_id}", f"{campaign.id} {step_id}", step_rule, "reminder", spec))
    return out


def _audience(audience) -> bc.Audience:
    return bc.Audience(levels=list(audience.levels), roles=list(audience.roles))


def _reminder(campaign: Campaign, year: int, target: str, text: dict | None) -> dict:
    dates, rem = campaign_dates(campaign, year), campaign.reminders
    return reminders.template(campaign=campaign.id, name=dict(campaign.name), year=year, start=dates.period_start,
                              end=dates.deadline, deadline=dates.deadline, target=target,
                              levels=list(rem.audience.levels), roles=list(rem.audience.roles), text=text,
                              guide=rem.guide, agencies=rem.audience.agencies)


async def arm(session: AsyncSession, campaign, year: int | None, theme: dict | None,
              now: datetime) -> list[tuple[Step, str]]:
    """Add the campaign's schedules that are not there yet: [(step, 'armed' | 'already armed' | 'past')].

    The year's calendar stored in the database (console) replaces the file's dates and gives the theme if none is.
    """
    plan = await planned(session, campaign, year, theme)
    existing = await armed_keys(session, [s.key for s in plan])
    outcome = []
    for step in plan:
        if step.key in existing:
            outcome.append((step, "already armed"))
        elif step.rule.next_after(now) is None:
            outcome.append((step, "past"))
        else:
            await schedules.add(session, name=step.name, rule=step.rule, template=step.template, now=now,
                                action=step.action, key=step.key)
            outcome.append((step, "armed"))
    return outcome


def armed_as(key: str, scheduled: set[str]) -> bool:
    """Whether a step is armed among these schedule keys: under its key, or under the one an escalation step had
    before its target named the level above (`reminders.legacy_keys`), so such a step is never armed twice."""
    return key in scheduled or not scheduled.isdisjoint(reminders.legacy_keys(key))


async def armed_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    """Which of these step keys are armed already (`armed_as`)."""
    candidates = [name for key in keys for name in (key, *reminders.legacy_keys(key))]
    scheduled = set((await session.execute(select(Schedule.key).where(Schedule.key.in_(candidates)))).scalars())
    return {key for key in keys if armed_as(key, scheduled)}


async def planned(session: AsyncSession, campaign, year: int | None, theme: dict | None,
                  stand_in: str | None = None) -> list[Step]:
    """`steps` with the year's calendar from the database (its dates, and its theme when none is given)."""
    campaign, theme = await calendar_overrides.resolve(session, campaign, year, theme)
    return steps(campaign, year, theme, stand_in)


async def disarm(session: AsyncSession, campaign_id: str, year: int | None) -> int:
    """Delete a recurring campaign's schedule(s), or a year's steps that have not fired yet; returns how many."""
    if year is None:
        query = select(Schedule).where(or_(Schedule.key == campaign_id,
                                           Schedule.key.startswith(f"{campaign_id}:monthly:", autoescape=True)))
    else:
        fired = select(ScheduleRun.id).where(ScheduleRun.schedule_id == Schedule.id).exists()
        query = select(Schedule).where(Schedule.key.startswith(f"{campaign_id}:{year}:", autoescape=True), ~fired)
    removed = list((await session.execute(query)).scalars())
    for schedule in removed:
        await schedules.remove(session, schedule.id)
    return len(removed)


async def audience_size(session: AsyncSession, step: Step, now: datetime) -> int:
    """Deliveries the step would queue against the current database (reminders: today's non-reporters)."""
    if step.action == "reminder":
        spec = schedules.reminder_spec(step.template, step.rule.next_after(now) or now)
        return await reminders.fire(session, spec, now, dry_run=True)
    audience = await bc.resolve(session, bc.Audience(**step.template["audience"]), None)
    return sum((await bc.preview(session, audience, registry.rates())).deliveries.values())
