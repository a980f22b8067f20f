"""The province's own campaign calendar per year (DX week, theme, comms period, deadlines), kept in the database.

The campaign file gives the usual dates; a `CampaignCalendar` row for a year replaces them when the
campaign is armed or planned for that year (`resolve`), so next year's dates need no code change.
The console (and anything else) edits a year with `save`, which refuses dates out of order.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.calendar import CampaignCalendar
from bot.i18n import N_
from bot.services.campaign_model import Campaign, MonthDay
from bot.services.campaigns import campaign_dates

FIELDS = ("week_start", "week_end", "period_start", "period_end", "deadline", "department_deadline")


class BadCalendar(ValueError):
    """Dates that cannot be used; `problems` are message ids (English) for the person's language."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class YearCalendar:
    """One year's dates and theme as used: from the database when set there, else the campaign file's."""

    year: int
    week_start: date
    week_end: date
    period_start: date
    period_end: date
    deadline: date
    department_deadline: date | None
    theme_vi: str = ""
    theme_en: str = ""
    stored: bool = False  # True when the department set this year in the console

    @property
    def theme(self) -> dict | None:
        """The theme as arming takes it, or None when the year has none yet."""
        theme = {"vi": self.theme_vi, "en": self.theme_en}
        return {k: v for k, v in theme.items() if v} or None


def defaults(campaign: Campaign, year: int) -> YearCalendar:
    """The campaign file's usual dates for `year`, with no theme."""
    d = campaign_dates(campaign, year)
    return YearCalendar(year, d.week_start, d.week_end, d.period_start, d.period_end, d.deadline,
                        d.department_deadline)


async def _row(session: AsyncSession, campaign_id: str, year: int) -> CampaignCalendar | None:
    query = select(CampaignCalendar).where(CampaignCalendar.campaign == campaign_id, CampaignCalendar.year == year)
    return (await session.execute(query)).scalar_one_or_none()


async def year_calendar(session: AsyncSession, campaign: Campaign, year: int) -> YearCalendar:
    """The year's calendar as arming will use it."""
    row = await _row(session, campaign.id, year)
    if row is None:
        return defaults(campaign, year)
    return YearCalendar(year, *(getattr(row, name) for name in FIELDS), theme_vi=row.theme_vi or "",
                        theme_en=row.theme_en or "", stored=True)


def problems(campaign: Campaign, cal: YearCalendar) -> list[str]:
    """What is wrong with the dates (message ids), empty when they can be used."""
    found = []
    dates = [getattr(cal, name) for name in FIELDS if getattr(cal, name) is not None]
    if any(day.year != cal.year for day in dates):
        found.append(N_("Every date must fall in the year being edited."))
    if cal.week_end < cal.week_start:
        found.append(N_("The DX week must end on or after the day it starts."))
    if cal.period_end < cal.period_start:
        found.append(N_("The communication period must end on or after the day it starts."))
    if cal.department_deadline is not None:
        if cal.deadline >= cal.department_deadline:
            found.append(N_("The teams' deadline must come before the department's deadline."))
        elif any(cal.deadline + timedelta(days=d) >= cal.department_deadline
                 for d in campaign.reminders.escalate_after_days):
            found.append(N_("Leave more days between the teams' deadline and the department's: the reminders to "
                            "late teams must all come before the department's deadline."))
    if not cal.theme_vi.strip() and cal.theme_en.strip():
        found.append(N_("Give the theme in Vietnamese too (the English one alone is not enough)."))
    return found


async def save(session: AsyncSession, campaign: Campaign, cal: YearCalendar, *, by: str,
               now: datetime) -> CampaignCalendar:
    """Store the year's calendar (replacing what was there); `BadCalendar` when the dates are out of order."""
    found = problems(campaign, cal)
    if found:
        raise BadCalendar(found)
    row = await _row(session, campaign.id, cal.year) or CampaignCalendar(campaign=campaign.id, year=cal.year)
    for name in FIELDS:
        setattr(row, name, getattr(cal, name))
    row.theme_vi, row.theme_en = cal.theme_vi.strip() or None, cal.theme_en.strip() or None
    row.updated_at, row.updated_by = now, by[:80]
    session.add(row)
    await session.flush()
    return row


def apply(campaign: Campaign, cal: YearCalendar) -> Campaign:
    """The campaign with the year's dates in place of the file's usual ones."""
    anchor = campaign.anchor.on(cal.year)

    def day(value: date) -> MonthDay:
        return MonthDay(value.month, value.day)

    department = day(cal.department_deadline) if cal.department_deadline else campaign.department_deadline
    return replace(campaign, week=(day(cal.week_start), day(cal.week_end)), period_start=day(cal.period_start),
                   period_end=day(cal.period_end), deadline_offset_days=(cal.deadline - anchor).days,
                   department_deadline=department)


async def resolve(session: AsyncSession, campaign, year: int | None, theme: dict | None) -> tuple[object, dict | None]:
    """(campaign, theme) for arming or planning `year`: the stored calendar's dates, and its theme unless given."""
    if not isinstance(campaign, Campaign) or year is None:
        return campaign, theme
    cal = await year_calendar(session, campaign, year)
    if not cal.stored:
        return campaign, theme
    return apply(campaign, cal), theme or cal.theme
