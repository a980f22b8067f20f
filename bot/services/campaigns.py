"""Yearly campaigns as data: load, check and render them into dated messages.

A campaign file (`content/campaigns/<id>.yaml`) describes a yearly rhythm
around one anchor day (for National Digital Transformation Day, 10 October):
the communication period around it, the report deadline, reminders before
the deadline, whom to tell when a team is late, and the messages to send.
`render(campaign, year)` turns it into `PlannedEvent`s with local times for a
given year, which the scheduler then sends.

Event dates are either a fixed day (`at: {month, day}`) or `offset_days`
from the anchor (or, with `relative_to`, from another of the campaign's dates).
Texts may use the placeholders in `PLACEHOLDERS`; dates render as dd/mm/yyyy.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.services.content import CONTENT_ROOT, LANGS, Problem

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LEVELS = ("village", "commune", "district", "province")  # same as bot.db.models.UNIT_KINDS
ROLES = ("member", "leader", "officer", "admin")  # same as bot.db.models.ROLES
ESCALATION_TARGETS = ("leader", "commune_officer", "district_officer", "province_officer", "admin")
PLACEHOLDERS = frozenset({"year", "theme", "anchor_date", "period_start", "period_end", "deadline", "week_start"})
RELATIVE_TO = ("anchor", "deadline", "period_start", "period_end", "week_start")
ALL_CHANNELS = "all"
DATE_FORMAT = "%d/%m/%Y"

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_TOP_KEYS = {"id", "name", "anchor", "period", "report_deadline", "defaults", "reminders", "events"}
_EVENT_KEYS = {"id", "at", "offset_days", "relative_to", "time", "audience", "channels", "text", "guide"}
_REMINDER_KEYS = {
    "before_deadline_days",
    "escalate_after_days",
    "escalate_to",
    "time",
    "audience",
    "channels",
    "text",
    "guide",
}


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
    levels: tuple[str, ...]
    roles: tuple[str, ...]


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
    default_theme: Mapping[str, str]
    reminders: Reminders
    events: tuple[CampaignEvent, ...]
    path: Path


@dataclass(frozen=True)
class CampaignDates:
    """A campaign's key dates in one year."""

    year: int
    anchor_date: date
    period_start: date
    period_end: date
    deadline: date
    week_start: date  # the seven days ending on the anchor day start here
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


# --------------------------------------------------------------------------- parsing


class _Checker:
    """Collects problems while reading one campaign file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, message: str) -> None:
        self.problems.append(Problem(self.path, message))

    def month_day(self, value: Any, where: str) -> MonthDay | None:
        if not isinstance(value, dict) or set(value) != {"month", "day"}:
            self.add(f"{where} must be {{month: M, day: D}}")
            return None
        month, day = value["month"], value["day"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (month, day)):
            self.add(f"{where}: month and day must be whole numbers")
            return None
        try:
            date(2024, month, day)  # a leap year, so 29 February is allowed
        except ValueError:
            self.add(f"{where}: {day}/{month} is not a day of the year")
            return None
        return MonthDay(month, day)

    def integer(self, value: Any, where: str) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(f"{where} must be a whole number, not {value!r}")
            return None
        return value

    def int_list(self, value: Any, where: str, positive: bool = True) -> tuple[int, ...]:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self.add(f"{where} must be a list of whole numbers")
            return ()
        if positive and any(v <= 0 for v in value):
            self.add(f"{where} must hold numbers above 0")
        if len(set(value)) != len(value):
            self.add(f"{where} has the same number twice")
        return tuple(value)

    def clock(self, value: Any, where: str) -> time | None:
        if not isinstance(value, str):
            self.add(f'{where} must be a time like "08:00" in quotes, not {value!r}')
            return None
        m = _TIME_RE.match(value.strip())
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            self.add(f'{where} {value!r} is not a time of day like "08:00"')
            return None
        return time(int(m[1]), int(m[2]))

    def texts(self, value: Any, where: str, placeholders: bool = True) -> dict[str, str] | None:
        if not isinstance(value, dict):
            self.add(f"{where} must have a text per language ({', '.join(LANGS)})")
            return None
        result: dict[str, str] = {}
        for lang in LANGS:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.add(f"{where} is missing the '{lang}' text")
                continue
            result[lang] = text.strip()
            if placeholders:
                try:
                    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
                except ValueError as exc:
                    self.add(f"{where} ({lang}): broken braces: {exc}")
                    continue
                for name in sorted(names):
                    if name not in PLACEHOLDERS:
                        allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
                        self.add(f"{where} ({lang}): unknown placeholder {{{name}}} (allowed: {allowed})")
        for lang in sorted(set(value) - set(LANGS), key=str):
            self.add(f"{where}: unknown language {lang!r}")
        return result if len(result) == len(LANGS) else None

    def audience(self, value: Any, where: str) -> Audience | None:
        if not isinstance(value, dict) or set(value) - {"levels", "roles"}:
            self.add(f"{where} must be {{levels: [...], roles: [...]}}")
            return None
        out = []
        for key, known in (("levels", LEVELS), ("roles", ROLES)):
            items = value.get(key)
            if not isinstance(items, list) or not items:
                self.add(f"{where}.{key} must be a non-empty list")
                return None
            for item in items:
                if item not in known:
                    self.add(f"{where}: unknown {key[:-1]} {item!r} (expected one of: {', '.join(known)})")
            out.append(tuple(items))
        return Audience(levels=out[0], roles=out[1])

    def channels(self, value: Any, where: str) -> tuple[str, ...] | None:
        if value == ALL_CHANNELS:
            return (ALL_CHANNELS,)
        if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(value)
        self.add(f"{where} must be 'all' or a list of channel names")
        return None


def _parse_event(raw: Any, n: int, ck: _Checker, guide_ids: set[str] | None) -> CampaignEvent | None:
    if not isinstance(raw, dict):
        ck.add(f"event {n} must be a mapping")
        return None
    event_id = raw.get("id")
    where = f"event '{event_id}'" if isinstance(event_id, str) else f"event {n}"
    if not isinstance(event_id, str) or not _ID_RE.match(event_id):
        ck.add(f"{where}: id {event_id!r} must be kebab-case")
    for key in sorted(set(raw) - _EVENT_KEYS, key=str):
        ck.add(f"{where}: unknown key {key!r}")
    has_at, has_offset = "at" in raw, "offset_days" in raw
    at = offset = None
    if has_at and has_offset:
        ck.add(f"{where} has both 'at' and 'offset_days': give exactly one")
    elif not has_at and not has_offset:
        ck.add(f"{where} has neither 'at' nor 'offset_days': give exactly one")
    elif has_at:
        at = ck.month_day(raw["at"], f"{where}.at")
        if "relative_to" in raw:
            ck.add(f"{where}: 'relative_to' only goes with 'offset_days'")
    else:
        offset = ck.integer(raw["offset_days"], f"{where}.offset_days")
    relative_to = raw.get("relative_to", "anchor")
    if relative_to not in RELATIVE_TO:
        ck.add(f"{where}: relative_to {relative_to!r} must be one of: {', '.join(RELATIVE_TO)}")
    at_time = ck.clock(raw.get("time"), f"{where}.time")
    audience = ck.audience(raw.get("audience"), f"{where}.audience")
    channels = ck.channels(raw.get("channels", ALL_CHANNELS), f"{where}.channels")
    text = ck.texts(raw.get("text"), f"{where}.text")
    guide = _guide(raw, where, ck, guide_ids)
    if None in (at_time, audience, channels, text) or (at is None and offset is None):
        return None
    assert at_time is not None and audience is not None and channels is not None and text is not None
    return CampaignEvent(
        id=str(event_id),
        at=at,
        offset_days=offset,
        relative_to=relative_to if relative_to in RELATIVE_TO else "anchor",
        time=at_time,
        audience=audience,
        channels=channels,
        text=text,
        guide=guide,
    )


def _guide(raw: Any, where: str, ck: _Checker, guide_ids: set[str] | None) -> str | None:
    guide = raw.get("guide")
    if guide is None:
        return None
    if not isinstance(guide, str):
        ck.add(f"{where}.guide must be a guide id")
        return None
    if guide_ids is not None and guide not in guide_ids:
        ck.add(f"{where}: unknown guide '{guide}'")
    return guide


def _parse_reminders(raw: Any, ck: _Checker, guide_ids: set[str] | None) -> Reminders | None:
    if not isinstance(raw, dict):
        ck.add("'reminders' must be a mapping")
        return None
    for key in sorted(set(raw) - _REMINDER_KEYS, key=str):
        ck.add(f"reminders: unknown key {key!r}")
    before = ck.int_list(raw.get("before_deadline_days", []), "reminders.before_deadline_days")
    after = ck.int_list(raw.get("escalate_after_days", []), "reminders.escalate_after_days")
    to = raw.get("escalate_to", [])
    if not isinstance(to, list) or not all(isinstance(t, str) for t in to):
        ck.add("reminders.escalate_to must be a list")
        to = []
    for target in to:
        if target not in ESCALATION_TARGETS:
            ck.add(
                f"reminders.escalate_to: unknown target {target!r} (expected one of: {', '.join(ESCALATION_TARGETS)})"
            )
    if len(to) != len(after):
        ck.add("reminders: escalate_after_days and escalate_to must have the same length (one target per step)")
    if list(after) != sorted(after):
        ck.add("reminders.escalate_after_days must go up")
    at_time = ck.clock(raw.get("time", "08:00"), "reminders.time")
    audience = ck.audience(
        raw.get("audience", {"levels": list(LEVELS), "roles": ["member", "leader"]}), "reminders.audience"
    )
    channels = ck.channels(raw.get("channels", ALL_CHANNELS), "reminders.channels")
    text = None
    if before or "text" in raw:
        text = ck.texts(raw.get("text"), "reminders.text")
    guide = _guide(raw, "reminders", ck, guide_ids)
    if at_time is None or audience is None or channels is None:
        return None
    return Reminders(
        before_deadline_days=before,
        escalate_after_days=after,
        escalate_to=tuple(to),
        time=at_time,
        audience=audience,
        channels=channels,
        text=text,
        guide=guide,
    )


def parse_campaign(path: Path, guide_ids: Iterable[str] | None = None) -> tuple[Campaign | None, list[Problem]]:
    """Read one campaign file: the campaign (None if unusable) and the problems found.

    `guide_ids`, when given, is the set of known guides that events may open.
    """
    ck = _Checker(path)
    ids = set(guide_ids) if guide_ids is not None else None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        ck.add(f"cannot read the file: {exc}")
        return None, ck.problems
    except yaml.YAMLError as exc:
        ck.add(f"not valid YAML: {exc}")
        return None, ck.problems
    if not isinstance(raw, dict):
        ck.add("a campaign file must be a mapping of keys to values")
        return None, ck.problems
    for key in ("id", "name", "anchor", "period", "report_deadline", "defaults", "events"):
        if key not in raw:
            ck.add(f"missing '{key}'")
    for key in sorted(set(raw) - _TOP_KEYS, key=str):
        ck.add(f"unknown key {key!r}")

    campaign_id = raw.get("id")
    if "id" in raw and (not isinstance(campaign_id, str) or not _ID_RE.match(campaign_id)):
        ck.add(f"id {campaign_id!r} must be kebab-case")
    elif isinstance(campaign_id, str) and campaign_id != path.stem:
        ck.add(f"id '{campaign_id}' differs from the file name '{path.stem}'")
    name = ck.texts(raw.get("name"), "name", placeholders=False) if "name" in raw else None
    anchor = ck.month_day(raw.get("anchor"), "anchor") if "anchor" in raw else None
    start = end = None
    period = raw.get("period")
    if "period" in raw:
        if not isinstance(period, dict) or set(period) != {"start", "end"}:
            ck.add("period must be {start: {month, day}, end: {month, day}}")
        else:
            start = ck.month_day(period["start"], "period.start")
            end = ck.month_day(period["end"], "period.end")
    deadline_offset = None
    deadline = raw.get("report_deadline")
    if "report_deadline" in raw:
        if not isinstance(deadline, dict) or set(deadline) != {"offset_days"}:
            ck.add("report_deadline must be {offset_days: N}")
        else:
            deadline_offset = ck.integer(deadline["offset_days"], "report_deadline.offset_days")
    theme = None
    defaults = raw.get("defaults")
    if "defaults" in raw:
        if not isinstance(defaults, dict) or "theme" not in defaults:
            ck.add("defaults must have a 'theme' with a text per language")
        else:
            theme = ck.texts(defaults["theme"], "defaults.theme", placeholders=False)
            for key in sorted(set(defaults) - {"theme"}, key=str):
                ck.add(f"defaults: unknown key {key!r}")
    reminders = _parse_reminders(raw.get("reminders", {}), ck, ids)

    events: list[CampaignEvent] = []
    raw_events = raw.get("events")
    if "events" in raw and (not isinstance(raw_events, list) or not raw_events):
        ck.add("events must be a non-empty list")
        raw_events = []
    seen: set[str] = set()
    for n, raw_event in enumerate(raw_events or [], 1):
        event_id = raw_event.get("id") if isinstance(raw_event, dict) else None
        if isinstance(event_id, str):
            if event_id in seen:
                ck.add(f"duplicate event id '{event_id}'")
            seen.add(event_id)
        event = _parse_event(raw_event, n, ck, ids)
        if event is not None:
            events.append(event)

    usable = (name, anchor, start, end, deadline_offset, theme, reminders)
    if ck.problems or any(v is None for v in usable) or not isinstance(campaign_id, str):
        return None, ck.problems
    assert name is not None and anchor is not None and start is not None and end is not None
    assert deadline_offset is not None and theme is not None and reminders is not None
    campaign = Campaign(
        id=campaign_id,
        name=name,
        anchor=anchor,
        period_start=start,
        period_end=end,
        deadline_offset_days=deadline_offset,
        default_theme=theme,
        reminders=reminders,
        events=tuple(events),
        path=path,
    )
    return campaign, ck.problems


def _guide_ids_near(root: Path) -> set[str]:
    """Ids of the guides in the `guides/` folder beside `root`, from their file names."""
    guides = Path(root).parent / "guides"
    return {p.name.split(".", 1)[0] for p in guides.glob("*.md")} if guides.is_dir() else set()


def load_campaign(campaign_id: str, root: Path = CONTENT_ROOT / "campaigns") -> Campaign:
    """Load one campaign; raise `CampaignError` if its file is missing or has problems."""
    path = Path(root) / f"{campaign_id}.yaml"
    if not path.is_file():
        raise CampaignError([Problem(path, "campaign file not found")])
    campaign, problems = parse_campaign(path)
    if campaign is None or problems:
        raise CampaignError(problems or [Problem(path, "campaign cannot be read")])
    return campaign


def check_campaigns(root: Path = CONTENT_ROOT / "campaigns", guide_ids: Iterable[str] | None = None) -> list[Problem]:
    """Every problem in the campaign files under `root`.

    Guide ids named by events are checked against `guide_ids`, or when that is
    None against the guides in the `guides/` folder beside `root`.
    """
    root = Path(root)
    if not root.is_dir():
        return [Problem(root, "campaigns folder not found")]
    ids = set(guide_ids) if guide_ids is not None else _guide_ids_near(root)
    problems: list[Problem] = []
    for path in sorted(root.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.suffix != ".yaml":
            problems.append(Problem(path, "unexpected file in the campaigns folder (campaigns end in .yaml)"))
            continue
        problems.extend(parse_campaign(path, guide_ids=ids)[1])
    return problems


# --------------------------------------------------------------------------- rendering


def _nearest(day: MonthDay, anchor: date) -> date:
    """The date of `day` closest to `anchor` (so a period may cross New Year)."""
    return min((day.on(anchor.year + d) for d in (-1, 0, 1)), key=lambda c: abs((c - anchor).days))


def campaign_dates(campaign: Campaign, year: int) -> CampaignDates:
    """The campaign's key dates in `year` (the year of its anchor day)."""
    anchor = campaign.anchor.on(year)
    period_start = _nearest(campaign.period_start, anchor)
    period_end = _nearest(campaign.period_end, anchor)
    deadline = anchor + timedelta(days=campaign.deadline_offset_days)
    rem = campaign.reminders
    return CampaignDates(
        year=year,
        anchor_date=anchor,
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        week_start=anchor - timedelta(days=6),
        reminder_dates=tuple(deadline - timedelta(days=d) for d in rem.before_deadline_days),
        escalations=tuple(
            (deadline + timedelta(days=d), who) for d, who in zip(rem.escalate_after_days, rem.escalate_to, strict=True)
        ),
    )


def _event_date(event: CampaignEvent, dates: CampaignDates) -> date:
    if event.at is not None:
        return _nearest(event.at, dates.anchor_date)
    base = {
        "anchor": dates.anchor_date,
        "deadline": dates.deadline,
        "period_start": dates.period_start,
        "period_end": dates.period_end,
        "week_start": dates.week_start,
    }[event.relative_to]
    return base + timedelta(days=event.offset_days or 0)


def _fill(texts: Mapping[str, str], values: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    return {lang: texts[lang].format_map(values[lang]) for lang in LANGS}


def render(campaign: Campaign, year: int, theme: Mapping[str, str] | None = None) -> list[PlannedEvent]:
    """The campaign's messages for `year`, with local times, sorted by time.

    `theme` ({"vi": ..., "en": ...}) is the year's theme; a language it lacks
    falls back to the campaign's default theme. Report reminders before the
    deadline come out as events of kind "reminder"; escalations depend on who
    has reported, so they are in `campaign_dates(...).escalations` instead.
    """
    dates = campaign_dates(campaign, year)
    common = dates.placeholders()
    values = {
        lang: {**common, "theme": ((theme or {}).get(lang) or campaign.default_theme[lang]).strip()} for lang in LANGS
    }
    planned = [
        PlannedEvent(
            event_id=event.id,
            when=datetime.combine(_event_date(event, dates), event.time, tzinfo=TZ),
            audience=event.audience,
            channels=event.channels,
            guide=event.guide,
            text=_fill(event.text, values),
        )
        for event in campaign.events
    ]
    rem = campaign.reminders
    if rem.text is not None:
        for days, day in zip(rem.before_deadline_days, dates.reminder_dates, strict=True):
            planned.append(
                PlannedEvent(
                    event_id=f"report-reminder-d{days}",
                    when=datetime.combine(day, rem.time, tzinfo=TZ),
                    audience=rem.audience,
                    channels=rem.channels,
                    guide=rem.guide,
                    text=_fill(rem.text, values),
                    kind="reminder",
                )
            )
    planned.sort(key=lambda p: (p.when, p.event_id))
    return planned


__all__ = [
    "TZ",
    "Audience",
    "Campaign",
    "CampaignDates",
    "CampaignError",
    "CampaignEvent",
    "PlannedEvent",
    "campaign_dates",
    "check_campaigns",
    "load_campaign",
    "parse_campaign",
    "render",
]
