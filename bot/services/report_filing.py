"""Filing a report from a finished draft, and reviewing it: who may, who is told."""

from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report, ReportPhoto
from bot.services import photos


async def file_report(session: AsyncSession, draft: dict, filer: Member, now: datetime) -> tuple[Report, bool]:
    """Store the draft as a pending report; (report, False) when this draft was filed before."""
    existing = (await session.execute(select(Report).where(Report.draft_key == draft["key"]))).scalar_one_or_none()
    if existing is not None:
        return existing, False
    team = await session.get(Team, filer.team_id)
    unit = await session.get(OrgUnit, team.unit_id)
    counts = {k: int(v) for k, v in draft["counts"].items()}
    report = Report(
        team_id=team.id, unit_path=unit.path, type_id=draft["type"], activity_date=date.fromisoformat(draft["date"]),
        counts=counts, people=counts.get("people"), note=draft.get("note") or None, filed_by_member_id=filer.id,
        proxy_for_member_id=draft.get("proxy_for"), proxy_name=draft.get("proxy_name"), draft_key=draft["key"],
        created_at=now,
    )
    session.add(report)
    await session.flush()
    photo_ids = list(draft.get("photos") or [])
    for position, photo_id in enumerate(photo_ids):
        session.add(ReportPhoto(report_id=report.id, photo_id=photo_id, position=position))
    if photo_ids:
        report.duplicate_photo = bool(await photos.used_elsewhere(session, photo_ids, report.id))
    await session.flush()
    return report, True


async def duplicates_of(session: AsyncSession, report: Report) -> list[int]:
    """Ids of other reports holding a photo that looks like one of this report's."""
    ids = list((await session.execute(select(ReportPhoto.photo_id).where(ReportPhoto.report_id == report.id)))
               .scalars())
    return sorted(set((await photos.used_elsewhere(session, ids, report.id)).values())) if ids else []


async def can_review(session: AsyncSession, reviewer: Member, report: Report) -> bool:
    """Leaders review their own team's reports, officers their unit's subtree, admins everything;
    nobody reviews a report they filed or that was filed for them."""
    if reviewer.id in (report.filed_by_member_id, report.proxy_for_member_id):
        return False
    if reviewer.role == "admin":
        return True
    if reviewer.role == "leader":
        return reviewer.team_id == report.team_id
    if reviewer.role == "officer":
        team = await session.get(Team, reviewer.team_id)
        unit = await session.get(OrgUnit, team.unit_id)
        return report.unit_path.startswith(unit.path)
    return False


async def reviewers(session: AsyncSession, report: Report) -> list[Member]:
    """The team's leaders and the officers whose unit holds the team, except whoever filed it."""
    query = (
        select(Member).join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
        .where(or_(
            (Member.role == "leader") & (Member.team_id == report.team_id),
            (Member.role == "officer") & OrgUnit.path.in_(_prefixes(report.unit_path)),
        ))
        .order_by(Member.id)
    )
    skip = {report.filed_by_member_id, report.proxy_for_member_id}
    return [m for m in (await session.execute(query)).scalars() if m.id not in skip]


def _prefixes(path: str) -> list[str]:
    """'/1/5/9/' → ['/1/', '/1/5/', '/1/5/9/']: the paths of a unit and its ancestors."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def review(report: Report, reviewer: Member, approve: bool, reason: str | None, now: datetime) -> None:
    """Approve, or return with a reason; the caller checked `can_review` and that it is pending."""
    report.status = "approved" if approve else "returned"
    report.return_reason = None if approve else reason
    report.reviewed_at = now
    report.reviewed_by_member_id = reviewer.id


def authors(report: Report) -> list[int]:
    """Members to tell about a review: whoever filed it and the member it was filed for."""
    return [m for m in dict.fromkeys([report.proxy_for_member_id, report.filed_by_member_id]) if m is not None]
