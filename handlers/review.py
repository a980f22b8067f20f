"""Reviewing reports in chat: leaders (their team) and officers (their subtree) approve or return them."""

from sqlalchemy import func, select

from bot.core.context import Context
from bot.core.messages import Button, Outbound
from bot.core.router import Router
from bot.db.models import Member, Team
from bot.db.reports import Report, ReportPhoto
from bot.i18n import Translator
from bot.services import report_filing
from bot.services.report_types import load_report_types

REASON = "review.reason"
REASON_LIMIT = 300


async def _describe(ctx: Context, tr: Translator, report: Report) -> str:
    """The report as a reviewer reads it, in the reviewer's language."""
    kind = load_report_types().get(report.type_id)
    filer = await ctx.session.get(Member, report.filed_by_member_id)
    team = await ctx.session.get(Team, report.team_id)
    photos = await ctx.session.scalar(select(func.count()).select_from(ReportPhoto)
                                      .where(ReportPhoto.report_id == report.id))
    lines = [tr.t("📝 New report {number} from {name} ({team})", number=report.number, name=filer.full_name,
                  team=team.name)]
    if report.proxy_for_member_id or report.proxy_name:
        person = report.proxy_name or (await ctx.session.get(Member, report.proxy_for_member_id)).full_name
        lines.append(tr.t("Filed for: {name}", name=person))
    lines.append(f"{kind.name_in(tr.locale) if kind else report.type_id} · {tr.date(report.activity_date)}")
    for spec in kind.counts if kind else ():
        if spec.id in report.counts:
            lines.append(f"{spec.label_in(tr.locale)}: {tr.number(report.counts[spec.id])}")
    lines.append(tr.tn("{n} photo", "{n} photos", photos))
    if report.note:
        lines.append(tr.t("Note: {note}", note=report.note))
    for other in await report_filing.duplicates_of(ctx.session, report):
        lines.append(tr.t("⚠️ A photo looks the same as one in report BC-{id:06d}. Please check.", id=other))
    return "\n".join(lines)


async def notify_reviewers(ctx: Context, report: Report) -> None:
    """Send a new report to every reviewer of its scope, with Approve / Return buttons."""
    for reviewer in await report_filing.reviewers(ctx.session, report):
        tr = Translator(reviewer.locale)
        buttons = [[Button(f"review:approve:{report.id}", tr.t("✅ Approve"))],
                   [Button(f"review:return:{report.id}", tr.t("↩️ Return"))]]
        ctx.notify(reviewer.id, Outbound(await _describe(ctx, tr, report), buttons))


async def _reviewable(ctx: Context) -> Report | None:
    """The report named by the payload (or the conversation), if this member may review it now."""
    raw = (ctx.payload or "").rsplit(":", 1)[-1] if ctx.payload else str(ctx.data.get("review_report", ""))
    report = await ctx.session.get(Report, int(raw)) if raw.isdigit() and ctx.member else None
    if report is None:
        await ctx.show_menu(ctx.t("That report was not found."))
        return None
    if not await report_filing.can_review(ctx.session, ctx.member, report):
        ctx.finish()
        await ctx.show_menu(ctx.t("You cannot review report {number}: only the team's leader or an officer "
                                  "of a unit above it can, and not for their own report.", number=report.number))
        return None
    if report.status != "pending":
        done = ctx.t("approved") if report.status == "approved" else ctx.t("returned")
        ctx.finish()
        await ctx.show_menu(ctx.t("Report {number} was already {done}.", number=report.number, done=done))
        return None
    return report


async def on_approve(ctx: Context) -> None:
    report = await _reviewable(ctx)
    if report is None:
        return
    await _decide(ctx, report, approved=True, reason=None)
    await ctx.show_menu(ctx.t("✅ Report {number} approved.", number=report.number))


async def on_return(ctx: Context) -> None:
    report = await _reviewable(ctx)
    if report is None:
        return
    ctx.finish()
    ctx.goto(REASON, review_report=report.id)
    ctx.reply(ctx.t("Why are you returning report {number}? Type the reason for the member.", number=report.number))


async def on_reason(ctx: Context) -> None:
    reason = ctx.text
    if not reason or len(reason) > REASON_LIMIT:
        ctx.reply(ctx.t("Please type the reason as text, at most {n} characters.", n=REASON_LIMIT))
        return
    report = await _reviewable(ctx)
    if report is None:
        return
    await _decide(ctx, report, approved=False, reason=reason)
    await ctx.show_menu(ctx.t("↩️ Report {number} returned to the member.", number=report.number))


async def _decide(ctx: Context, report, approved: bool, reason: str | None) -> None:
    """Record the reviewer's decision, tell the member(s), leave the review flow."""
    report_filing.review(report, ctx.member, approved, reason, ctx.now)
    await _tell_authors(ctx, report)
    ctx.finish()


async def _tell_authors(ctx: Context, report: Report) -> None:
    for member_id in report_filing.authors(report):
        if member_id == ctx.member.id:
            continue
        member = await ctx.session.get(Member, member_id)
        tr = Translator(member.locale)
        if report.status == "approved":
            text = tr.t("✅ Your report {number} was approved by {name}.", number=report.number,
                        name=ctx.member.full_name)
        else:
            text = tr.t("↩️ Your report {number} was returned by {name}: {reason}\nPlease send it again with the "
                        "correction.", number=report.number, name=ctx.member.full_name, reason=report.return_reason)
        ctx.notify(member_id, Outbound(text, [[Button("menu:report", tr.t("📝 Send a report"))]]))


def register(router: Router) -> None:
    router.payload("review:approve:")(on_approve)
    router.payload("review:return:")(on_return)
    router.state(REASON)(on_reason)
