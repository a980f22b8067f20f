"""Returned reports: the member opens one (the button in the return notice, or the menu's list), sees why,
changes what was asked and sends it again under the same number (its review history kept)."""

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router, row_id
from bot.db.models import Member
from bot.db.reports import Report
from bot.services import report_returns
from bot.services.report_types import load_report_types
from handlers import report_draft as rd
from handlers.report_draft import advance


async def menu_rows(ctx: Context) -> list[list[Button]]:
    """The menu's entry for the member's returned reports, when there are any."""
    n = await report_returns.count_returned(ctx.session, ctx.member)
    if not n:
        return []
    return [[Button("menu:returned", ctx.tn("↩️ Returned report ({n})", "↩️ Returned reports ({n})", n))]]


async def on_list(ctx: Context) -> None:
    """The member's returned reports, one button each."""
    found = await report_returns.returned_reports(ctx.session, ctx.member) if ctx.member else []
    if not found:
        await ctx.show_menu(ctx.t("You have no returned reports.") if ctx.member else None)
        return
    buttons = [[Button(f"report:fix:{report.id}", _label(ctx, report))] for report in found]
    ctx.reply(ctx.t("These reports were returned to you. Choose one to see why, correct it and send it again."),
              buttons + [[ctx.button("menu:main", "🏠 Menu")]])


async def on_fix(ctx: Context) -> None:
    """Open a returned report as a finished draft, with the reviewer's reason above its summary."""
    raw = ctx.payload.rsplit(":", 1)[-1]
    report = (await report_returns.returned_report(ctx.session, ctx.member, row_id(raw))
              if row_id(raw) and ctx.member else None)
    if report is None:
        await ctx.show_menu(ctx.t("That report is not waiting for a correction from you any more."))
        return
    open_draft = ctx.data.get(rd.DRAFT, {}) if rd.has_draft(ctx) else {}
    if open_draft and open_draft.get("revises") != report.id:
        ctx.reply(ctx.t("You have a report that is not sent yet. Send or cancel it first, then open report "
                        "{number} again.", number=report.number),
                  [[ctx.button("report:continue", "▶️ Continue")]])
        return
    if not open_draft:
        draft = await report_returns.draft_of(ctx.session, report)
        draft["returned"] = await _why(ctx, report)
        ctx.finish()
        ctx.goto(rd.SUMMARY, **{rd.DRAFT: draft})
    await advance(ctx)


async def _why(ctx: Context, report: Report) -> dict:
    """Who returned the report and why: its latest review."""
    reviewer = await ctx.session.get(Member, report.reviewed_by_member_id) if report.reviewed_by_member_id else None
    return {"number": report.number, "by": reviewer.full_name if reviewer else "", "reason": report.return_reason}


def _label(ctx: Context, report: Report) -> str:
    """"BC-000012 · Online public services · 20/11/2026": enough to tell returned reports apart."""
    kind = load_report_types().get(report.type_id)
    name = kind.name_in(ctx.locale) if kind else report.type_id
    return f"{report.number} · {name} · {ctx.tr.date(report.activity_date)}"


def register(router: Router) -> None:
    router.payload("menu:returned")(on_list)
    router.payload("report:fix:")(on_fix)
