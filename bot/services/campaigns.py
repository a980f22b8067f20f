"""Yearly campaigns as data: load, check and render them into dated messages.

A campaign file (`content/campaigns/<id>.yaml`) describes a yearly rhythm
around one anchor day (for National Digital Transformation Day, 10 October):
the communication period around it, the report deadline, reminders before
the deadline, whom to tell when a team is late, and the messages to send.
`render(campaign, year)` turns it into `PlannedEvent`s with local times for a
given year, which the scheduler then sends.

Event dates are either a fixed day (`at: {month, day}`) or `offset_days`
from the anchor (or, with `relative_to`, from another of the campaign's dates:
the province's `dx_week`, the teams' deadline, the department's own
`department_deadline`, which the teams' deadline and escalations must precede).
Texts may use the placeholders in `PLACEHOLDERS`; dates render as dd/mm/yyyy.
The year's theme has no default: `render` raises `ThemeMissing` without one.
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
    _parse_events,
    _parse_period,
    _parse_reminders,
    _parse_week,
)
from bot.services.campaign_model import (
    Campaign,
    CampaignDates,
    CampaignError,
    CampaignEvent,
    MonthDay,
    PlannedEvent,
    Reminders,
    ThemeMissing,
)
from bot.services.guides import CONTENT_ROOT, LANGS, Problem
from bot.services.recurring import parse_recurring

_REQUIRED_KEYS = ("id", "name", "anchor", "period", "report_deadline", "events")
_TOP_KEYS = {*_REQUIRED_KEYS, "reminders", "dx_week", "department_deadline"}
_NO_DEFAULT_THEME = "'defaults' is not read any more: no plan uses a made-up theme; give the year's theme when arming"
_CHECK_YEARS = (2027, 2028)  # a common and a leap year: the calendar's order must hold in both


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
        ck.add(_NO_DEFAULT_THEME if key == "defaults" else f"unknown key {key!r}")


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
}
_OPTIONAL_SECTIONS: dict[str, Callable[[Any, _Checker], Any]] = {
    "dx_week": _parse_week,
    "department_deadline": lambda value, ck: ck.month_day(value, "department_deadline"),
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
        reminders=reminders,
        events=tuple(events),
        path=path,
        week=sections.get("dx_week"),
        department_deadline=sections.get("department_deadline"),
    )


def _order_problems(campaign: Campaign) -> list[str]:
    """The teams report before the department has to, and every escalation still comes before that."""
    problems: list[str] = []
    for year in _CHECK_YEARS:
        dates = campaign_dates(campaign, year)
        if dates.week_end < dates.week_start:
            problems.append(f"dx_week ends ({dates.week_end:%d/%m}) before it starts ({dates.week_start:%d/%m})")
        due = dates.department_deadline
        if due is None:
            continue
        if dates.deadline >= due:
            problems.append(f"the teams' report deadline ({dates.deadline:%d/%m}) must come before the department's "
                            f"deadline ({due:%d/%m}): lower report_deadline.offset_days")
        late = [f"{day:%d/%m} ({who})" for day, who in dates.escalations if day >= due]
        if late:
            problems.append(f"escalations on or after the department's deadline ({due:%d/%m}): {', '.join(late)}")
    return list(dict.fromkeys(problems))


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
    sections = {key: read(raw[key], ck) for key, read in {**_SECTIONS, **_OPTIONAL_SECTIONS}.items() if key in raw}
    reminders = _parse_reminders(raw.get("reminders", {}), ck, ids)
    events = _parse_events(raw, ck, ids)
    complete = all(sections.get(key) is not None for key in _SECTIONS) and None not in sections.values()
    if ck.problems or not complete or reminders is None:
        return None, ck.problems
    campaign = _build_campaign(sections, reminders, events, path)
    for message in _order_problems(campaign):
        ck.add(message)
    return (None if ck.problems else campaign), ck.problems


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
    week = (_nearest(campaign.week[0], anchor), _nearest(campaign.week[1], anchor)) if campaign.week else (
        anchor - timedelta(days=6), anchor)
    department = _nearest(campaign.department_deadline, anchor) if campaign.department_deadline else None
    return CampaignDates(
        year=year,
        anchor_date=anchor,
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        week_start=week[0],
        week_end=week[1],
        department_deadline=department,
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
        "week_end": dates.week_end,
        "department_deadline": dates.department_deadline or dates.deadline,
    }[event.relative_to]
    return base + timedelta(days=event.offset_days or 0)


def _fill(texts: Mapping[str, str], values: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    return {lang: texts[lang].format_map(values[lang]) for lang in LANGS}


def _theme_values(campaign: Campaign, theme: Mapping[str, str] | None, stand_in: str | None) -> dict[str, str]:
    """The year's theme per language (English falls back to the Vietnamese); `stand_in` for a draft plan."""
    given = {lang: text.strip() for lang, text in (theme or {}).items() if text and text.strip()}
    if "vi" not in given and campaign.uses_theme:
        if stand_in is None:
            raise ThemeMissing(campaign.id)
        return dict.fromkeys(LANGS, stand_in)
    return {lang: given.get(lang) or given.get("vi", "") for lang in LANGS}


def render(campaign: Campaign, year: int, theme: Mapping[str, str] | None = None,
           stand_in: str | None = None) -> list[PlannedEvent]:
    """The campaign's messages for `year`, with local times, sorted by time.

    `theme` ({"vi": ..., "en": ...}) is the year's national theme; English falls back to the Vietnamese.
    There is no default: without a theme `ThemeMissing` is raised, unless `stand_in` (a visible marker for
    a draft plan) is given. Report reminders before the deadline come out as events of kind "reminder";
    escalations depend on who has reported, so they are in `campaign_dates(...).escalations` instead.
    """
    dates = campaign_dates(campaign, year)
    common = dates.placeholders()
    themes = _theme_values(campaign, theme, stand_in)
    values = {lang: {**common, "theme": themes[lang]} for lang in LANGS}
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
