"""What the official results report says, gathered once: the roll-up, targets, and the written parts from below.

Figures come from the roll-up service (bot/services/reports.py) for the chosen unit and period, so the
document's totals are the console's. The written parts are the reports of the written kinds
(report_types.yaml): good practices an officer marked "điển hình", and the units' difficulties and
recommendations, each under the name of the unit whose team sent it.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.db.models import OrgUnit, Team
from bot.db.reports import Photo, Report, ReportPhoto
from bot.services import bases, plans, reports, targets, written_parts
from bot.services.periods import Period
from bot.services.report_types import WRITTEN_KINDS, load_report_types

PHOTOS_PER_PRACTICE = 2


@dataclass(frozen=True)
class Written:
    """A text sent from below: which unit, what it says, its photos (files) for a good practice."""

    unit: str
    text: str
    day: date
    photos: tuple[Path, ...] = ()


@dataclass
class DocumentData:
    """Everything the document and its annex show."""

    root: OrgUnit
    period: Period
    plan: plans.Plan | None
    issued: date
    rollup: reports.Rollup
    bases: dict[int, bases.Base]
    targets: list[targets.Target]
    progress: dict[int, list[targets.Progress]]
    total_progress: list[targets.Progress]
    targets_year: int
    written: dict[str, list[Written]] = field(default_factory=dict)  # kind → texts, in unit then date order

    def total(self, type_id: str, count_id: str) -> int:
        """The whole scope's sum of one count (0 where nothing was reported)."""
        found = (self.rollup.total.by_type or {}).get(type_id) if self.rollup.total else None
        return (found.counts.get(count_id) or 0) if found else 0


def kinds() -> dict[str, list[str]]:
    """{type id: its count ids} for every report type that counts something."""
    return {t.id: [c.id for c in t.counts] for t in load_report_types().values() if t.counts}


async def gather(session: AsyncSession, root: OrgUnit, period: Period, plan: plans.Plan | None, issued: date,
                 media_dir: Path, approved_only: bool = False) -> DocumentData:
    """The roll-up of the subtree and period, its progress against the year's targets, and the written parts."""
    asked = kinds()
    count_ids = sorted({c for ids in asked.values() for c in ids})
    result = await reports.rollup(session, root, period.start, period.end, deadline=period.deadline,
                                  count_ids=count_ids, approved_only=approved_only, kinds=asked)
    figures = await bases.bases_under(session, root)
    year = plan.year if plan else period.end.year
    rows, total = targets.progress(result, figures, year)
    data = DocumentData(root, period, plan, issued, result, figures, targets.chosen(year), rows, total, year)
    data.written = await _written(session, root, period, media_dir, approved_only)
    return data


async def _written(session: AsyncSession, root: OrgUnit, period: Period, media_dir: Path,
                   approved_only: bool) -> dict[str, list[Written]]:
    """Good practices marked "điển hình", then each unit's difficulties and recommendations (written_parts)."""
    types = [t.id for t in load_report_types().values() if t.kind == "practice"]
    statuses = ("approved",) if approved_only else reports.COUNTED
    query = (select(Report, OrgUnit.name).join(Team, Report.team_id == Team.id)
             .join(OrgUnit, Team.unit_id == OrgUnit.id)
             .where(Report.unit_path.startswith(root.path), Report.type_id.in_(types), Report.featured,
                    Report.activity_date >= period.start, Report.activity_date <= period.end,
                    Report.status.in_(statuses), Report.note.is_not(None))
             .order_by(OrgUnit.path, Report.activity_date, Report.id))
    found: dict[str, list[Written]] = {kind: [] for kind in WRITTEN_KINDS}
    for report, unit_name in (await session.execute(query)).all():
        shown = await _photos(session, report.id, media_dir)
        found["practice"].append(Written(unit_name, report.note.strip(), report.activity_date, shown))
    for parts in await written_parts.gathered(session, root, period, approved_only):
        for kind in written_parts.KINDS:
            found[kind] += _said(parts, kind)
    return found


def _said(parts: written_parts.UnitParts, kind: str) -> list[Written]:
    """A unit's items of one kind: its stored answer (as worded) when there is one, else each chat answer."""
    row = parts.stored.get(kind)
    if row is not None:
        text = written_parts.one_line(parts.in_report(kind))
        at = row.worded_at or row.answered_at  # one is set by whichever save stored the row
        return [Written(parts.unit.name, text, at.astimezone(LOCAL_TZ).date())] if text else []
    return [Written(parts.unit.name, written_parts.one_line(c.text), c.day) for c in parts.chat.get(kind, [])]


async def _photos(session: AsyncSession, report_id: int, media_dir: Path) -> tuple[Path, ...]:
    """The report's first photos whose files are present."""
    paths = (await session.execute(
        select(Photo.path).join(ReportPhoto, ReportPhoto.photo_id == Photo.id)
        .where(ReportPhoto.report_id == report_id).order_by(ReportPhoto.position)
    )).scalars()
    files = [Path(media_dir) / p for p in paths]
    return tuple(f for f in files if f.is_file())[:PHOTOS_PER_PRACTICE]
