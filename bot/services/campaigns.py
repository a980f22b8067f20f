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

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.clock import LOCAL_TZ
from bot.services.campaign_checks import (
    ID_RE,
    _Checker,
    _parse_deadline,
    _parse_defaults,
    _parse_events,
    _parse_period,
    _parse_reminders,
)
from bot.services.campaign_model import (
    Campaign,
    CampaignDates,
    CampaignError,
    CampaignEvent,
    MonthDay,
    PlannedEvent,
    Reminders,
)
from bot.services.guides import CONTENT_ROOT, LANGS, Problem
from bot.services.recurring import parse_recurring

_REQUIRED_KEYS = ("id", "name", "anchor", "period", "report_deadline", "defaults", "events")
_TOP_KEYS = {*_REQUIRED_KEYS, "reminders"}


# --------------------------------------------------------------------------- parsing


def _load_raw(path: Path, ck: _Checker) -> dict[Any, Any] | None:
    """The file's YAML mapping, or None once the reason it cannot be used is noted."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        ck.add(f"cannot read the file: {exc}")
        return None
    except yaml.YAMLError as exc:
        ck.add(f"not valid YAML: {exc}")
        return None
    if not isinstance(raw, dict):
        ck.add("a campaign file must be a mapping of keys to values")
        return None
    return raw


def _check_top_keys(raw: dict[Any, Any], ck: _Checker) -> None:
    """Note missing and unknown top-level keys first, so an editor fixes the file's shape before its values."""
    for key in _REQUIRED_KEYS:
        if key not in raw:
            ck.add(f"missing '{key}'")
    for key in sorted(set(raw) - _TOP_KEYS, key=str):
        ck.add(f"unknown key {key!r}")


def _check_campaign_id(value: Any, ck: _Checker) -> str | None:
    """The id names the campaign in commands and schedules, so it is kebab-case and matches the file name."""
    if not isinstance(value, str) or not ID_RE.match(value):
        ck.add(f"id {value!r} must be kebab-case")
        return None
    if value != ck.path.stem:
        ck.add(f"id '{value}' differs from the file name '{ck.path.stem}'")
    return value


# Each top-level section that is present is read by its function, in this order; a campaign needs them all.
_SECTIONS: dict[str, Callable[[Any, _Checker], Any]] = {
    "id": _check_campaign_id,
    "name": lambda value, ck: ck.texts(value, "name", placeholders=False),
    "anchor": lambda value, ck: ck.month_day(value, "anchor"),
    "period": _parse_period,
    "report_deadline": _parse_deadline,
    "defaults": _parse_defaults,
}


def _build_campaign(
    sections: dict[str, Any], reminders: Reminders, events: list[CampaignEvent], path: Path
) -> Campaign:
    """The campaign from its sections, once every one of them has been read without a problem."""
    period_start, period_end = sections["period"]
    return Campaign(
        id=sections["id"],
        name=sections["name"],
        anchor=sections["anchor"],
        period_start=period_start,
        period_end=period_end,
        deadline_offset_days=sections["report_deadline"],
        default_theme=sections["defaults"],
        reminders=reminders,
        events=tuple(events),
        path=path,
    )


def parse_campaign(path: Path, guide_ids: Iterable[str] | None = None) -> tuple[Any, list[Problem]]:
    """Read one campaign file: the campaign (None if unusable) and the problems found.

    A file with `recurring:` gives a `bot.services.recurring.RecurringCampaign` instead of a `Campaign`.

    `guide_ids`, when given, is the set of known guides that events may open.
    """
    ck = _Checker(path)
    ids = set(guide_ids) if guide_ids is not None else None
    raw = _load_raw(path, ck)
    if raw is None:
        return None, ck.problems
    if "recurring" in raw:  # a campaign on a rule (weekly bulletin, monthly digest …), not around an anchor day
        return parse_recurring(raw, ck, ids), ck.problems
    _check_top_keys(raw, ck)
    sections = {key: read(raw[key], ck) for key, read in _SECTIONS.items() if key in raw}
    reminders = _parse_reminders(raw.get("reminders", {}), ck, ids)
    events = _parse_events(raw, ck, ids)
    complete = len(sections) == len(_SECTIONS) and all(value is not None for value in sections.values())
    if ck.problems or not complete or reminders is None:
        return None, ck.problems
    return _build_campaign(sections, reminders, events, path), ck.problems


def _guide_ids_near(root: Path) -> set[str]:
    """Ids of the guides in the `guides/` folder beside `root`, from their file names."""
    guides = Path(root).parent / "guides"
    return {p.name.split(".", 1)[0] for p in guides.glob("*.md")} if guides.is_dir() else set()


def load_campaign(campaign_id: str, root: Path = CONTENT_ROOT / "campaigns") -> Any:
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
            when=datetime.combine(_event_date(event, dates), event.time, tzinfo=LOCAL_TZ),
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
                    when=datetime.combine(day, rem.time, tzinfo=LOCAL_TZ),
                    audience=rem.audience,
                    channels=rem.channels,
                    guide=rem.guide,
                    text=_fill(rem.text, values),
                    kind="reminder",
                )
            )
    planned.sort(key=lambda p: (p.when, p.event_id))
    return planned
