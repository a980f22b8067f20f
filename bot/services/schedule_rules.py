"""When a schedule is due: one-shot and recurring rules in local time, quiet hours, the grace period.

Rules are stored as small JSON dicts on the schedule row and computed here
from any given instant, never from the server's own time zone, so tests and
servers in UTC get the same answers as a phone in Quảng Ngãi.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import LOCAL_TZ

EVERY = ("once", "daily", "weekly", "monthly", "yearly")  # what staff may pick for a broadcast
RULES = (*EVERY, "quarterly")  # quarterly: a reporting deadline in the first month of each quarter
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[-/](\d{1,2})$")
_SEARCH_DAYS = 800  # longer than any gap between two occurrences (29 February aside, which falls back)


class BadRule(ValueError):
    """A schedule rule that cannot be used; the message says which part."""


def parse_time(value: str) -> time:
    match = _TIME.match(value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BadRule(f"{value!r} is not a time of day like 08:00")
    return time(int(match[1]), int(match[2]))


def parse_day_month(value: str) -> tuple[int, int]:
    """'10-10' or '15/09' (day first, as dates are written in Vietnam) → (month, day)."""
    match = _DAY_MONTH.match(value.strip())
    if not match:
        raise BadRule(f"{value!r} is not a day-month like 15-09")
    day, month = int(match[1]), int(match[2])
    try:
        date(2024, month, day)
    except ValueError:
        raise BadRule(f"{value!r} is not a day of the year") from None
    return month, day


@dataclass(frozen=True)
class Rule:
    """once at a local datetime, or every day / chosen weekdays / month day / year day at a local time."""

    every: str
    at: datetime | None = None  # once: aware, local
    time: time | None = None
    days: tuple[int, ...] = ()  # weekly: 0 = Monday
    day: int | None = None  # monthly, quarterly: day of month (31 = the month's last day in shorter months)
    month_day: tuple[int, int] | None = None  # yearly: (month, day)

    @classmethod
    def from_dict(cls, raw: dict, tz: ZoneInfo = LOCAL_TZ) -> Rule:
        every = raw.get("every")
        if every not in RULES:
            raise BadRule(f"every must be one of {', '.join(RULES)}")
        if every == "once":
            return cls("once", at=datetime.fromisoformat(raw["at"]).replace(tzinfo=tz))
        rule = cls(every, time=parse_time(raw.get("time") or ""),
                   days=tuple(WEEKDAYS.index(d) for d in raw.get("days", []) if d in WEEKDAYS),
                   day=raw.get("day"), month_day=parse_day_month(raw["date"]) if raw.get("date") else None)
        if every == "weekly" and (not rule.days or len(rule.days) != len(raw.get("days", []))):
            raise BadRule(f"weekly needs days from {', '.join(WEEKDAYS)}")
        if every in ("monthly", "quarterly") and not (isinstance(rule.day, int) and 1 <= rule.day <= 31):
            raise BadRule(f"{every} needs a day of the month from 1 to 31")
        if every == "yearly" and rule.month_day is None:
            raise BadRule("yearly needs a date like 10-10")
        return rule

    def to_dict(self) -> dict:
        if self.every == "once":
            return {"every": "once", "at": self.at.replace(tzinfo=None).isoformat(timespec="minutes")}
        raw: dict = {"every": self.every, "time": self.time.strftime("%H:%M")}
        if self.every == "weekly":
            raw["days"] = [WEEKDAYS[d] for d in self.days]
        if self.every in ("monthly", "quarterly"):
            raw["day"] = self.day
        if self.every == "yearly":
            raw["date"] = f"{self.month_day[1]:02d}-{self.month_day[0]:02d}"
        return raw

    def _matches(self, day: date) -> bool:
        if self.every == "weekly":
            return day.weekday() in self.days
        if self.every == "quarterly" and day.month % 3 != 1:  # January, April, July, October
            return False
        if self.every in ("monthly", "quarterly"):
            return day.day == min(self.day, calendar.monthrange(day.year, day.month)[1])
        if self.every == "yearly":
            month, mday = self.month_day
            last = calendar.monthrange(day.year, month)[1]
            return day.month == month and day.day == min(mday, last)
        return True

    def next_after(self, after: datetime, tz: ZoneInfo = LOCAL_TZ) -> datetime | None:
        """The first due time strictly after `after` (aware), or None when a one-shot rule has passed."""
        if self.every == "once":
            return self.at if self.at > after else None
        start = after.astimezone(tz).date()
        for offset in range(_SEARCH_DAYS):
            day = start + timedelta(days=offset)
            if self._matches(day):
                moment = datetime.combine(day, self.time, tzinfo=tz)
                if moment > after:
                    return moment
        return None

    def describe(self) -> str:
        """A short English line for staff (the CLI), e.g. 'weekly mon,thu 08:00'."""
        if self.every == "once":
            return f"once {self.at:%Y-%m-%d %H:%M}"
        extra = {"weekly": ",".join(WEEKDAYS[d] for d in self.days), "monthly": f"day {self.day}",
                 "quarterly": f"day {self.day}", "yearly": self.to_dict().get("date", "")}.get(self.every, "")
        return " ".join(p for p in (self.every, extra, f"{self.time:%H:%M}") if p)


@dataclass(frozen=True)
class Policy:
    """Quiet hours (no bulk sends inside; a send due then waits for their end) and the grace period."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    grace: timedelta = timedelta(hours=6)
    tz: ZoneInfo = LOCAL_TZ

    @classmethod
    def from_settings(cls, settings) -> Policy:
        return cls(parse_time(settings.quiet_start), parse_time(settings.quiet_end),
                   timedelta(hours=settings.schedule_grace_hours), settings.tz)

    def _quiet(self, moment: time) -> bool:
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        return start <= moment < end if start < end else moment >= start or moment < end

    def fire_time(self, due: datetime) -> datetime:
        """When a send due at `due` may go out: `due` itself, or the end of the quiet hours it falls in."""
        local = due.astimezone(self.tz)
        if not self._quiet(local.time().replace(tzinfo=None)):
            return due
        day = local.date() if local.time() < self.quiet_end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.quiet_end, tzinfo=self.tz)
