"""Reporting periods for roll-ups and exports: a month, a quarter, a year, a campaign's window, or dates.

A period is written as a short key that fits in a URL or a command line: `2026-11` (a month),
`2026-Q4`, `2026`, `campaign:national-dx-day:2026`, or `2026-01-05..2026-02-10`.

Its deadline (when a team's report still counts as on time) is, for a campaign, the campaign's
report deadline (end of that day), with the dates and deadline the department stored for that year in
the console where it did (`stored`, from bot/services/calendar_overrides.py), else the campaign file's;
for a quarter, the teams' deadline of `content/campaigns/quarterly-report.yaml` (day 10 of the month
after it, 23:59); for a year, that of `annual-report.yaml` (25 November of that year, 23:59); for
anything else, the monthly report's deadline after the period's last month (`monthly-report.yaml`:
day 5 at 23:59 of the next month), all in Asia/Ho_Chi_Minh.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.services import calendar_overrides, campaigns
from bot.services.campaign_model import Campaign, CampaignError
from bot.services.guides import CONTENT_ROOT

MONTHLY_CAMPAIGN = "monthly-report"
DEFAULT_DEADLINE = (5, time(23, 59))  # when the monthly campaign file is missing
RHYTHM = {"quarter": "quarterly-report", "year": "annual-report"}  # the reporting duty whose deadline a kind takes
MAX_DAYS = 3 * 366  # a longer range is almost surely a typo


class BadPeriod(ValueError):
    """A period key that does not parse, or a range that ends before it starts."""


@dataclass(frozen=True)
class Period:
    """Dates from `start` to `end` (inclusive), the key that names them, and the reporting deadline."""

    key: str
    kind: str  # month / quarter / year / campaign / dates
    start: date
    end: date
    deadline: datetime  # aware; a team whose first report arrived by then is on time
    campaign: Campaign | None = field(default=None, repr=False)


@cache
def _monthly_rule() -> tuple[int, time]:
    """(day of the next month, time) of the monthly report deadline, from its campaign file."""
    try:
        rule = campaigns.load_campaign(MONTHLY_CAMPAIGN).rule
    except (CampaignError, AttributeError):
        return DEFAULT_DEADLINE
    return rule.day or DEFAULT_DEADLINE[0], rule.time or DEFAULT_DEADLINE[1]


def monthly_deadline(end: date) -> datetime:
    """The monthly report's deadline for a period ending on `end`: day N of the month after, at its time."""
    day, at = _monthly_rule()
    first_next = (end.replace(day=1) + timedelta(days=32)).replace(day=1)
    last_day = ((first_next + timedelta(days=32)).replace(day=1) - timedelta(days=1)).day
    return datetime.combine(first_next.replace(day=min(day, last_day)), at, LOCAL_TZ)


@cache
def window_campaigns() -> tuple[Campaign, ...]:
    """The campaigns with a window of their own (a period and a report deadline), by id."""
    found = []
    for path in sorted((CONTENT_ROOT / "campaigns").glob("*.yaml")):
        campaign, problems = campaigns.parse_campaign(path)
        if isinstance(campaign, Campaign) and not problems:
            found.append(campaign)
    return tuple(found)


def of_calendar(campaign: Campaign, cal: calendar_overrides.YearCalendar) -> Period:
    """A campaign's period in a year from that year's calendar: its communication period, and the teams'
    deadline to the end of that day."""
    deadline = datetime.combine(cal.deadline, time(23, 59, 59), LOCAL_TZ)
    return Period(f"campaign:{campaign.id}:{cal.year}", "campaign", cal.period_start, cal.period_end, deadline,
                  campaign)


def _campaign(campaign_id: str, year: int) -> Period:
    found = next((c for c in window_campaigns() if c.id == campaign_id), None)
    if found is None:
        raise BadPeriod(f"no campaign {campaign_id!r}")
    return of_calendar(found, calendar_overrides.defaults(found, year))


async def stored(session: AsyncSession, period: Period) -> Period:
    """The period as counted: a campaign's with the dates and deadline the department stored for its year (the
    same calendar arming and the duty pages read), anything else as it is."""
    if period.campaign is None:
        return period
    year = int(period.key.rpartition(":")[2])
    return of_calendar(period.campaign, await calendar_overrides.year_calendar(session, period.campaign, year))


@cache
def _rhythm_rule(kind: str):
    """The quarterly or annual report's deadline rule, or None when its campaign file is missing."""
    try:
        return campaigns.load_campaign(RHYTHM[kind]).rule
    except (CampaignError, AttributeError, KeyError):
        return None


def _deadline(kind: str, end: date) -> datetime:
    """A quarter's or a year's reporting duty deadline; the monthly one after `end` for anything else."""
    rule = _rhythm_rule(kind) if kind in RHYTHM else None
    if rule is not None and rule.every == "yearly":
        return datetime.combine(end.replace(month=rule.month_day[0], day=rule.month_day[1]), rule.time, LOCAL_TZ)
    if rule is not None and rule.every == "quarterly":
        return datetime.combine(end + timedelta(days=rule.day), rule.time, LOCAL_TZ)
    return monthly_deadline(end)


def _plain(key: str, kind: str, start: date, end: date) -> Period:
    if end < start:
        raise BadPeriod("the period ends before it starts")
    if (end - start).days > MAX_DAYS:
        raise BadPeriod("the period is longer than three years")
    return Period(key, kind, start, end, _deadline(kind, end))


def _month_end(year: int, month: int) -> date:
    return (date(year, month, 1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def parse(key: str) -> Period:
    """The period a key names; `BadPeriod` with a short reason when it names none."""
    key = (key or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
            year, month = int(m[1]), int(m[2])
            return _plain(key, "month", date(year, month, 1), _month_end(year, month))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", key):
            year, quarter = int(m[1]), int(m[2])
            return _plain(key.upper(), "quarter", date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
        if re.fullmatch(r"\d{4}", key):
            return _plain(key, "year", date(int(key), 1, 1), date(int(key), 12, 31))
        if m := re.fullmatch(r"campaign:([a-z0-9-]+):(\d{4})", key):
            return _campaign(m[1], int(m[2]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", key):
            return _plain(key, "dates", date.fromisoformat(m[1]), date.fromisoformat(m[2]))
    except ValueError as exc:
        raise BadPeriod(str(exc)) from exc
    raise BadPeriod(f"not a period: {key!r}")


def of_dates(start: date, end: date) -> Period:
    """The period from `start` to `end` (both days included)."""
    return parse(f"{start.isoformat()}..{end.isoformat()}")


def choices(today: date) -> list[str]:
    """Keys to offer in a menu: this and the last two months, this quarter, this and last year, campaigns."""
    months, first = [], today.replace(day=1)
    for _ in range(3):
        months.append(f"{first:%Y-%m}")
        first = (first - timedelta(days=1)).replace(day=1)
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    years = [str(today.year), str(today.year - 1)]
    return months + [quarter] + years + [f"campaign:{c.id}:{today.year}" for c in window_campaigns()]
