"""Reviewing reports in chat: leaders (their team) and officers (their subtree) approve or return them."""

from bot.core.context import Context
from bot.core.messages import Button, Outbound
from bot.core.router import Router, row_id
from bot.db.reports import Report
from bot.i18n import N_, Translator
from bot.services import access, report_filing, report_returns, report_types, review_queue
from bot.services.report_filing import RESUBMITTED, RETURNED
from bot.services.review_queue import REASON_LIMIT

REASON = "review.reason"


async def describe(ctx: Context, tr: Translator, report: Report) -> str:
    """The report as a reviewer reads it, in the reviewer's language; a resubmission shows its history."""
    item = await review_queue.details(ctx.session, report)
    heading = (N_("🔁 Report {number} sent again by {name} ({team}) after it was returned") if item.resubmitted
               else N_("📝 New report {number} from {name} ({team})"))
    lines = [tr.t(heading, number=report.number, name=item.filer, team=item.team)]
    if item.proxy:
        lines.append(tr.t("Filed for: {name}", name=item.proxy))
    lines.append(f"{item.kind.name_in(tr.locale) if item.kind else report.type_id} · {tr.date(report.activity_date)}")
    for spec in item.kind.counts if item.kind else ():
        if spec.id in report.counts:
            lines.append(f"{spec.label_in(tr.locale)}: {tr.number(report.counts[spec.id])}")
    lines.append(tr.tn("{n} photo", "{n} photos", len(item.photos)))
    if report.note:
        lines.append(tr.t("Note: {note}", note=report.note))
    for other in sorted(set(item.lookalikes.values())):
        lines.append(tr.t("⚠️ A photo looks the same as one in report BC-{id:06d}. Please check.", id=other))
    return "\n".join(lines + _history(tr, item.steps))


def _history(tr: Translator, steps: list[report_returns.Step]) -> list[str]:
    """"History:" then one line per return and resubmission, with who, when and why."""
    if not steps:
        return []
    lines = ["", tr.t("History:")]
    for step in steps:
        when = f"{tr.date(step.at)} {tr.time(step.at)}"
        if step.kind == RETURNED:
            lines.append(tr.t("↩️ {when}: returned by {name}: {reason}", when=when, name=step.by or "?",
                              reason=step.reason))
        elif step.kind == RESUBMITTED:
            lines.append(tr.t("🔁 {when}: corrected and sent again", when=when))
    return lines


def decision_buttons(tr: Translator, report: Report) -> list[list[Button]]:
    """Approve / Return under a report (and Mark exemplary for a good practice), in the reviewer's language."""
    kind = report_types.load_report_types().get(report.type_id)
    buttons = [[Button(f"review:approve:{report.id}", tr.t("✅ Approve"))],
               [Button(f"review:return:{report.id}", tr.t("↩️ Return"))]]
    if kind is not None and kind.kind == "practice":
        buttons.append([Button(f"review:feature:{report.id}", tr.t("⭐ Mark exemplary (điển hình)"))])
    return buttons


async def notify_reviewers(ctx: Context, report: Report) -> None:
    """Send a new report to every reviewer of its scope, with Approve / Return buttons."""
    for reviewer in await report_filing.reviewers(ctx.session, report):
        tr = Translator(reviewer.locale)
        ctx.notify(reviewer.id, Outbound(await describe(ctx, tr, report), decision_buttons(tr, report)))


async def reviewable(ctx: Context) -> Report | None:
    """The report named by the payload (or the conversation), if this member may review it now."""
    raw = (ctx.payload or "").rsplit(":", 1)[-1] if ctx.payload else str(ctx.data.get("review_report", ""))
    report = await ctx.session.get(Report, row_id(raw)) if row_id(raw) and ctx.member else None
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
    report = await reviewable(ctx)
    if report is None:
        return
    await _decide(ctx, report, approved=True, reason=None)
    await ctx.show_menu(ctx.t("✅ Report {number} approved.", number=report.number))


async def on_return(ctx: Context) -> None:
    report = await reviewable(ctx)
    if report is None:
        return
    ctx.finish()
    ctx.goto(REASON, review_report=report.id)
    ctx.reply(ctx.t("Why are you returning report {number}? Type the reason for the member.", number=report.number))


async def on_reason(ctx: Context) -> None:
    reason = review_queue.clean_reason(ctx.text)
    if reason is None:
        ctx.reply(ctx.t("Please type the reason as text, at most {n} characters.", n=REASON_LIMIT))
        return
    report = await reviewable(ctx)
    if report is None:
        return
    await _decide(ctx, report, approved=False, reason=reason)
    await ctx.show_menu(ctx.t("↩️ Report {number} returned to the member.", number=report.number))


async def _decide(ctx: Context, report, approved: bool, reason: str | None) -> None:
    """Record the reviewer's decision (and log it), tell the member(s), leave the review flow."""
    actor = await access.actor_for_member(ctx.session, ctx.member)
    decider = review_queue.Decider.of_member(actor, ctx.member, ctx.inbound.channel)
    for member_id, message in await review_queue.decide(ctx.session, decider, report, approved, reason, ctx.now):
        ctx.notify(member_id, message)
    ctx.finish()


def register(router: Router) -> None:
    router.payload("review:approve:")(on_approve)
    router.payload("review:return:")(on_return)
    router.state(REASON)(on_reason)
