"""Reminders to teams that have not reported in a period, escalating up the tree after the deadline.

Who is missing is computed when a reminder fires, never when it is armed, so
a team that reports between two reminders gets no later one. Before the
deadline the missing teams' members get the campaign's own text; after it the
team leaders, then the officers of the level above each missing team (then two
levels above, or the top of the tree) get a note naming the missing teams of
their unit. Levels are the tree's own: no kind of unit is named here. Every message is an ordinary
outbox row at bulk priority, in the member's language.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.core.messages import Button, Outbound
from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.delivery import queue
from bot.delivery.states import BULK
from bot.i18n import LOCALES, N_, Translator
from bot.services import access, agencies
from bot.services.access import Action, Role
from bot.services.broadcast import OPEN_GUIDE
from bot.services.campaign_model import DATE_FORMAT
from bot.services.org import live
from bot.services.reports import COUNTED

TOP_OFFICERS = "top_officers"
LEVELS_UP = {"officers_above": 1, "officers_two_above": 2}  # escalation targets: officers this many levels up
# targets of steps armed before escalation followed the tree's levels
LEGACY_TARGETS = {"commune_officer": "officers_above", "district_officer": "officers_two_above",
                  "province_officer": TOP_OFFICERS}


def legacy_keys(key: str) -> list[str]:
    """The schedule key an escalation step had when its target named a kind, so arming again adds it only once."""
    return [key.removesuffix(new.replace("_", "-")) + old.replace("_", "-") for old, new in LEGACY_TARGETS.items()
            if key.endswith("-" + new.replace("_", "-"))]
LISTED = 30  # missing teams named in one officer's note; the rest are counted
MONTH_FORMATS = {"vi": "MM/yyyy", "en": "MMMM yyyy"}
ROMAN = ("I", "II", "III", "IV")
# a quarter as a reminder's text names it ({quarter}: "Quý IV/2026") and as the notes to leaders and officers
# name the report ("… activity report for {campaign} {year}": "quý IV năm 2026", "Q4 2026")
QUARTER_LABEL, QUARTER_NAME, YEAR_NAME = N_("Q{number} {year}"), N_("Q{number}"), N_("the year")
Row = tuple[Member, ChannelAccount, Outbound]


def template(*, campaign: str, name: dict, year: int, start: date, end: date, deadline: date, target: str,
             levels: list[str], roles: list[str], text: dict | None, guide: str | None,
             agencies: str | None = None) -> dict:
    """What a reminder schedule stores: the period, the deadline, who gets it and with which words (and, for a duty
    on the agencies, `agencies`: also or only; bot/services/agencies.py)."""
    return {"campaign": campaign, "name": name, "year": year, "start": start.isoformat(), "end": end.isoformat(),
            "deadline": deadline.isoformat(), "target": target, "levels": levels, "roles": roles, "text": text,
            "guide": guide} | ({"agencies": agencies} if agencies else {})


def period_of(every: str, due: datetime) -> tuple[date, date]:
    """The period a step due at `due` chases: the calendar month or quarter (its steps fall in the month after it)
    ending the month before, or (yearly) its own year."""
    day = due.astimezone(LOCAL_TZ).date()
    if every == "yearly":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    end = day.replace(day=1) - timedelta(days=1)
    return end.replace(month=end.month - 2 if every == "quarterly" else end.month, day=1), end


def _labels(every: str, start: date, lang: str) -> tuple[str, str]:
    """(what a reminder's text calls the period, what the notes call the report) in `lang`."""
    tr = Translator(lang)
    if every == "quarterly":
        words = {"number": (start.month + 2) // 3, "roman": ROMAN[(start.month - 1) // 3], "year": start.year}
        return tr.t(QUARTER_LABEL, **words), tr.t(QUARTER_NAME, **words)
    if every == "yearly":
        return str(start.year), tr.t(YEAR_NAME)
    return format_date(start, MONTH_FORMATS[lang], locale=lang), format_date(start, "MMMM", locale=lang)


def period_spec(step: dict, due: datetime) -> dict:
    """A reporting period's step as `fire` takes it: the month, quarter or year it chases when due at `due`."""
    every = step.get("every", "monthly")  # steps armed before quarterly and yearly periods were monthly
    start, end = period_of(every, due)
    if every == "yearly":
        deadline = due.astimezone(LOCAL_TZ).date().replace(day=step["deadline_day"])
    else:
        deadline = end + timedelta(days=step["deadline_day"])
    labels = {lang: _labels(every, start, lang) for lang in LOCALES}
    placeholder = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}[every]
    text = step["text"]
    if text:
        text = {lang: words.format(**{placeholder: labels[lang][0]}, deadline=deadline.strftime(DATE_FORMAT))
                for lang, words in text.items()}
    return _armed(step, {lang: label[1] for lang, label in labels.items()}, start, end, deadline, text)


def _armed(step: dict, name: dict, start: date, end: date, deadline: date, text: dict | None) -> dict:
    """`template` for an armed step, given its period."""
    return template(campaign=step["campaign"], name=name, year=start.year, start=start, end=end, deadline=deadline,
                    target=step["target"], levels=step["levels"], roles=step["roles"], text=text,
                    guide=step["guide"], agencies=step.get("agencies"))


def _missing(start: date, end: date):
    """A filter on Team: active and no counted report dated in the period."""
    reported = exists().where(Report.team_id == Team.id, Report.activity_date >= start,
                              Report.activity_date <= end, Report.status.in_(COUNTED))
    return Team.active & ~reported


async def missing_teams(session: AsyncSession, start: date, end: date, *where) -> list[tuple[Team, OrgUnit]]:
    """Active teams of live units with no report in the period (and `where`, on OrgUnit), in tree order."""
    query = (select(Team, OrgUnit).join(OrgUnit, Team.unit_id == OrgUnit.id)
             .where(_missing(start, end), live(), *where).order_by(OrgUnit.path))
    return [tuple(row) for row in await session.execute(query)]


async def fire(session: AsyncSession, spec: dict, now: datetime, *, dry_run: bool = False) -> int:
    """Queue one reminder step (spec from `template`); returns how many deliveries it queued (or would)."""
    start, end = date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"])
    target = spec["target"]
    if target == "members":
        rows = await _to_members(session, spec, start, end, spec["roles"], spec["levels"])
    elif target == "leader":
        rows = await _to_members(session, spec, start, end, [Role.LEADER], None)
    else:
        missing = await missing_teams(session, start, end, agencies.duty_clause(spec.get("agencies")))
        rows = await _to_officers(session, spec, target, missing)
    if not dry_run:
        await queue.enqueue_many(session, [
            {"channel": a.channel, "external_id": a.external_id, "member_id": m.id, "payload": out.to_dict()}
            for m, a, out in rows], now, BULK)
    return len(rows)


async def _to_members(session: AsyncSession, spec: dict, start: date, end: date, roles: list[str],
                      levels: list[str] | None) -> list[Row]:
    """Members with the given roles (and unit levels) in every team that has not reported."""
    query = (select(Member, ChannelAccount).join(ChannelAccount, ChannelAccount.member_id == Member.id)
             .join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
             .where(_missing(start, end), live(), Member.role.in_(roles), ~Member.opted_out,
                    ~ChannelAccount.unreachable))
    query = query.where(agencies.duty_clause(spec.get("agencies"), levels))  # the territory, unless it names agencies
    rows = list(await session.execute(query))
    messages = {locale: _member_message(spec, locale) for locale in {m.locale for m, _ in rows}}
    return [(m, a, messages[m.locale]) for m, a in rows]


def _member_message(spec: dict, locale: str) -> Outbound:
    tr = Translator(locale)
    if spec["target"] == "members" and spec.get("text"):
        text = spec["text"].get(locale) or spec["text"]["vi"]
    else:
        text = tr.t("Your team has not sent its activity report for {campaign} {year} yet. It was due on "
                    "{deadline}. Please send it today, or ask your team to.", **_words(spec, tr))
    buttons = [[Button(f"guide:{spec['guide']}", tr.t(OPEN_GUIDE))]] if spec.get("guide") else []
    return Outbound(text, buttons)


def _words(spec: dict, tr: Translator) -> dict[str, str]:
    name = spec["name"].get(tr.locale) or spec["name"]["vi"]
    return {"campaign": name, "year": str(spec["year"]), "deadline": tr.date(date.fromisoformat(spec["deadline"]))}


async def _to_officers(session: AsyncSession, spec: dict, target: str,
                       missing: list[tuple[Team, OrgUnit]]) -> list[Row]:
    """Officers of the unit the target names above each missing team (admins: of everything) with the list of
    its missing teams, each told only of teams the access rule lets them view."""
    target = LEGACY_TARGETS.get(target, target)
    units, groups = await _group(session, missing, target)
    query = (select(Member, OrgUnit).join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
             .where(~Member.opted_out))
    if target == "admin":
        query = query.where(Member.role == Role.ADMIN)
    else:
        query = query.where(Member.role == Role.OFFICER, Team.unit_id.in_(list(groups)))
    officers = list(await session.execute(query))
    accounts = await _accounts(session, [m.id for m, _ in officers])
    rows = []
    for officer, unit in officers:
        key = None if target == "admin" else unit.id
        actor = access.actor_of(officer, unit.path)
        teams = [team for team, path in groups.get(key, []) if access.may(actor, Action.VIEW, path)]
        if teams:
            note = _officer_message(spec, officer.locale, units.get(key), teams)
            rows += [(officer, account, note) for account in accounts.get(officer.id, [])]
    return rows


def _head(path: str, target: str) -> int | None:
    """The id of the unit whose officers `target` names for a team at `path`: n levels up, or the top of the tree;
    None when the tree has no such level above the team."""
    ids = [int(i) for i in path.strip("/").split("/")]
    if target == TOP_OFFICERS:
        return ids[0]
    up = LEVELS_UP.get(target)
    return ids[-1 - up] if up is not None and len(ids) > up else None


async def _group(session: AsyncSession, missing: list[tuple[Team, OrgUnit]],
                 target: str) -> tuple[dict[int, OrgUnit], dict[int | None, list[tuple[Team, str]]]]:
    """Missing teams (with their unit paths) by the unit whose officers hear of them (all under None for admins)."""
    if target == "admin":
        return {}, {None: [(team, unit.path) for team, unit in missing]}
    groups: dict[int | None, list[tuple[Team, str]]] = defaultdict(list)
    for team, unit in missing:
        head = _head(unit.path, target)
        if head is not None:
            groups[head].append((team, unit.path))
    units = {u.id: u for u in (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(list(groups))))).scalars()}
    return units, groups


def _officer_message(spec: dict, locale: str, unit: OrgUnit | None, teams: list[Team]) -> Outbound:
    tr = Translator(locale)
    words = _words(spec, tr) | {"unit": unit.name if unit else ""}
    head = (tr.tn("{n} team in {unit} has not sent its activity report for {campaign} {year} (due {deadline}):",
                  "{n} teams in {unit} have not sent their activity report for {campaign} {year} (due {deadline}):",
                  len(teams), **words) if unit else
            tr.tn("{n} team has not sent its activity report for {campaign} {year} (due {deadline}):",
                  "{n} teams have not sent their activity report for {campaign} {year} (due {deadline}):",
                  len(teams), **words))
    lines = [f"• {team.name}" for team in teams[:LISTED]]
    if len(teams) > LISTED:
        lines.append(tr.t("… and {n} more", n=tr.number(len(teams) - LISTED)))
    return Outbound("\n".join([head, *lines]))


async def _accounts(session: AsyncSession, member_ids: list[int]) -> dict[int, list[ChannelAccount]]:
    found: dict[int, list[ChannelAccount]] = defaultdict(list)
    query = select(ChannelAccount).where(ChannelAccount.member_id.in_(member_ids), ~ChannelAccount.unreachable)
    for account in (await session.execute(query)).scalars():
        found[account.member_id].append(account)
    return found
