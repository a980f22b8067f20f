"""Difficulties and recommendations per unit and period: sent in chat, answered or corrected in the console.

A unit's officer answers for their unit (prefilled with what its team sent in chat); the department, or any
officer above the unit, sets the wording that goes into the results report. A stored answer replaces the
unit's chat answers of that kind in the report of the same period key (bot/services/document_data.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit, Team
from bot.db.reports import Report
from bot.db.written_parts import WrittenPart
from bot.i18n import N_
from bot.services import access, reports, rollup_scan
from bot.services.periods import Period
from bot.services.report_types import load_report_types

KINDS = ("difficulties", "recommendations")
KIND_NAMES = {"difficulties": N_("Difficulties and obstacles"), "recommendations": N_("Recommendations and proposals")}
MAX_TEXT = 2000
TOO_LONG = N_("Keep it under {n} characters.")


@dataclass(frozen=True)
class ChatText:
    """One chat answer: its text and the day it is about."""

    text: str
    day: date


@dataclass
class UnitParts:
    """One unit's written parts for a period: its chat answers and what was stored in the console, per kind."""

    unit: OrgUnit
    chat: dict[str, list[ChatText]] = field(default_factory=lambda: defaultdict(list))
    stored: dict[str, WrittenPart] = field(default_factory=dict)

    def answer(self, kind: str) -> str:
        """The unit's own answer: the stored one, else its chat answers one per line."""
        row = self.stored.get(kind)
        return row.answer if row is not None else "\n".join(c.text for c in self.chat.get(kind, []))

    def in_report(self, kind: str) -> str:
        """What the results report says for the unit: the department's wording, else the answer."""
        row = self.stored.get(kind)
        return row.wording if row is not None and row.wording else self.answer(kind)

    def sent(self) -> bool:
        """Whether the unit said anything at all for the period (either kind)."""
        return any(self.answer(kind).strip() for kind in KINDS)


def one_line(text: str) -> str:
    """The text on one line (the report's narrative is one paragraph per line)."""
    return " ".join(text.split())


def _types() -> dict[str, str]:
    """{report type id: kind} of the chat report types that carry difficulties or recommendations."""
    return {t.id: t.kind for t in load_report_types().values() if t.kind in KINDS}


async def chat_answers(session: AsyncSession, root: OrgUnit, period: Period, approved_only: bool = False,
                       unit_ids: list[int] | None = None) -> dict[int, dict[str, list[ChatText]]]:
    """{unit id: {kind: chat answers}} of the subtree's teams in the period (returned reports left out)."""
    types = _types()
    statuses = ("approved",) if approved_only else reports.COUNTED
    query = (select(Team.unit_id, Report.type_id, Report.note, Report.activity_date)
             .join(Team, Report.team_id == Team.id)
             .where(Report.unit_path.startswith(root.path), Report.type_id.in_(list(types)),
                    Report.activity_date >= period.start, Report.activity_date <= period.end,
                    Report.status.in_(statuses), Report.note.is_not(None))
             .order_by(Report.activity_date, Report.id))
    if unit_ids is not None:
        query = query.where(Team.unit_id.in_(unit_ids))
    found: dict[int, dict[str, list[ChatText]]] = defaultdict(lambda: defaultdict(list))
    for unit_id, type_id, note, day in (await session.execute(query)).all():
        if note.strip():
            found[unit_id][types[type_id]].append(ChatText(note.strip(), day))
    return found


async def stored(session: AsyncSession, root: OrgUnit, period_key: str) -> dict[int, dict[str, WrittenPart]]:
    """{unit id: {kind: stored part}} of the subtree for the period key."""
    query = (select(WrittenPart).join(OrgUnit, WrittenPart.unit_id == OrgUnit.id)
             .where(OrgUnit.path.startswith(root.path), WrittenPart.period == period_key))
    found: dict[int, dict[str, WrittenPart]] = defaultdict(dict)
    for row in (await session.execute(query)).scalars():
        found[row.unit_id][row.kind] = row
    return found


async def gathered(session: AsyncSession, root: OrgUnit, period: Period,
                   approved_only: bool = False) -> list[UnitParts]:
    """Every unit of the subtree that said something for the period, in tree order."""
    return (await gathered_many(session, root, [period], approved_only))[period.key]


async def gathered_many(session: AsyncSession, root: OrgUnit, periods: list[Period],
                        approved_only: bool = False) -> dict[str, list[UnitParts]]:
    """`gathered` for each period (by key), the chat answers of all of them read in one query (the year's duties)."""
    span = Period("", "dates", min(p.start for p in periods), max(p.end for p in periods), periods[0].deadline)
    await rollup_scan.tune(session)  # a plan for these dates: a generic one reads the year's reports slowly
    chat = await chat_answers(session, root, span, approved_only)
    rows = {p.key: await stored(session, root, p.key) for p in periods}
    ids = set(chat).union(*rows.values())
    units = list((await session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.path))).scalars())
    found = {}
    for p in periods:
        said = {unit_id: {kind: inside for kind, texts in kinds.items()
                          if (inside := [c for c in texts if p.start <= c.day <= p.end])}
                for unit_id, kinds in chat.items()}
        found[p.key] = [UnitParts(u, defaultdict(list, said.get(u.id, {})), rows[p.key].get(u.id, {}))
                        for u in units if said.get(u.id) or u.id in rows[p.key]]
    return found


async def of_unit(session: AsyncSession, unit: OrgUnit, period: Period) -> UnitParts:
    """One unit's own parts (its team's chat answers, not those of the units below it)."""
    chat = await chat_answers(session, unit, period, unit_ids=[unit.id])
    rows = await stored(session, unit, period.key)
    return UnitParts(unit, chat.get(unit.id, defaultdict(list)), rows.get(unit.id, {}))


def may_word(actor: access.Actor | None, unit: OrgUnit, parent_path: str | None) -> bool:
    """Who may set a unit's wording in the report: someone who may state facts for the unit's parent (the
    department, or the district for its communes); for the root of the tree, admins."""
    if parent_path is None:
        return actor is not None and actor.whole_tree
    return access.may(actor, access.Action.UNIT_FACTS, parent_path)


def problem(text: str) -> tuple[str, dict] | None:
    """Why the text cannot be stored (a message id and its values), or None."""
    return (TOO_LONG, {"n": MAX_TEXT}) if len(text) > MAX_TEXT else None


def _row(parts: UnitParts, period_key: str, kind: str) -> WrittenPart:
    """The stored part, made from the unit's chat answers when there is none yet."""
    row = parts.stored.get(kind)
    if row is None:
        row = WrittenPart(unit_id=parts.unit.id, period=period_key, kind=kind, answer=parts.answer(kind))
        parts.stored[kind] = row
    return row


async def save_answer(session: AsyncSession, parts: UnitParts, period_key: str, kind: str, text: str, *,
                      by: str, now: datetime) -> bool:
    """Store the unit's answer of one kind; whether it changed (an empty answer where nothing was said is no row)."""
    text = text.strip()
    if kind not in parts.stored and not text and not parts.answer(kind):
        return False
    row = _row(parts, period_key, kind)
    changed = row.id is None or row.answer != text
    row.answer, row.answered_by, row.answered_at = text, by[:80], now
    session.add(row)
    return changed


async def save_wording(session: AsyncSession, parts: UnitParts, period_key: str, kind: str, text: str, *,
                       by: str, now: datetime) -> bool:
    """Store the report's wording for the unit (empty, or the answer itself = the answer as it is); whether it
    changed."""
    wording = text.strip() or None
    if wording == parts.answer(kind).strip():
        wording = None
    row = parts.stored.get(kind)
    if (row.wording if row is not None else None) == wording:
        return False
    row = _row(parts, period_key, kind)
    row.wording, row.worded_by, row.worded_at = wording, by[:80], now
    session.add(row)
    return True
