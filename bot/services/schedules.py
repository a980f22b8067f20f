"""Scheduled and recurring sends: keep them as rows, and fire each due time exactly once.

Firing one due time is one transaction: a `ScheduleRun` row unique per
(schedule, due time), the broadcast or reminders it queues, and the
schedule's next due time. A second process, a retry or a crash in the middle
therefore never sends anything twice. A due time that cdsbot slept through
is sent when it wakes within the grace period, and recorded as *missed*
(never dropped silently) when older; staff may send a missed run later.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import registry
from bot.clock import LOCAL_TZ
from bot.db.broadcasts import Broadcast
from bot.db.models import OrgUnit
from bot.db.schedules import Schedule, ScheduleRun
from bot.db.session import Database
from bot.i18n import LOCALES, Translator
from bot.services import agencies, broadcast_timing, reminders, reports
from bot.services import broadcast as bc
from bot.services.reminders import MONTH_FORMATS
from bot.services.schedule_rules import BadRule, Policy, Rule

MAX_CATCH_UP = 1000  # due times handled per schedule and tick (a daily schedule after ~3 years down)


@dataclass(frozen=True)
class Fired:
    """One due time handled by a tick: sent (with how many deliveries it queued) or missed."""

    schedule_id: int
    run_id: int
    due_at: datetime
    status: str
    deliveries: int


async def add(session: AsyncSession, *, name: str, rule: Rule, template: dict, now: datetime,
              action: str = "broadcast", key: str | None = None) -> Schedule:
    """Store a schedule after checking its audience; a one-shot time in the past is refused."""
    next_at = rule.next_after(now)
    if next_at is None:
        raise BadRule(f"{rule.describe()} is in the past")
    if action == "broadcast":
        await bc.resolve(session, bc.Audience(**template["audience"]), None)
        if not template.get("messages") or not all(m.get("vi", "").strip() for m in template["messages"]):
            raise ValueError("a scheduled broadcast needs a Vietnamese text")
    schedule = Schedule(name=name, key=key, action=action, template=template, rule=rule.to_dict(),
                        next_at=next_at, created_at=now)
    session.add(schedule)
    await session.flush()
    return schedule


def broadcast_template(audience: bc.Audience, text_vi: str, text_en: str | None = None, *,
                       guide: str | None = None, ack: bool = False, photo: str | None = None) -> dict:
    """What a scheduled broadcast sends: the audience and one message (the template's only one)."""
    message = {"vi": text_vi, "en": text_en or None, "guide": guide}
    return {"audience": audience.to_dict(), "messages": [message], "ack": ack, "photo": photo, "figures": None}


async def get(session: AsyncSession, schedule_id: int) -> Schedule:
    schedule = await session.get(Schedule, schedule_id)
    if schedule is None:
        raise LookupError(f"no schedule with id {schedule_id}")
    return schedule


async def listing(session: AsyncSession) -> list[Schedule]:
    """All schedules, the next to fire first, finished ones last."""
    query = select(Schedule).order_by(Schedule.next_at.is_(None), Schedule.next_at, Schedule.id)
    return list((await session.execute(query)).scalars())


async def missed(session: AsyncSession) -> list[tuple[ScheduleRun, Schedule]]:
    """Runs cdsbot slept through beyond the grace period, waiting for staff to send or ignore them."""
    query = (select(ScheduleRun, Schedule).join(Schedule, ScheduleRun.schedule_id == Schedule.id)
             .where(ScheduleRun.status == "missed").order_by(ScheduleRun.due_at, ScheduleRun.id))
    return [tuple(row) for row in await session.execute(query)]


async def pause(session: AsyncSession, schedule_id: int) -> Schedule:
    schedule = await get(session, schedule_id)
    if schedule.state == "active":
        schedule.state = "paused"
    return schedule


async def resume(session: AsyncSession, schedule_id: int, now: datetime) -> Schedule:
    """Reactivate; a recurring schedule skips what fell due while paused (a one-shot keeps its time)."""
    schedule = await get(session, schedule_id)
    if schedule.state == "paused":
        schedule.state = "active"
        rule = Rule.from_dict(schedule.rule)
        if rule.every != "once" and schedule.next_at is not None and schedule.next_at <= now:
            schedule.next_at = rule.next_after(now)
    return schedule


async def remove(session: AsyncSession, schedule_id: int) -> Schedule:
    """Delete a schedule and its run history (the broadcasts it sent stay)."""
    schedule = await get(session, schedule_id)
    await session.execute(delete(ScheduleRun).where(ScheduleRun.schedule_id == schedule_id))
    await session.delete(schedule)
    return schedule


async def upcoming(session: AsyncSession, policy: Policy) -> list[tuple[int, datetime]]:
    """(schedule id, when it may fire after quiet hours) for every active schedule."""
    rows = await session.execute(select(Schedule.id, Schedule.next_at)
                                 .where(Schedule.state == "active", Schedule.next_at.is_not(None)))
    return sorted(((sid, policy.fire_time(at)) for sid, at in rows), key=lambda r: r[1])


async def fire_due(db: Database, now: datetime, policy: Policy) -> list[Fired]:
    """Send (or record as missed) every due time up to `now`; each in its own transaction."""
    async with db.session() as session:
        ids = list((await session.execute(select(Schedule.id).where(
            Schedule.state == "active", Schedule.next_at <= now).order_by(Schedule.next_at, Schedule.id))).scalars())
    fired: list[Fired] = []
    for schedule_id in ids:
        for _ in range(MAX_CATCH_UP):
            result = await _fire_next(db, schedule_id, now, policy)
            if result is None:
                break
            if isinstance(result, Fired):
                fired.append(result)
    return fired


async def _fire_next(db: Database, schedule_id: int, now: datetime, policy: Policy) -> Fired | bool | None:
    """Handle the schedule's next due time if it is due: a Fired, True when another process had it, else None."""
    async with db.session() as session:
        schedule = await session.get(Schedule, schedule_id, with_for_update=True)
        if schedule is None or schedule.state != "active" or schedule.next_at is None:
            return None
        due = schedule.next_at
        fire_at = policy.fire_time(due)
        if fire_at > now:
            return None
        late = now - fire_at > policy.grace
        run = ScheduleRun(schedule_id=schedule_id, due_at=due, fire_at=fire_at, ran_at=now,
                          status="missed" if late else "sent")
        session.add(run)
        try:
            await session.flush()
        except IntegrityError:  # this due time has a run already: only move the schedule on
            await session.rollback()
            await _advance_only(db, schedule_id, due)
            return True
        if not late:
            run.broadcast_id, run.deliveries = await perform(session, schedule, due, now, policy)
        _advance(schedule, due)
        await session.commit()
        return Fired(schedule_id, run.id, due, run.status, run.deliveries)


def _advance(schedule: Schedule, due: datetime) -> None:
    schedule.next_at = Rule.from_dict(schedule.rule).next_after(due)
    if schedule.next_at is None:
        schedule.state = "done"


async def _advance_only(db: Database, schedule_id: int, due: datetime) -> None:
    async with db.session() as session:
        schedule = await session.get(Schedule, schedule_id, with_for_update=True)
        if schedule is not None and schedule.next_at == due:
            _advance(schedule, due)
        await session.commit()


async def send_missed(session: AsyncSession, run_id: int, now: datetime) -> ScheduleRun:
    """Send a missed run now, on staff's word; a run already sent is refused (nothing twice)."""
    run = await _settle_missed(session, run_id, "sent", now, "sent late on staff request")
    schedule = await get(session, run.schedule_id)
    run.broadcast_id, run.deliveries = await perform(session, schedule, run.due_at, now)
    return run


async def drop_missed(session: AsyncSession, run_id: int, now: datetime) -> ScheduleRun:
    """Never send a missed run, on staff's word (it stays listed as dropped); a run not missed is refused."""
    return await _settle_missed(session, run_id, "dropped", now, "dropped on staff request")


async def _settle_missed(session: AsyncSession, run_id: int, status: str, now: datetime, note: str) -> ScheduleRun:
    """Move a missed run to `status` in one conditional update, so two staff clicks never both act on it."""
    run = await session.get(ScheduleRun, run_id)
    if run is None:
        raise LookupError(f"no schedule run with id {run_id}")
    claimed = await session.execute(update(ScheduleRun).where(ScheduleRun.id == run_id, ScheduleRun.status == "missed")
                                    .values(status=status, ran_at=now, note=note))
    if claimed.rowcount != 1:
        raise ValueError(f"run {run_id} is not a missed run (status: {run.status})")
    await session.refresh(run)
    return run


async def perform(session: AsyncSession, schedule: Schedule, due: datetime, now: datetime,
                  policy: Policy | None = None) -> tuple[int | None, int]:
    """Queue what a schedule sends: (broadcast id or None, deliveries queued); with a policy, what would still be
    sending when the quiet hours begin waits for their end."""
    if schedule.action == "reminder":
        return None, await reminders.fire(session, reminder_spec(schedule.template, due), now)
    template = schedule.template
    rule = Rule.from_dict(schedule.rule)
    messages = template["messages"]
    message = messages[_turn(rule.every, due) % len(messages)]
    texts = {lang: message.get(lang) or message["vi"] for lang in LOCALES}
    if template.get("figures") == "previous_month":
        texts = await _with_figures(session, texts, due)
    broadcast: Broadcast = await bc.create(
        session, sender=None, audience=bc.Audience(**template["audience"]), text_vi=texts["vi"],
        text_en=texts["en"], photo=template.get("photo"), ack=bool(template.get("ack")),
        guide_id=message.get("guide"), now=now)
    queued = await bc.expand(session, broadcast, now)
    if policy is not None:
        await broadcast_timing.hold_for_quiet_hours(session, broadcast.id, now, registry.rates(), policy)
    return broadcast.id, queued


def _turn(every: str, due: datetime) -> int:
    """Which message of a rotation a due time sends: the week, month, year or day number."""
    day = due.astimezone(LOCAL_TZ).date()
    return {"weekly": day.toordinal() // 7, "monthly": day.year * 12 + day.month,
            "yearly": day.year}.get(every, day.toordinal())


def previous_month(due: datetime) -> tuple[date, date]:
    """The calendar month before the one `due` falls in (local time)."""
    end = due.astimezone(LOCAL_TZ).date().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def reminder_spec(template: dict, due: datetime) -> dict:
    """A reminder step as `reminders.fire` takes it: a reporting period's is the month (quarter, year) `due` chases."""
    if "deadline_day" not in template:
        return template  # a yearly campaign's step: its period was fixed when armed
    return reminders.period_spec(template, due)


async def month_figures(session: AsyncSession, start: date, end: date) -> dict[str, int]:
    """Reports, people helped and teams reported / total over the whole tree in a period."""
    figures = {"reports": 0, "people": 0, "teams_reported": 0, "teams_total": 0}
    deadline = datetime.combine(end, datetime.max.time(), tzinfo=LOCAL_TZ)
    for root in (await session.execute(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))).scalars():
        apart = {group.id for group in await agencies.apart_from(session, root)}  # the territory's figures only
        for child, per_type in (await reports.totals_by_unit_and_type(session, root, start, end)).items():
            if child in apart:
                continue
            figures["reports"] += sum(t.reports for t in per_type.values())
            figures["people"] += sum(t.people or 0 for t in per_type.values())
        for child, (expected, reported, _on_time, _late) in (await reports.completeness(
                session, root, start, end, deadline)).items():
            if child in apart:
                continue
            figures["teams_total"] += expected
            figures["teams_reported"] += reported
    return figures


async def _with_figures(session: AsyncSession, texts: dict[str, str], due: datetime) -> dict[str, str]:
    start, end = previous_month(due)
    figures = await month_figures(session, start, end)
    out = {}
    for lang, text in texts.items():
        numbers = {k: Translator(lang).number(v) for k, v in figures.items()}
        out[lang] = text.format(month=format_date(start, MONTH_FORMATS[lang], locale=lang), **numbers)
    return out

