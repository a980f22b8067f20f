"""Recurring campaigns: the department's weekly bulletin, monthly digest … as campaign files.

A recurring campaign file has `recurring:` (a schedule rule) instead of an
anchor day, and `messages:` sent in turn, one per firing:

    id: weekly-bulletin
    name: {vi: …, en: …}
    recurring: {every: weekly, days: [mon], time: "08:00"}
    audience: {levels: [...], roles: [...]}
    figures: previous_month        # optional: fill {month} {reports} {people} {teams_reported} {teams_total}
    messages:
      - {guide: vneid-level2, text: {vi: …, en: …}}

A reporting period has `reminders:` (as in a yearly campaign) instead of
`audience:` and `messages:`; `recurring:` is then the teams' report deadline:
monthly (a day of the month after the calendar month), quarterly (a day of the
month after the quarter) or yearly (a date of the year reported on). Every
reminder and escalation must fall on day 1 to 28 of the deadline's month, and
an optional `department_deadline:` (a day of that month, or for a yearly one a
date) must come after the teams' deadline and after every escalation:

    recurring: {every: quarterly, day: 10, time: "23:59"}
    department_deadline: 15
    reminders: {before_deadline_days: [3, 1], escalate_after_days: [1, 3], escalate_to: [...], text: …}
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.campaign_checks import _Checker, _guide, _parse_reminders
from bot.services.campaign_model import Audience, Reminders
from bot.services.schedule_rules import BadRule, Rule, parse_day_month

FIGURES = ("previous_month",)
FIGURE_PLACEHOLDERS = frozenset({"month", "reports", "people", "teams_reported", "teams_total"})
# a reminder's text may name its period and the deadline: {month} 10/2027, {quarter} Quý IV/2026, {year} 2026
PERIOD_PLACEHOLDERS = {"monthly": frozenset({"month", "deadline"}), "quarterly": frozenset({"quarter", "deadline"}),
                       "yearly": frozenset({"year", "deadline"})}
AFTER_PERIOD = {"monthly": "the month after the period", "quarterly": "the month after the quarter",
                "yearly": "the deadline's month"}
LAST_STEP_DAY = 28  # every month has it, so a step's day never moves
_KEYS = {"id", "name", "recurring", "audience", "channels", "figures", "messages", "reminders", "department_deadline"}


@dataclass(frozen=True)
class RecurringMessage:
    text: Mapping[str, str]
    guide: str | None = None


@dataclass(frozen=True)
class RecurringCampaign:
    """A campaign on a rule (no anchor day): one schedule whose messages take turns."""

    id: str
    name: Mapping[str, str]
    rule: Rule
    audience: Audience
    channels: tuple[str, ...]
    figures: str | None
    messages: tuple[RecurringMessage, ...]
    path: Path
    reminders: Reminders | None = None  # a reporting period: `rule` is the teams' deadline
    department_deadline: int | tuple[int, int] | None = None  # day of the deadline's month; yearly: (month, day)


def _texts(ck: _Checker, value: Any, where: str, figures: bool) -> dict[str, str] | None:
    """Texts per language; the only placeholders allowed are the figures' (when the campaign has figures)."""
    result = ck.texts(value, where, placeholders=False)
    allowed = FIGURE_PLACEHOLDERS if figures else frozenset()
    for lang, text in (result or {}).items():
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            ck.add(f"{where} ({lang}): broken braces: {exc}")
            return None
        for name in sorted(names - allowed):
            ck.add(f"{where} ({lang}): unknown placeholder {{{name}}} (allowed: "
                   f"{', '.join('{' + p + '}' for p in sorted(allowed)) or 'none'})")
    return result


def _messages(ck: _Checker, raw: Any, figures: bool, guide_ids: set[str] | None) -> list[RecurringMessage]:
    if not isinstance(raw, list) or not raw:
        ck.add("messages must be a non-empty list")
        return []
    out = []
    for n, item in enumerate(raw, 1):
        where = f"message {n}"
        if not isinstance(item, dict) or set(item) - {"text", "guide"}:
            ck.add(f"{where} must be {{text: {{vi, en}}, guide: id}}")
            continue
        text = _texts(ck, item.get("text"), f"{where}.text", figures)
        guide = _guide(item, where, ck, guide_ids)
        if text is not None:
            out.append(RecurringMessage(text, guide))
    return out


def parse_recurring(raw: dict, ck: _Checker, guide_ids: set[str] | None) -> RecurringCampaign | None:
    """Read a recurring campaign's mapping, adding problems to `ck`; None when unusable."""
    for key in sorted(set(raw) - _KEYS, key=str):
        ck.add(f"unknown key {key!r}")
    campaign_id = raw.get("id")
    if not isinstance(campaign_id, str) or campaign_id != ck.path.stem:
        ck.add(f"id {campaign_id!r} must be the file name '{ck.path.stem}'")
    name = ck.texts(raw.get("name"), "name", placeholders=False)
    rule = None
    try:
        rule = Rule.from_dict(raw.get("recurring") if isinstance(raw.get("recurring"), dict) else {})
        if rule.every == "once":
            ck.add("recurring: a recurring campaign cannot be 'once'")
    except (BadRule, KeyError, TypeError, ValueError) as exc:
        ck.add(f"recurring: {exc}")
    if "reminders" in raw:
        return _reporting(raw, ck, guide_ids, campaign_id, name, rule)
    audience = ck.audience(raw.get("audience"), "audience")
    channels = ck.channels(raw.get("channels", "all"), "channels")
    figures = raw.get("figures")
    if figures is not None and figures not in FIGURES:
        ck.add(f"figures {figures!r} must be one of: {', '.join(FIGURES)}")
    messages = _messages(ck, raw.get("messages"), figures is not None, guide_ids)
    if ck.problems or None in (name, rule, audience, channels):
        return None
    return RecurringCampaign(campaign_id, name, rule, audience, channels, figures, tuple(messages), ck.path)


def _reporting(raw: dict, ck: _Checker, guide_ids: set[str] | None, campaign_id: str, name: dict | None,
               rule: Rule | None) -> RecurringCampaign | None:
    """A reporting period: reminders before its teams' deadline (`rule`), escalations after it."""
    for key in sorted({"audience", "channels", "figures", "messages"} & set(raw)):
        ck.add(f"{key!r} does not go with 'reminders' (the reminders have their own audience and text)")
    every = rule.every if rule is not None and rule.every in PERIOD_PLACEHOLDERS else "monthly"
    rem = _parse_reminders(raw["reminders"], ck, guide_ids, placeholders=PERIOD_PLACEHOLDERS[every])
    department = None
    if rule is not None and rule.every not in PERIOD_PLACEHOLDERS:
        ck.add('recurring: reminders need a monthly, quarterly or yearly deadline, e.g. '
               '{every: monthly, day: 5, time: "23:59"}')
    elif rule is not None and rem is not None:
        day = rule.month_day[1] if every == "yearly" else rule.day
        first = day - max(rem.before_deadline_days, default=0)
        last = day + max(rem.escalate_after_days, default=0)
        if first < 1 or last > LAST_STEP_DAY:
            ck.add(f"reminders: every step must fall on day 1 to {LAST_STEP_DAY} of {AFTER_PERIOD[every]} "
                   f"(these fall on day {first} to {last})")
        department = _department(raw.get("department_deadline"), ck, rule, last)
    if ck.problems or None in (name, rule, rem):
        return None
    return RecurringCampaign(campaign_id, name, rule, rem.audience, rem.channels, None, (), ck.path, reminders=rem,
                             department_deadline=department)


def _department(raw: Any, ck: _Checker, rule: Rule, last_step: int) -> int | tuple[int, int] | None:
    """The department's own deadline to the province: after the teams' deadline and every escalation."""
    if raw is None:
        return None
    yearly = rule.every == "yearly"
    try:
        department = parse_day_month(str(raw)) if yearly else raw
    except BadRule as exc:
        ck.add(f"department_deadline: {exc}")
        return None
    if not yearly and not (isinstance(raw, int) and 1 <= raw <= 31):
        ck.add("department_deadline must be a day of the deadline's month, from 1 to 31")
        return None
    teams = rule.month_day if yearly else rule.day
    steps_end = (teams[0], last_step) if yearly else last_step
    if department <= teams:
        ck.add(f"department_deadline {raw} must come after the teams' deadline "
               f"({rule.to_dict().get('date', rule.day)}): teams report first, then the department")
    elif department <= steps_end:
        ck.add(f"department_deadline {raw} must come after the last escalation (day {last_step})")
    return department
