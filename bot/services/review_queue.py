"""The review queue: reports waiting for one person's decision, and the one way a decision is taken, told and logged.

Who may decide is computed when the queue is read (the access rule over the report's unit path), not only when
the report is filed: a report filed while its team had no leader waits for the next leader or officer above it.
The chat and the console both decide through `decide`, so the member hears the same words in their language and
the audit log gets the same entry whichever way it was done.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Button, Outbound
from bot.db.console import AuditEntry
from bot.db.models import ChannelAccount, Member, Team
from bot.db.reports import Photo, Report, ReportPhoto
from bot.delivery import queue
from bot.i18n import N_, Translator
from bot.services import access, audit, photos, report_filing, report_returns
from bot.services.report_filing import APPROVED, PENDING
from bot.services.report_types import ReportType, load_report_types

REASON_LIMIT = 300
_DECISIONS = (audit.AuditAction.REPORT_APPROVED.value, audit.AuditAction.REPORT_RETURNED.value)


@dataclass(frozen=True)
class Decider:
    """Who decides: their access, the name the member reads, and where it was done (for the audit log)."""

    actor: access.Actor
    name: str
    address: str  # "chat:<channel>" or the browser's address

    @classmethod
    def of_member(cls, actor: access.Actor, member: Member, channel: str) -> "Decider":
        """A roster member deciding in chat."""
        return cls(actor, member.full_name, f"chat:{channel}")


@dataclass(frozen=True)
class Item:
    """A waiting report with what a reviewer reads about it (language-neutral: templates and chat translate)."""

    report: Report
    kind: ReportType | None
    team: str
    filer: str
    proxy: str | None
    photos: list[Photo]
    steps: list[report_returns.Step]
    lookalikes: dict[int, int]  # photo position (1-based) → the other report's id

    @property
    def resubmitted(self) -> bool:
        """Sent again after it was returned."""
        return bool(self.steps)


def _waiting(actor: access.Actor | None):
    """Pending reports the actor may decide: in their review scope, not filed by or for them."""
    if not access.can(actor, access.Action.REVIEW):
        return false()
    clause = (Report.status == PENDING) & access.scope_clause(actor, Report.unit_path)
    if actor.member_id is not None:
        clause &= (Report.filed_by_member_id != actor.member_id) & or_(
            Report.proxy_for_member_id.is_(None), Report.proxy_for_member_id != actor.member_id)
    return clause


async def count(session: AsyncSession, actor: access.Actor | None) -> int:
    """How many reports wait for the actor's decision."""
    return await session.scalar(select(func.count()).select_from(Report).where(_waiting(actor)))


async def waiting(session: AsyncSession, actor: access.Actor | None, *, offset: int = 0, limit: int = 5
                  ) -> list[Report]:
    """One page of the reports waiting for the actor, oldest first."""
    query = (select(Report).where(_waiting(actor)).order_by(Report.created_at, Report.id)
             .offset(max(0, offset)).limit(limit))
    return list((await session.execute(query)).scalars())


async def report_photos(session: AsyncSession, report_id: int) -> list[Photo]:
    """The report's photos in the order they were sent."""
    query = (select(Photo).join(ReportPhoto, ReportPhoto.photo_id == Photo.id)
             .where(ReportPhoto.report_id == report_id).order_by(ReportPhoto.position, ReportPhoto.id))
    return list((await session.execute(query)).scalars())


async def details(session: AsyncSession, report: Report) -> Item:
    """Everything a reviewer reads about one report."""
    filer = await session.get(Member, report.filed_by_member_id)
    team = await session.get(Team, report.team_id)
    proxy = report.proxy_name
    if proxy is None and report.proxy_for_member_id:
        proxy = (await session.get(Member, report.proxy_for_member_id)).full_name
    shown = await report_photos(session, report.id)
    lookalikes: dict[int, int] = {}
    if report.duplicate_photo and shown:
        found = await photos.used_elsewhere(session, [p.id for p in shown], report.id)
        lookalikes = {n: found[p.id] for n, p in enumerate(shown, 1) if p.id in found}
    return Item(report, load_report_types().get(report.type_id), team.name, filer.full_name, proxy, shown,
                await report_returns.history(session, report), lookalikes)


async def lookalike(session: AsyncSession, report: Report, position: int) -> Photo | None:
    """The other report's photo that photo `position` of this report looks like (shown side by side)."""
    shown = await report_photos(session, report.id)
    if not report.duplicate_photo or not 1 <= position <= len(shown):
        return None
    mine = shown[position - 1]
    other = (await photos.used_elsewhere(session, [mine.id], report.id)).get(mine.id)
    if other is None:
        return None
    return min(await report_photos(session, other), key=lambda p: photos.distance(p.dhash, mine.dhash))


class AlreadyDecided(Exception):
    """Someone else decided the report, or it was sent again, after the reviewer saw it: nothing was done."""

    def __init__(self, report: Report):
        super().__init__(report.number)
        self.report = report


async def decide(session: AsyncSession, decider: Decider, report: Report, approve: bool, reason: str | None,
                 now: datetime, seen: int | None = None) -> list[tuple[int, Outbound]]:
    """Approve or return (the caller checked `report_filing.may_decide`), log it, and return the messages for the
    member(s) in their language; the caller delivers them and commits. Raises `AlreadyDecided`, having recorded
    nothing, when the report is no longer pending (or no longer the version `seen`)."""
    if not await report_filing.review(session, report, decider.actor.member_id, approve, reason, now, seen):
        raise AlreadyDecided(report)
    action = audit.AuditAction.REPORT_APPROVED if approve else audit.AuditAction.REPORT_RETURNED
    await audit.record(session, actor_account_id=decider.actor.account_id, actor_name=decider.name, action=action,
                       target=report.number, unit_path=report.unit_path, address=decider.address,
                       detail={"reason": reason} if reason else None, at=now)
    return [(member_id, await _told(session, report, member_id, decider.name))
            for member_id in report_filing.authors(report) if member_id != decider.actor.member_id]


async def refusal(session: AsyncSession, tr: Translator, report: Report, seen: int | None) -> str | None:
    """Why a reviewer can no longer decide the report as they saw it (decided, by whom and when; or sent again
    since), in their language; None while it is pending and, when `seen` is given, still that version."""
    if report.status != PENDING:
        name = await session.scalar(
            select(AuditEntry.actor_name).where(AuditEntry.target == report.number, AuditEntry.action.in_(_DECISIONS))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(1))
        at = report.reviewed_at
        when = f"{tr.date(at)} {tr.time(at)}" if at else "?"
        text = (N_("Report {number} was already approved by {name} ({when}); nothing was changed.")
                if report.status == APPROVED else
                N_("Report {number} was already returned by {name} ({when}); nothing was changed."))
        return tr.t(text, number=report.number, name=name or "?", when=when)
    if seen is not None and seen != await report_filing.version(session, report.id):
        return tr.t("Report {number} has changed since you saw it: it was corrected and sent again. Open it again "
                    "to see the current figures; nothing was decided.", number=report.number)
    return None


async def _told(session: AsyncSession, report: Report, member_id: int, by: str) -> Outbound:
    """What one author hears: approved; returned with a button to correct it; or, for whom it was filed, that
    the filer will correct it."""
    tr = Translator((await session.get(Member, member_id)).locale)
    if report.status == APPROVED:
        text = tr.t("✅ Your report {number} was approved by {name}.", number=report.number, name=by)
        return Outbound(text, [[Button("menu:report", tr.t("📝 Send a report"))]])
    if member_id == report.filed_by_member_id:
        text = tr.t("↩️ Your report {number} was returned by {name}: {reason}\nTap the button to correct it "
                    "and send it again.", number=report.number, name=by, reason=report.return_reason)
        return Outbound(text, [[Button(f"report:fix:{report.id}", tr.t("✏️ Correct and send again"))]])
    filer = await session.get(Member, report.filed_by_member_id)
    text = tr.t("↩️ Report {number}, filed for you by {filer}, was returned by {name}: {reason}\n{filer} "
                "can correct it and send it again.", number=report.number, filer=filer.full_name, name=by,
                reason=report.return_reason)
    return Outbound(text, [[Button("menu:report", tr.t("📝 Send a report"))]])


async def deliver(session: AsyncSession, notices: list[tuple[int, Outbound]], now: datetime) -> set[str]:
    """Queue each message on every reachable messenger of its member (outside the chat core); the channels used."""
    channels: set[str] = set()
    for member_id, message in notices:
        query = select(ChannelAccount).where(ChannelAccount.member_id == member_id, ~ChannelAccount.unreachable)
        for link in (await session.execute(query)).scalars():
            queue.enqueue(session, link.channel, link.external_id, message, member_id=member_id, now=now)
            channels.add(link.channel)
    return channels


def clean_reason(raw: str | None) -> str | None:
    """The reason as typed, or None when it is empty or too long (the caller asks again)."""
    reason = (raw or "").strip()
    return reason if 0 < len(reason) <= REASON_LIMIT else None
