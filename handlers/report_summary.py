"""The end of the report flow: the summary with Send / Edit / Cancel, editing a field, the receipt."""

from datetime import date

from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import N_
from bot.services import plans, reports
from bot.services.report_filing import file_report
from handlers import report_draft as rd
from handlers.report_draft import PROMPTS, advance, draft
from handlers.review import notify_reviewers

# what the member can change from the summary, in the order the edit menu shows it
EDIT_LABELS = {"proxy": N_("Person"), "type": N_("Type"), "date": N_("Date"), "counts": N_("Numbers"),
               "photos": N_("Photos"), "note": N_("Note"), "plan": N_("Campaign")}
# field → what to forget so `advance` asks it again
EDITS = {
    "type": ("type",), "date": ("date", "plan"), "counts": ("counts",), "photos": ("photos", "no_photo"),
    "plan": ("plan",),
    "note": ("note", "note_done"), "proxy": ("proxy_for", "proxy_name", "proxy_label"),
}


def summary_lines(ctx: Context, d: dict) -> list[str]:
    """The draft as the member checks it, one fact per line."""
    kind = rd.report_type(ctx)
    lines = [ctx.t("Type: {name}", name=kind.name_in(ctx.locale)),
             ctx.t("Date: {date}", date=ctx.tr.date(date.fromisoformat(d["date"])))]
    lines += [f"{spec.label_in(ctx.locale)}: {ctx.tr.number(d['counts'][spec.id])}" for spec in kind.counts]
    photos = len(d.get("photos") or [])
    lines.append(ctx.tn("Photos: {n}", "Photos: {n}", photos) if photos else ctx.t("Photos: none"))
    lines.append(ctx.t("Note: {note}", note=d["note"]) if d.get("note") else ctx.t("Note: none"))
    if d.get("proxy_label"):
        lines.insert(0, ctx.t("For: {name}", name=d["proxy_label"]))
    if plan := plans.by_key(d.get("plan")):
        lines.insert(-1, ctx.t("Campaign: {name}", name=plan.name_in(ctx.locale)))
    return lines


async def show_summary(ctx: Context) -> None:
    ctx.goto(rd.SUMMARY)
    text = (rd.returned_note(ctx) + ctx.t("Please check your report:") + "\n\n"
            + "\n".join(summary_lines(ctx, draft(ctx))))
    ctx.reply(text, [[ctx.button("report:send", "📤 Send")], [ctx.button("report:edit", "✏️ Edit")],
                     [ctx.button("report:cancel", "🗑️ Cancel")]])


async def on_summary_text(ctx: Context) -> None:
    ctx.reply(ctx.t("Please tap 📤 Send, ✏️ Edit or 🗑️ Cancel."))
    await show_summary(ctx)


async def on_edit(ctx: Context) -> None:
    if not rd.has_draft(ctx) or await rd.next_step(ctx) != "summary":
        await _elsewhere(ctx)
        return
    ctx.goto(rd.EDIT)
    d = draft(ctx)
    fields = [f for f in EDIT_LABELS if (f != "proxy" or d.get("proxy")) and (f != "plan" or "plan" in d)]
    buttons = [[ctx.button(f"report:edit:{field}", EDIT_LABELS[field])] for field in fields]
    ctx.reply(ctx.t("What do you want to change?"), buttons + [[ctx.button("report:summary", "↩️ Back")]])


async def on_edit_field(ctx: Context) -> None:
    field = ctx.payload.rsplit(":", 1)[-1]
    if ctx.state != rd.EDIT or field not in EDITS:
        await _elsewhere(ctx)
        return
    d = draft(ctx)
    for key in EDITS[field]:
        d.pop(key, None)
    await advance(ctx)


async def on_back(ctx: Context) -> None:
    await _elsewhere(ctx)


async def on_send(ctx: Context) -> None:
    """File the report once: a second tap (or a re-delivered tap) gets the same receipt, no new report."""
    if ctx.state != rd.SUMMARY or await rd.next_step(ctx) != "summary":
        if not rd.has_draft(ctx) and ctx.data.get("report_sent"):
            ctx.reply(ctx.t("Report {number} was already sent.", number=ctx.data["report_sent"]),
                      [[ctx.button("menu:main", "🏠 Menu")]])
            return
        await _elsewhere(ctx)
        return
    report, created = await file_report(ctx.session, draft(ctx), ctx.member, ctx.now)
    ctx.finish()
    ctx.data["report_sent"] = report.number
    today = rd.today(ctx)
    count, people = await reports.team_period(ctx.session, report.team_id, today.replace(day=1), today)
    ctx.reply(ctx.t("✅ Report {number} received. Thank you!", number=report.number) + "\n"
              + ctx.tn("This month your team has helped {n} person", "This month your team has helped {n} people",
                       people) + " "
              + ctx.tn("({n} report).", "({n} reports).", count),
              [[ctx.button("menu:report", "📝 Send another report")], [ctx.button("menu:main", "🏠 Menu")]])
    if created:
        await notify_reviewers(ctx, report)


async def on_cancel(ctx: Context) -> None:
    text = rd.discarded_text(ctx)
    ctx.finish()
    await ctx.show_menu(text)


async def _elsewhere(ctx: Context) -> None:
    """A summary button tapped when there is no finished draft: carry on with it, or the menu."""
    if rd.has_draft(ctx):
        await advance(ctx)
    else:
        await ctx.show_menu()


PROMPTS.update(summary=show_summary)


def register(router: Router) -> None:
    router.payload("report:send")(on_send)
    router.payload("report:edit")(on_edit)
    router.payload("report:edit:")(on_edit_field)
    router.payload("report:summary")(on_back)
    router.payload("report:cancel")(on_cancel)
    router.state(rd.SUMMARY)(on_summary_text)
    router.state(rd.EDIT)(on_edit)
