"""The year's reporting duties and, for each, what is in and what is missing, and from whom.

A duty is a reporting period with the teams' deadline and, where the plans set one, the department's own
(to the province): DX Day with its dates from the campaign calendar in the database (the file's when the
year was not set), the quarterly and annual reports and the monthly one. What is in: per unit below, the
teams that reported and, where the department reports on, the units whose officers sent their difficulties
and recommendations (bot/services/written_parts.py).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.db.console import ConsoleAccount
from bot.db.models import Member, OrgUnit, Team
from bot.services import calendar_overrides, campaigns, periods, reports, written_parts
from bot.services.campaign_model import Campaign, CampaignError

LISTED = 100  # teams and officers named as missing on one page


@dataclass(frozen=True)
class Duty:
    """One reporting duty of the year."""

    period: periods.Period
    name: dict[str, str]
    team_deadline: date
    department_deadline: date | None

    @property
    def key(self) -> str:
        return self.period.key

    @property
    def asks_written(self) -> bool:
        """The department reports on to the province, so the units' difficulties and recommendations are asked."""
        return self.department_deadline is not None

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name["vi"]


@dataclass
class UnitStatus:
    """A unit's part of a duty: its teams (expected, reported, on time) and its officers' written parts."""

    unit: OrgUnit
    expected: int = 0
    reported: int = 0
    on_time: int = 0
    officers_units: int = 0  # units of the subtree with an officer, who are asked for the written parts
    written_units: int = 0  # of those, how many sent something

    @property
    def complete(self) -> bool:
        return self.reported >= self.expected and self.written_units >= self.officers_units


def _recurring(campaign_id: str):
    try:
        return campaigns.load_campaign(campaign_id)
    except CampaignError:
        return None


def _department(campaign, team: date) -> date | None:
    """A recurring duty's department deadline: a day of the teams' deadline month, or (month, day) yearly."""
    value = getattr(campaign, "department_deadline", None)
    if value is None:
        return None
    return team.replace(month=value[0], day=value[1]) if isinstance(value, tuple) else team.replace(day=value)


def _rhythm(year: int) -> list[Duty]:
    """The monthly, quarterly and annual reports of the year."""
    found = []
    for campaign_id, keys in ((periods.MONTHLY_CAMPAIGN, [f"{year}-{m:02d}" for m in range(1, 13)]),
                              (periods.RHYTHM["quarter"], [f"{year}-Q{q}" for q in range(1, 5)]),
                              (periods.RHYTHM["year"], [str(year)])):
        campaign = _recurring(campaign_id)
        if campaign is None:
            continue
        for key in keys:
            period = periods.parse(key)
            team = period.deadline.astimezone(LOCAL_TZ).date()
            found.append(Duty(period, dict(campaign.name), team, _department(campaign, team)))
    return found


async def _windows(session: AsyncSession, year: int) -> list[Duty]:
    """The dated campaigns (DX Day) with the year's calendar as the department set it in the console."""
    found = []
    for campaign in periods.window_campaigns():
        if not isinstance(campaign, Campaign):
            continue
        cal = await calendar_overrides.year_calendar(session, campaign, year)
        found.append(Duty(periods.of_calendar(campaign, cal), dict(campaign.name), cal.deadline,
                          cal.department_deadline))
    return found


async def of_year(session: AsyncSession, year: int) -> list[Duty]:
    """Every duty of the year, by the teams' deadline."""
    return sorted(await _windows(session, year) + _rhythm(year), key=lambda d: (d.team_deadline, d.key))


async def by_key(session: AsyncSession, key: str) -> Duty | None:
    """The duty a period key names (None for a key that is no duty)."""
    try:
        year = periods.parse(key).end.year
    except periods.BadPeriod:
        return None
    return next((d for d in await of_year(session, year) if d.key == key), None)


async def officer_units(session: AsyncSession, root: OrgUnit) -> dict[int, list[str]]:
    """{unit id: its officers' names} in the subtree (roster officers and officers' console accounts): the units
    asked for difficulties and recommendations."""
    in_tree = OrgUnit.path.startswith(root.path)
    roster = (select(Team.unit_id, Member.full_name).join(Member, Member.team_id == Team.id)
              .join(OrgUnit, Team.unit_id == OrgUnit.id).where(in_tree, Member.role == "officer"))
    console = (select(ConsoleAccount.unit_id, ConsoleAccount.name).join(OrgUnit, ConsoleAccount.unit_id == OrgUnit.id)
               .where(in_tree, ConsoleAccount.role == "officer", ConsoleAccount.active))
    found: dict[int, list[str]] = {}
    for query in (roster, console):
        for unit_id, name in (await session.execute(query)).all():
            if name not in found.setdefault(unit_id, []):
                found[unit_id].append(name)
    return {unit_id: sorted(names) for unit_id, names in found.items()}


async def written_in(session: AsyncSession, root: OrgUnit, duty: Duty) -> set[int]:
    """Ids of the subtree's units that sent difficulties or recommendations for the duty."""
    return (await _sent(session, root, [duty]))[duty.key]


async def _sent(session: AsyncSession, root: OrgUnit, asking: list[Duty]) -> dict[str, set[int]]:
    """{duty key: ids of the units that sent a written part}, the chat answers of all the duties read at once."""
    found = await written_parts.gathered_many(session, root, [d.period for d in asking]) if asking else {}
    return {key: {p.unit.id for p in parts if p.sent()} for key, parts in found.items()}


async def status(session: AsyncSession, root: OrgUnit, duty: Duty) -> tuple[list[UnitStatus], UnitStatus]:
    """Per unit just below the root (and the root's own team): what is in; then the whole subtree's."""
    period = duty.period
    teams = await reports.completeness(session, root, period.start, period.end, period.deadline)
    if not duty.asks_written:
        return await _assemble(session, root, duty, teams, {}, set())
    return await _assemble(session, root, duty, teams, await officer_units(session, root),
                           await written_in(session, root, duty))


async def overview(session: AsyncSession, root: OrgUnit, found: list[Duty]) -> dict[str, UnitStatus]:
    """{duty key: the whole subtree's status} for the year's list: the teams of every duty from one grouped scan
    and the written parts from one read, where a scan per duty made the page slow on a large database."""
    spans = [(d.period.start, d.period.end, d.period.deadline) for d in found]
    teams = await reports.completeness_of(session, root, spans)
    asking = [d for d in found if d.asks_written]
    asked, sent = (await officer_units(session, root) if asking else {}), await _sent(session, root, asking)
    return {d.key: (await _assemble(session, root, d, t, asked, sent.get(d.key, set())))[1]
            for d, t in zip(found, teams, strict=True)}


async def _assemble(session: AsyncSession, root: OrgUnit, duty: Duty, teams: dict, asked: dict[int, list[str]],
                    sent: set[int]) -> tuple[list[UnitStatus], UnitStatus]:
    """The rows of `status` from the teams' figures per child unit and the units asked for and sending written parts."""
    children = list((await session.execute(select(OrgUnit).where(
        OrgUnit.parent_id == root.id, OrgUnit.retired_on.is_(None)).order_by(OrgUnit.name))).scalars())
    rows = {u.id: UnitStatus(u) for u in [*children, root]}
    for unit_id, (expected, reported, on_time, _late) in teams.items():
        if unit_id in rows:
            rows[unit_id].expected, rows[unit_id].reported, rows[unit_id].on_time = expected, reported, on_time
    if duty.asks_written:
        await _written_counts(session, root, rows, asked, sent)
    total = UnitStatus(root, *(sum(getattr(r, f) for r in rows.values())
                               for f in ("expected", "reported", "on_time", "officers_units", "written_units")))
    own = rows.pop(root.id)
    return [rows[u.id] for u in children] + ([own] if own.expected or own.officers_units else []), total


async def _written_counts(session: AsyncSession, root: OrgUnit, rows: dict[int, UnitStatus],
                          asked: dict[int, list[str]], sent: set[int]) -> None:
    """Count, under each row's unit, the units asked for written parts and those that sent them."""
    paths = dict((await session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(asked)))).all())
    for unit_id, path in paths.items():
        row = rows.get(unit_id) if unit_id == root.id else next(
            (r for r in rows.values() if r.unit.id != root.id and path.startswith(r.unit.path)), None)
        if row is not None:
            row.officers_units += 1
            row.written_units += unit_id in sent


async def missing(session: AsyncSession, root: OrgUnit, duty: Duty) -> tuple[list[tuple[Team, str]],
                                                                           list[tuple[str, list[str]]]]:
    """([(team, its unit's name)] with no report in the period, [(unit name, its officers)] whose unit sent no
    written part), each at most LISTED, in tree order."""
    period = duty.period
    teams = (await reports.teams_without_report(session, root, period.start, period.end))[:LISTED]
    names = dict((await session.execute(select(OrgUnit.id, OrgUnit.name).where(
        OrgUnit.id.in_([t.unit_id for t in teams])))).all())
    silent: list[tuple[str, list[str]]] = []
    if duty.asks_written:
        asked = await officer_units(session, root)
        sent = await written_in(session, root, duty)
        units = (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(set(asked) - sent))
                                       .order_by(OrgUnit.path).limit(LISTED))).scalars()
        silent = [(u.name, asked[u.id]) for u in units]
    return [(t, names.get(t.unit_id, "")) for t in teams], silent
