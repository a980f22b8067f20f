"""The province at a glance: the console's home figures for one person's part of the tree.

Every figure is aggregated in SQL and limited by `access.scope_clause`, so an
officer's glance counts only their subtree. Reports are grouped per team first
(an index-only scan of one month) and then mapped to the next level down by
path, as in bot/services/reports.py; no Python loop ever walks report rows.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import LOCAL_TZ
from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.models import Delivery, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.db.schedules import Schedule
from bot.delivery.states import PENDING, State
from bot.services import schedules
from bot.services.access import WHOLE_TREE, Actor, in_scope, scope_clause
from bot.services.reachability import reachable_by_channel
from bot.services.reports import COUNTED, child_key
from bot.services.schedule_rules import Policy

BROADCAST_DAYS = 30
SHOWN_BROADCASTS = 5
SHOWN_SENDS = 5


@dataclass(frozen=True)
class UnitFigures:
    """One unit of the next level down: teams of the roster, registered, reporting this month."""

    code: str
    name: str
    teams: int  # active teams in the unit's subtree
    registered: int  # of them, teams with at least one member
    members: int
    reported: int  # teams with a counted report dated this month
    reports: int

    @property
    def completeness(self) -> float | None:
        """Teams reporting this month / teams; None ("no data") when nobody there could report yet."""
        if self.teams == 0 or (self.registered == 0 and self.reported == 0):
            return None
        return self.reported / self.teams


@dataclass(frozen=True)
class BroadcastFigures:
    """A broadcast of the last 30 days, counted over the recipients in the viewer's scope."""

    id: int
    text_vi: str
    text_en: str | None
    created_at: datetime
    status: str
    ack: bool
    recipients: int
    delivered: int
    pending: int
    acknowledged: int
    need_help: int

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered / self.recipients if self.recipients else None

    @property
    def ack_rate(self) -> float | None:
        """Answers (received or need help) per delivered member; None when the broadcast asks none."""
        if not self.ack or not self.delivered:
            return None
        return min(1.0, (self.acknowledged + self.need_help) / self.delivered)


@dataclass(frozen=True)
class NextSend:
    """A scheduled send that concerns the scope, and when it will go out (after quiet hours)."""

    id: int
    name: str
    action: str
    at: datetime


@dataclass(frozen=True)
class Glance:
    """Everything the home page shows, as plain figures."""

    scope: OrgUnit | None  # None: the whole tree when it has several roots
    month_start: date
    month_end: date
    units: list[UnitFigures]  # the next level down, worst completeness first, "no data" last
    reachable: dict[str, int]  # channel -> members reachable right now
    broadcasts: list[BroadcastFigures]
    broadcasts_total: int
    waiting_review: int
    oldest_waiting: datetime | None
    next_sends: list[NextSend]

    def total(self, figure: str) -> int:
        """A figure of the whole scope: the sum over the units of the next level down."""
        return sum(getattr(unit, figure) for unit in self.units)


def month_of(now: datetime) -> tuple[date, date]:
    """The first and last day of the local calendar month holding `now`."""
    today = now.astimezone(LOCAL_TZ).date()
    start = today.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


async def scope_root(session: AsyncSession, actor: Actor) -> OrgUnit:
    """The unit whose children make the next level down: the scope's unit, or the tree's only root."""
    if actor.scope_path != WHOLE_TREE:
        query = select(OrgUnit).where(OrgUnit.path == actor.scope_path)
        return (await session.execute(query)).scalar_one()
    roots = list((await session.execute(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).limit(2))).scalars())
    return roots[0] if len(roots) == 1 else OrgUnit(path=WHOLE_TREE, name="", code="", kind="")


async def unit_figures(session: AsyncSession, actor: Actor, root: OrgUnit, start: date, end: date
                       ) -> list[UnitFigures]:
    """Teams, registration and this month's reporting per child of `root` (inside the scope), in one statement."""
    team = Report.team_id + 0  # SQLite would otherwise walk ix_report_team_date for the GROUP BY, reading every row
    reported = (select(cast(team, Integer).label("team_id"), func.count().label("n"))
                .where(Report.activity_date >= start, Report.activity_date <= end, Report.status.in_(COUNTED),
                       scope_clause(actor, Report.unit_path), Report.unit_path.startswith(root.path, autoescape=True))
                .group_by(team).subquery())
    members = select(Member.team_id, func.count().label("n")).group_by(Member.team_id).subquery()
    key = child_key(session, OrgUnit.path, root).label("child")
    per_child = (select(key, func.count(Team.id).label("teams"), func.count(members.c.team_id).label("registered"),
                        func.coalesce(func.sum(members.c.n), 0).label("members"),
                        func.count(reported.c.team_id).label("reported"),
                        func.coalesce(func.sum(reported.c.n), 0).label("reports"))
                 .select_from(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                 .outerjoin(members, members.c.team_id == Team.id).outerjoin(reported, reported.c.team_id == Team.id)
                 .where(Team.active, scope_clause(actor, OrgUnit.path),
                        OrgUnit.path.startswith(root.path, autoescape=True))
                 .group_by(key).subquery())
    child = aliased(OrgUnit)  # '' is the root's own team
    query = (select(child.code, child.name, *list(per_child.c)[1:]).select_from(per_child)
             .outerjoin(child, child.id == cast(func.nullif(per_child.c.child, ""), Integer)))
    return sorted((UnitFigures(code or root.code, name or root.name, *(int(v) for v in values))
                   for code, name, *values in (await session.execute(query)).all()), key=_worst_first)


def _worst_first(unit: UnitFigures) -> tuple:
    rate = unit.completeness
    return (rate is None, rate if rate is not None else 0.0, unit.name)


def _members_in_scope(actor: Actor):
    return (select(Member.id.label("member_id")).join(Team, Member.team_id == Team.id)
            .join(OrgUnit, Team.unit_id == OrgUnit.id)
            .where(~Member.opted_out, Team.active, scope_clause(actor, OrgUnit.path)).subquery())


async def reachable(session: AsyncSession, actor: Actor, now: datetime) -> dict[str, int]:
    """Members of the scope reachable right now, per channel (the rule of bot/services/reachability.py)."""
    rows = await session.execute(reachable_by_channel(_members_in_scope(actor), now))
    return dict(sorted((channel, int(n)) for channel, n in rows.all()))


def _scoped(query, actor: Actor, member_id):
    """Limit a query to rows of members in the actor's scope; no join at all for the whole tree."""
    if actor.whole_tree:
        return query
    return (query.join(Member, Member.id == member_id).join(Team, Member.team_id == Team.id)
            .join(OrgUnit, Team.unit_id == OrgUnit.id).where(scope_clause(actor, OrgUnit.path)))


async def broadcasts(session: AsyncSession, actor: Actor, now: datetime) -> tuple[list[BroadcastFigures], int]:
    """The latest broadcasts of the last 30 days that reached the scope, and how many there were."""
    reached = _scoped(select(Delivery.id).where(Delivery.broadcast_id == Broadcast.id,
                                                Delivery.status != State.CANCELLED), actor, Delivery.member_id)
    latest = (await session.execute(
        select(Broadcast, func.count().over())
        .where(Broadcast.created_at >= now - timedelta(days=BROADCAST_DAYS), reached.exists())
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc()).limit(SHOWN_BROADCASTS))).all()
    counts = await _counts(session, actor, [b.id for b, _ in latest])
    return ([BroadcastFigures(b.id, b.text_vi, b.text_en, b.created_at, b.status, b.ack, *counts[b.id])
             for b, _ in latest], latest[0][1] if latest else 0)


async def _counts(session: AsyncSession, actor: Actor, ids: list[int]) -> dict[int, list[int]]:
    """{broadcast id: [recipients, delivered, waiting, received, need help]} over the members of the scope."""
    sent = func.count(func.distinct(case((Delivery.status == State.SENT, Delivery.member_id))))
    waiting = func.count(func.distinct(case((Delivery.status.in_(PENDING), Delivery.member_id))))
    deliveries = _scoped(select(Delivery.broadcast_id.label("id"), func.count(func.distinct(Delivery.member_id)),
                                sent, waiting)
                         .where(Delivery.broadcast_id.in_(ids), Delivery.status != State.CANCELLED)
                         .group_by(Delivery.broadcast_id), actor, Delivery.member_id).subquery()
    answers = _scoped(select(BroadcastAck.broadcast_id.label("id"),
                             func.sum(case((BroadcastAck.answer == "ok", 1), else_=0)).label("ok"),
                             func.sum(case((BroadcastAck.answer == "help", 1), else_=0)).label("help"))
                      .where(BroadcastAck.broadcast_id.in_(ids)).group_by(BroadcastAck.broadcast_id),
                      actor, BroadcastAck.member_id).subquery()
    query = (select(*deliveries.c, answers.c.ok, answers.c.help).select_from(deliveries)
             .outerjoin(answers, answers.c.id == deliveries.c.id))
    return {bid: [int(v or 0) for v in values] for bid, *values in (await session.execute(query)).all()}


async def waiting_review(session: AsyncSession, actor: Actor) -> tuple[int, datetime | None]:
    """Reports of the scope waiting for review, and when the oldest of them was filed."""
    query = select(func.count(), func.min(Report.created_at)).where(
        Report.status == "pending", scope_clause(actor, Report.unit_path))
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest


async def next_sends(session: AsyncSession, actor: Actor, policy: Policy) -> list[NextSend]:
    """The next scheduled sends whose audience reaches into the scope (reminders reach every team)."""
    due = await schedules.upcoming(session, policy)
    rows = {s.id: s for s in (await session.execute(
        select(Schedule).where(Schedule.id.in_([sid for sid, _ in due])))).scalars()}
    codes = {code for s in rows.values() for code in _audience_codes(s)}
    paths = dict((await session.execute(select(OrgUnit.code, OrgUnit.path).where(OrgUnit.code.in_(codes)))).all()
                 ) if codes else {}
    found = []
    for sid, at in due:
        reached = [paths.get(code, "") for code in _audience_codes(rows[sid])] or [WHOLE_TREE]
        if any(in_scope(actor, path) or actor.scope_path.startswith(path) for path in reached if path):
            found.append(NextSend(sid, rows[sid].name, rows[sid].action, at))
        if len(found) == SHOWN_SENDS:
            break
    return found


def _audience_codes(schedule: Schedule) -> list[str]:
    """The unit codes a scheduled broadcast is limited to (its units, else its sender's scope); none = all."""
    audience = (schedule.template.get("audience") or {}) if schedule.action == "broadcast" else {}
    return list(audience.get("units") or ([audience["scope"]] if audience.get("scope") else []))


async def glance(session: AsyncSession, actor: Actor, now: datetime, policy: Policy | None = None) -> Glance:
    """The home page's figures for the actor's scope at `now`."""
    start, end = month_of(now)
    root = await scope_root(session, actor)
    units = await unit_figures(session, actor, root, start, end)
    recent, total = await broadcasts(session, actor, now)
    waiting, oldest = await waiting_review(session, actor)
    return Glance(root if root.path != WHOLE_TREE else None, start, end, units, await reachable(session, actor, now),
                  recent, total, waiting, oldest, await next_sends(session, actor, policy or Policy()))
