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
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.campaigns import Audience, _Checker
from bot.services.schedule_rules import BadRule, Rule

FIGURES = ("previous_month",)
FIGURE_PLACEHOLDERS = frozenset({"month", "reports", "people", "teams_reported", "teams_total"})
_KEYS = {"id", "name", "recurring", "audience", "channels", "figures", "messages"}


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
    from bot.services.campaigns import _guide

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
    audience = ck.audience(raw.get("audience"), "audience")
    channels = ck.channels(raw.get("channels", "all"), "channels")
    figures = raw.get("figures")
    if figures is not None and figures not in FIGURES:
        ck.add(f"figures {figures!r} must be one of: {', '.join(FIGURES)}")
    messages = _messages(ck, raw.get("messages"), figures is not None, guide_ids)
    if ck.problems or None in (name, rule, audience, channels):
        return None
    return RecurringCampaign(campaign_id, name, rule, audience, channels, figures, tuple(messages), ck.path)
