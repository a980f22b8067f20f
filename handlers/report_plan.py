"""Tying a report to a running plan (e.g. DX Day 2027) in one tap; asked only when a plan's period holds its date.

Also the reviewers' "điển hình" toggle on a good practice, which features it in the results report.
"""

from datetime import date

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router, row_id
from bot.db.reports import Report
from bot.services import access, plans, practices
from handlers import report_draft as rd
from handlers.report_draft import PROMPTS, advance, draft

NO_PLAN = "none"


async def plans_for(ctx: Context) -> list[plans.Plan]:
    """The plans running on the draft's date, as the department's calendar has them (none before a date is chosen)."""
    d = draft(ctx)
    return await plans.running(ctx.session, date.fromisoformat(d["date"])) if d.get("date") else []


async def ask_plan(ctx: Context) -> None:
    ctx.goto(rd.PLAN)
    buttons = [[Button(f"report:plan:{p.key}", p.name_in(ctx.locale))] for p in await plans_for(ctx)]
    ctx.reply(ctx.t("Was this part of a campaign? Tap it, or tap “Regular work”."),
              buttons + [[ctx.button(f"report:plan:{NO_PLAN}", "📋 Regular work")]])


async def on_plan(ctx: Context) -> None:
    key = ctx.payload.split(":", 2)[-1]
    keys = {p.key for p in await plans_for(ctx)}
    if ctx.state != rd.PLAN or (key != NO_PLAN and key not in keys):
        if rd.has_draft(ctx):
            await advance(ctx)
        else:
            await ctx.show_menu()
        return
    draft(ctx)["plan"] = None if key == NO_PLAN else key
    await advance(ctx)


async def on_plan_text(ctx: Context) -> None:
    ctx.reply(ctx.t("Please tap one of the buttons."))
    await ask_plan(ctx)


async def on_feature(ctx: Context) -> None:
    """A reviewer marks a good practice "điển hình" (or takes the mark off) to feature it in the results report."""
    raw = ctx.payload.rsplit(":", 1)[-1]
    report = await ctx.session.get(Report, row_id(raw)) if row_id(raw) and ctx.member else None
    actor = await access.actor_for_member(ctx.session, ctx.member) if report else None
    if not practices.may_feature(actor, report):
        await ctx.show_menu(ctx.t("You cannot mark that report."))
        return
    message = (ctx.t("⭐ Report {number} is marked exemplary: it will be featured in the results report.",
                     number=report.number) if practices.toggle(report)
               else ctx.t("Report {number} is no longer marked exemplary.", number=report.number))
    await ctx.show_menu(message)


PROMPTS.update(plan=ask_plan)


def register(router: Router) -> None:
    router.payload("report:plan:")(on_plan)
    router.payload("review:feature:")(on_feature)
    router.state(rd.PLAN)(on_plan_text)
