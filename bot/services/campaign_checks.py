"""Reading campaign values with checks: every problem is collected, none raises.

`_Checker` reads one value at a time (a day, a time, texts per language, an
audience) and notes what is wrong; `_parse_period`, `_parse_deadline`,
`_parse_week`, `_parse_events` and `_parse_reminders` read a whole section
with it. `campaigns.parse_campaign` puts the sections together.
"""

from __future__ import annotations

import re
import string
from datetime import date, time
from pathlib import Path
from typing import Any

from bot.services.access import Role
from bot.services.agencies import ALSO, ONLY
from bot.services.campaign_model import (
    ALL_CHANNELS,
    ALL_LEVELS,
    ESCALATION_TARGETS,
    PLACEHOLDERS,
    RELATIVE_TO,
    Audience,
    CampaignEvent,
    MonthDay,
    Reminders,
)
from bot.services.guides import LANGS, Problem
from bot.services.unit_kinds import load_kinds

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
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

    def texts(self, value: Any, where: str, placeholders: bool | frozenset[str] = True) -> dict[str, str] | None:
        """Texts per language; placeholders checked against a yearly campaign's (True), a given set, or not (False)."""
        allowed = PLACEHOLDERS if placeholders is True else placeholders
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
            if allowed is not False:
                try:
                    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
                except ValueError as exc:
                    self.add(f"{where} ({lang}): broken braces: {exc}")
                    continue
                for name in sorted(names - allowed):
                    listed = ", ".join("{" + p + "}" for p in sorted(allowed)) or "none"
                    self.add(f"{where} ({lang}): unknown placeholder {{{name}}} (allowed: {listed})")
        for lang in sorted(set(value) - set(LANGS), key=str):
            self.add(f"{where}: unknown language {lang!r}")
        return result if len(result) == len(LANGS) else None

    def audience(self, value: Any, where: str, duty: bool = False) -> Audience | None:
        """Levels and roles; a report duty's (`duty`) may also name the agencies: `agencies: also` or `only`."""
        if not isinstance(value, dict) or set(value) - {"levels", "roles", *(["agencies"] * duty)}:
            self.add(f"{where} must be {{levels: [...], roles: [...]{', agencies: also | only' * duty}}}")
            return None
        if value.get("agencies", ALSO) not in (ALSO, ONLY):
            self.add(f"{where}.agencies must be also (the agencies as well) or only (the agencies alone)")
            return None
        out = []
        for key, known in (("levels", tuple(load_kinds())), ("roles", tuple(Role))):
            items = value.get(key)
            if key == "levels" and items == ALL_LEVELS:
                out.append(())
                continue
            if not isinstance(items, list) or not items:
                self.add(f"{where}.{key} must be a non-empty list" + (" or 'all'" if key == "levels" else ""))
                return None
            for item in items:
                if item not in known:
                    self.add(f"{where}: unknown {key[:-1]} {item!r} (expected one of: {', '.join(known)})")
            out.append(tuple(items))
        return Audience(levels=out[0], roles=out[1], agencies=value.get("agencies"))

    def channels(self, value: Any, where: str) -> tuple[str, ...] | None:
        if value == ALL_CHANNELS:
            return (ALL_CHANNELS,)
        if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(value)
        self.add(f"{where} must be 'all' or a list of channel names")
        return None


def _parse_span(value: Any, ck: _Checker, where: str) -> tuple[MonthDay, MonthDay] | None:
    """A span of days (the communication period, the DX week): its first and last day."""
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        ck.add(f"{where} must be {{start: {{month, day}}, end: {{month, day}}}}")
        return None
    start, end = ck.month_day(value["start"], f"{where}.start"), ck.month_day(value["end"], f"{where}.end")
    return (start, end) if start is not None and end is not None else None


def _parse_period(value: Any, ck: _Checker) -> tuple[MonthDay, MonthDay] | None:
    """The communication period around the anchor day: its first and last day."""
    return _parse_span(value, ck, "period")


def _parse_week(value: Any, ck: _Checker) -> tuple[MonthDay, MonthDay] | None:
    """The province's DX week (its dates change from year to year; the file holds the usual ones)."""
    return _parse_span(value, ck, "dx_week")


def _parse_deadline(value: Any, ck: _Checker) -> int | None:
    """The teams' report deadline, as days after the anchor day."""
    if not isinstance(value, dict) or set(value) != {"offset_days"}:
        ck.add("report_deadline must be {offset_days: N}")
        return None
    return ck.integer(value["offset_days"], "report_deadline.offset_days")


def _parse_events(raw: dict[Any, Any], ck: _Checker, guide_ids: set[str] | None) -> list[CampaignEvent]:
    """The events that read cleanly; an id used twice is reported, as schedules key on it."""
    raw_events = raw.get("events")
    if "events" in raw and (not isinstance(raw_events, list) or not raw_events):
        ck.add("events must be a non-empty list")
        raw_events = []
    events: list[CampaignEvent] = []
    seen: set[str] = set()
    for n, raw_event in enumerate(raw_events or [], 1):
        event_id = raw_event.get("id") if isinstance(raw_event, dict) else None
        if isinstance(event_id, str):
            if event_id in seen:
                ck.add(f"duplicate event id '{event_id}'")
            seen.add(event_id)
        event = _parse_event(raw_event, n, ck, guide_ids)
        if event is not None:
            events.append(event)
    return events


def _parse_event(raw: Any, n: int, ck: _Checker, guide_ids: set[str] | None) -> CampaignEvent | None:
    if not isinstance(raw, dict):
        ck.add(f"event {n} must be a mapping")
        return None
    event_id = raw.get("id")
    where = f"event '{event_id}'" if isinstance(event_id, str) else f"event {n}"
    if not isinstance(event_id, str) or not ID_RE.match(event_id):
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


def _parse_reminders(raw: Any, ck: _Checker, guide_ids: set[str] | None,
                     placeholders: frozenset[str] = PLACEHOLDERS) -> Reminders | None:
    """The reminders section; `placeholders` are those its text may use (a monthly period has its own)."""
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
        raw.get("audience", {"levels": ALL_LEVELS, "roles": ["member", "leader"]}), "reminders.audience", duty=True
    )
    channels = ck.channels(raw.get("channels", ALL_CHANNELS), "reminders.channels")
    text = None
    if before or "text" in raw:
        text = ck.texts(raw.get("text"), "reminders.text", placeholders=placeholders)
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
