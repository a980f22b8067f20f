"""Returned reports: which a member has, one opened again as a draft, and the review history reviewers read.

A returned report is corrected in the member's chat as an ordinary draft that
names it (`revises`); sending it updates the same report (see
`report_filing.file_report`), so its number and history stay.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member
from bot.db.reports import Report, ReportEvent, ReportPhoto
from bot.services.report_filing import RETURNED

LISTED = 10  # returned reports offered at once, newest first


@dataclass(frozen=True)
class Step:
    """One line of a report's history, with the name of whoever took the step."""

    kind: str  # returned / resubmitted / approved
    at: datetime
    by: str | None
    reason: str | None


def _returned_to(member: Member):
    return (Report.filed_by_member_id == member.id) & (Report.status == RETURNED)


async def count_returned(session: AsyncSession, member: Member) -> int:
    """How many of the member's reports wait for a correction."""
    return await session.scalar(select(func.count()).select_from(Report).where(_returned_to(member)))


async def returned_reports(session: AsyncSession, member: Member) -> list[Report]:
    """The member's reports waiting for a correction, newest first."""
    query = select(Report).where(_returned_to(member)).order_by(Report.id.desc()).limit(LISTED)
    return list((await session.execute(query)).scalars())


async def returned_report(session: AsyncSession, member: Member, report_id: int) -> Report | None:
    """The report, if it is returned and this member filed it (only they may correct it)."""
    query = select(Report).where(Report.id == report_id, _returned_to(member))
    return (await session.execute(query)).scalar_one_or_none()


async def history(session: AsyncSession, report: Report) -> list[Step]:
    """The report's review steps, oldest first."""
    query = (select(ReportEvent, Member.full_name).outerjoin(Member, Member.id == ReportEvent.member_id)
             .where(ReportEvent.report_id == report.id).order_by(ReportEvent.at, ReportEvent.id))
    return [Step(event.kind, event.at, name, event.reason) for event, name in await session.execute(query)]


async def draft_of(session: AsyncSession, report: Report) -> dict:
    """The report as a finished draft the member can check, edit and send again (plain JSON)."""
    photo_ids = list((await session.execute(select(ReportPhoto.photo_id).where(ReportPhoto.report_id == report.id)
                                            .order_by(ReportPhoto.position))).scalars())
    person = await session.get(Member, report.proxy_for_member_id) if report.proxy_for_member_id else None
    label = report.proxy_name or (person.full_name if person else None)
    draft = {"key": report.draft_key, "revises": report.id, "number": report.number, "type": report.type_id,
             "date": report.activity_date.isoformat(), "counts": dict(report.counts), "photos": photo_ids,
             "no_photo": not photo_ids, "note": report.note, "note_done": True, "proxy": bool(label)}
    if label:
        draft.update(proxy_for=report.proxy_for_member_id, proxy_name=report.proxy_name, proxy_label=label)
    return draft
