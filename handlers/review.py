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


def decision_buttons(tr: Translator, report: Report, version: int) -> list[list[Button]]:
    """Approve / Return under a report (and Mark exemplary for a good practice), in the reviewer's language;
    the decisions name the version shown (times sent again), so a button left from before a correction is refused."""
    kind = report_types.load_report_types().get(report.type_id)
    buttons = [[Button(f"review:approve:{report.id}:{version}", tr.t("✅ Approve"))],
               [Button(f"review:return:{report.id}:{version}", tr.t("↩️ Return"))]]
    if kind is not None and kind.kind == "practice":
        buttons.append([Button(f"review:feature:{report.id}", tr.t("⭐ Mark exemplary (điển hình)"))])
    return buttons


async def notify_reviewers(ctx: Context, report: Report) -> None:
    """Send a new report to every reviewer of its scope, with Approve / Return buttons."""
    version = await report_filing.version(ctx.session, report.id)
    for reviewer in await report_filing.reviewers(ctx.session, report):
        tr = Translator(reviewer.locale)
        ctx.notify(reviewer.id, Outbound(await describe(ctx, tr, report), decision_buttons(tr, report, version)))


def _named(ctx: Context) -> tuple[int | None, int | None]:
    """(report id, version seen) from `review:<verb>:<id>[:<version>]` or the conversation; a payload from before
    versions (no version) means "decide it as it is now"."""
    if not ctx.payload:
        return row_id(str(ctx.data.get("review_report", ""))), ctx.data.get("review_version")
    parts = ctx.payload.split(":")[2:4] + [""]
    return row_id(parts[0]), row_id(parts[1])


async def reviewable(ctx: Context) -> Report | None:
    """The report named by the payload (or the conversation), if this member may review it now, as they saw it."""
    report_id, seen = _named(ctx)
    report = await ctx.session.get(Report, report_id) if report_id and ctx.member else None
    if report is None:
        await ctx.show_menu(ctx.t("That report was not found."))
        return None
    if not await report_filing.can_review(ctx.session, ctx.member, report):
        ctx.finish()
        await ctx.show_menu(ctx.t("You cannot review report {number}: only the team's leader or an officer "
                                  "of a unit above it can, and not for their own report.", number=report.number))
        return None
    refusal = await review_queue.refusal(ctx.session, ctx.tr, report, seen)
    if refusal:
        ctx.finish()
        await ctx.show_menu(refusal)
        return None
    return report


async def on_approve(ctx: Context) -> None:
    report = await reviewable(ctx)
    if report is None:
        return
    if await _decide(ctx, report, approved=True, reason=None):
        await ctx.show_menu(ctx.t("✅ Report {number} approved.", number=report.number))


async def on_return(ctx: Context) -> None:
    report = await reviewable(ctx)
    if report is None:
        return
    ctx.finish()
    ctx.goto(REASON, review_report=report.id, review_version=_named(ctx)[1])
    ctx.reply(ctx.t("Why are you returning report {number}? Type the reason for the member.", number=report.number))


async def on_reason(ctx: Context) -> None:
    reason = review_queue.clean_reason(ctx.text)
    if reason is None:
        ctx.reply(ctx.t("Please type the reason as text, at most {n} characters.", n=REASON_LIMIT))
        return
    report = await reviewable(ctx)
    if report is None:
        return
    if await _decide(ctx, report, approved=False, reason=reason):
        await ctx.show_menu(ctx.t("↩️ Report {number} returned to the member.", number=report.number))


async def _decide(ctx: Context, report, approved: bool, reason: str | None) -> bool:
    """Record the reviewer's decision (and log it), tell the member(s), leave the review flow; False, with the
    reviewer told why, when someone else decided it (or it changed) in the meantime."""
    actor = await access.actor_for_member(ctx.session, ctx.member)
    decider = review_queue.Decider.of_member(actor, ctx.member, ctx.inbound.channel)
    seen = _named(ctx)[1]
    ctx.finish()
    try:
        notices = await review_queue.decide(ctx.session, decider, report, approved, reason, ctx.now, seen)
    except review_queue.AlreadyDecided:
        await ctx.show_menu(await review_queue.refusal(ctx.session, ctx.tr, report, seen))
        return False
    for member_id, message in notices:
        ctx.notify(member_id, message)
    return True


def register(router: Router) -> None:
    router.payload("review:approve:")(on_approve)
    router.payload("review:return:")(on_return)
    router.state(REASON)(on_reason)
