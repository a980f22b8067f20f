"""Campaign data types: what a parsed campaign file and its dated messages look like.

Kept apart from `campaigns` (reading and rendering) and `campaign_checks` (the
checked readers of each value) so both can use the types without importing
each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from bot.services.guides import Problem

ALL_LEVELS = "all"  # an audience's `levels: all`: every level of the tree (else a list of kinds from kinds.yaml)
# who an escalation step tells about a missing team: its leaders, the officers one or two levels above its unit,
# the officers of the top of the tree (the province), or the admins; levels are the tree's, never named kinds
ESCALATION_TARGETS = ("leader", "officers_above", "officers_two_above", "top_officers", "admin")
PLACEHOLDERS = frozenset({"year", "theme", "anchor_date", "period_start", "period_end", "deadline", "week_start",
                          "week_end", "department_deadline"})
RELATIVE_TO = ("anchor", "deadline", "period_start", "period_end", "week_start", "week_end", "department_deadline")
ALL_CHANNELS = "all"
DATE_FORMAT = "%d/%m/%Y"


class ThemeMissing(ValueError):
    """The campaign's texts quote the year's theme, and none was given: ask for it, never make one up."""

    def __init__(self, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        super().__init__(f"{campaign_id} needs this year's theme")


class CampaignError(ValueError):
    """A campaign file that cannot be used; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int

    def on(self, year: int) -> date:
        """This day in `year`; 29 February becomes 28 February in a common year."""
        if self.month == 2 and self.day == 29:
            try:
                return date(year, 2, 29)
            except ValueError:
                return date(year, 2, 28)
        return date(year, self.month, self.day)


@dataclass(frozen=True)
class Audience:
    levels: tuple[str, ...]  # unit kinds; () for every level
    roles: tuple[str, ...]
    agencies: str | None = None  # a report duty's: "also" or "only" the agency branch (bot/services/agencies.py)


@dataclass(frozen=True)
class CampaignEvent:
    id: str
    at: MonthDay | None
    offset_days: int | None
    relative_to: str
    time: time
    audience: Audience
    channels: tuple[str, ...]  # ("all",) or channel names
    text: Mapping[str, str]
    guide: str | None = None


@dataclass(frozen=True)
class Reminders:
    before_deadline_days: tuple[int, ...]
    escalate_after_days: tuple[int, ...]
    escalate_to: tuple[str, ...]
    time: time
    audience: Audience
    channels: tuple[str, ...]
    text: Mapping[str, str] | None
    guide: str | None = None


@dataclass(frozen=True)
class Campaign:
    id: str
    name: Mapping[str, str]
    anchor: MonthDay
    period_start: MonthDay
    period_end: MonthDay
    deadline_offset_days: int
    reminders: Reminders
    events: tuple[CampaignEvent, ...]
    path: Path
    week: tuple[MonthDay, MonthDay] | None = None  # the province's DX week; None: the seven days ending on the anchor
    department_deadline: MonthDay | None = None  # when the department reports on to the province

    @property
    def uses_theme(self) -> bool:
        """Whether any text quotes {theme}, so arming needs the year's theme."""
        texts = [t for e in self.events for t in e.text.values()] + list((self.reminders.text or {}).values())
        return any("{theme}" in t for t in texts)


@dataclass(frozen=True)
class CampaignDates:
    """A campaign's key dates in one year."""

    year: int
    anchor_date: date
    period_start: date
    period_end: date
    deadline: date  # the teams'
    week_start: date  # the province's DX week
    week_end: date
    department_deadline: date | None  # the department's, to the province: after the teams'
    reminder_dates: tuple[date, ...]  # report reminders before the deadline
    escalations: tuple[tuple[date, str], ...]  # (day, who to tell) when a team has not reported

    def placeholders(self) -> dict[str, str]:
        return {
            "year": str(self.year),
            "anchor_date": self.anchor_date.strftime(DATE_FORMAT),
            "period_start": self.period_start.strftime(DATE_FORMAT),
            "period_end": self.period_end.strftime(DATE_FORMAT),
            "deadline": self.deadline.strftime(DATE_FORMAT),
            "week_start": self.week_start.strftime(DATE_FORMAT),
            "week_end": self.week_end.strftime(DATE_FORMAT),
            "department_deadline": (self.department_deadline or self.deadline).strftime(DATE_FORMAT),
        }


@dataclass(frozen=True)
class PlannedEvent:
    event_id: str
    when: datetime  # aware, Asia/Ho_Chi_Minh
    audience: Audience
    channels: tuple[str, ...]
    guide: str | None
    text: dict[str, str]  # {"vi": ..., "en": ...}
    kind: str = "event"  # "event" or "reminder"
