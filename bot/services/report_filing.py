"""Filing a report from a finished draft (or a returned one, corrected), and reviewing it: who may, who is told."""

from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report, ReportEvent, ReportPhoto
from bot.services import access, photos
from bot.services.access import Action, Role

PENDING, APPROVED, RETURNED, RESUBMITTED = "pending", "approved", "returned", "resubmitted"


async def file_report(session: AsyncSession, draft: dict, filer: Member, now: datetime) -> tuple[Report, bool]:
    """Store the draft as a pending report, or send a corrected returned report again under its number;
    (report, False) when this draft was filed before."""
    if draft.get("revises"):
        return await _resubmit(session, draft, filer, now)
    existing = (await session.execute(select(Report).where(Report.draft_key == draft["key"]))).scalar_one_or_none()
    if existing is not None:
        return existing, False
    team = await session.get(Team, filer.team_id)
    unit = await session.get(OrgUnit, team.unit_id)
    report = Report(team_id=team.id, unit_path=unit.path, filed_by_member_id=filer.id, draft_key=draft["key"],
                    created_at=now, **_fields(draft))
    session.add(report)
    await session.flush()
    await _attach_photos(session, report, draft)
    return report, True


def _fields(draft: dict) -> dict:
    """The report's columns that the member fills in the draft."""
    counts = {k: int(v) for k, v in draft["counts"].items()}
    return dict(type_id=draft["type"], activity_date=date.fromisoformat(draft["date"]), counts=counts,
                people=counts.get("people"), note=draft.get("note") or None,
                proxy_for_member_id=draft.get("proxy_for"), proxy_name=draft.get("proxy_name"), plan=draft.get("plan"))


async def _attach_photos(session: AsyncSession, report: Report, draft: dict) -> None:
    photo_ids = list(draft.get("photos") or [])
    for position, photo_id in enumerate(photo_ids):
        session.add(ReportPhoto(report_id=report.id, photo_id=photo_id, position=position))
    report.duplicate_photo = bool(photo_ids) and bool(await photos.used_elsewhere(session, photo_ids, report.id))
    await session.flush()


async def _resubmit(session: AsyncSession, draft: dict, filer: Member, now: datetime) -> tuple[Report, bool]:
    """A returned report, corrected by whoever filed it, goes back to review with the same number;
    its history keeps the return and gains a "sent again" line. Anything else changes nothing."""
    report = await session.get(Report, int(draft["revises"]))
    if report.filed_by_member_id != filer.id or report.status != RETURNED:
        return report, False
    for column, value in _fields(draft).items():
        setattr(report, column, value)
    report.status, report.return_reason, report.reviewed_at, report.reviewed_by_member_id = PENDING, None, None, None
    await session.execute(delete(ReportPhoto).where(ReportPhoto.report_id == report.id))
    await _attach_photos(session, report, draft)
    session.add(ReportEvent(report_id=report.id, kind=RESUBMITTED, member_id=filer.id, at=now))
    await session.flush()
    return report, True


async def duplicates_of(session: AsyncSession, report: Report) -> list[int]:
    """Ids of other reports holding a photo that looks like one of this report's."""
    ids = list((await session.execute(select(ReportPhoto.photo_id).where(ReportPhoto.report_id == report.id)))
               .scalars())
    return sorted(set((await photos.used_elsewhere(session, ids, report.id)).values())) if ids else []


async def can_review(session: AsyncSession, reviewer: Member, report: Report) -> bool:
    """`may_decide` for a roster member reviewing in chat."""
    return may_decide(await access.actor_for_member(session, reviewer), report)


def may_decide(actor: access.Actor | None, report: Report) -> bool:
    """The access rule decides (leaders their team, officers their subtree, admins everything);
    nobody reviews a report they filed or that was filed for them."""
    if actor is None or (actor.member_id is not None
                         and actor.member_id in (report.filed_by_member_id, report.proxy_for_member_id)):
        return False
    return access.may(actor, Action.REVIEW, report.unit_path)


async def reviewers(session: AsyncSession, report: Report) -> list[Member]:
    """The team's leaders and the officers whose unit holds the team, except whoever filed it."""
    query = (
        select(Member).join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
        .where(or_(
            (Member.role == Role.LEADER) & (Member.team_id == report.team_id),
            (Member.role == Role.OFFICER) & OrgUnit.path.in_(_prefixes(report.unit_path)),
        ))
        .order_by(Member.id)
    )
    skip = {report.filed_by_member_id, report.proxy_for_member_id}
    return [m for m in (await session.execute(query)).scalars() if m.id not in skip]


def _prefixes(path: str) -> list[str]:
    """'/1/5/9/' → ['/1/', '/1/5/', '/1/5/9/']: the paths of a unit and its ancestors."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


async def version(session: AsyncSession, report_id: int) -> int:
    """How many times the report was sent again after a return: the version a reviewer's buttons name."""
    return await session.scalar(_resubmissions(report_id))


def _resubmissions(report_id: int):
    return (select(func.count()).select_from(ReportEvent)
            .where(ReportEvent.report_id == report_id, ReportEvent.kind == RESUBMITTED))


async def review(session: AsyncSession, report: Report, reviewer_id: int | None, approve: bool, reason: str | None,
                 now: datetime, seen: int | None = None) -> bool:
    """Approve, or return with a reason, and keep it in the report's history, only if it is still pending (and
    still the version `seen`, when given): of two reviewers deciding at once exactly one wins (True); the loser
    changes nothing. The caller checked `may_decide` (`reviewer_id` is None for staff without a roster member)."""
    status, kept = (APPROVED, None) if approve else (RETURNED, reason)
    condition = (Report.id == report.id) & (Report.status == PENDING)
    if seen is not None:
        condition &= _resubmissions(report.id).scalar_subquery() == seen
    won = (await session.execute(
        update(Report).where(condition).values(status=status, return_reason=kept, reviewed_at=now,
                                               reviewed_by_member_id=reviewer_id)
        .execution_options(synchronize_session=False))).rowcount == 1
    await session.refresh(report)
    if won:
        session.add(ReportEvent(report_id=report.id, kind=status, member_id=reviewer_id, reason=kept, at=now))
    return won


def authors(report: Report) -> list[int]:
    """Members to tell about a review: whoever filed it and the member it was filed for."""
    return [m for m in dict.fromkeys([report.proxy_for_member_id, report.filed_by_member_id]) if m is not None]
