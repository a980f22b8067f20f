"""What waits for a leader's or officer's decision, in chat: `/review` and a menu entry with the count, a page of
reports at a time, and one report opened with its photos sent into the chat and its Approve / Return buttons.

The list is computed when it is asked for (`review_queue.waiting`), so a report filed while its team had no
leader waits for whoever can decide it now.
"""

from pathlib import Path

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router, row_id
from bot.services import access, report_filing, review_queue
from bot.services.report_types import load_report_types
from handlers.review import decision_buttons, describe, reviewable

PAGE = 5  # reports listed at once


async def _actor(ctx: Context) -> access.Actor | None:
    return await access.actor_for_member(ctx.session, ctx.member) if ctx.member else None


async def menu_rows(ctx: Context) -> list[list[Button]]:
    """The menu's entry for reviewers, with how many reports wait for them."""
    actor = await _actor(ctx)
    if not access.can(actor, access.Action.REVIEW):
        return []
    n = await review_queue.count(ctx.session, actor)
    return [[Button("menu:review", ctx.tn("🗂 Report to review ({n})", "🗂 Reports to review ({n})", n))]]


async def on_list(ctx: Context) -> None:
    """`/review`, the menu entry, or `review:page:<n>`: one page of waiting reports, oldest first."""
    actor = await _actor(ctx)
    ctx.finish()
    if not access.can(actor, access.Action.REVIEW):
        await ctx.show_menu(ctx.t("Only team leaders and officers review reports."))
        return
    total = await review_queue.count(ctx.session, actor)
    if not total:
        await ctx.show_menu(ctx.t("No report is waiting for your decision."))
        return
    pages = (total + PAGE - 1) // PAGE
    page = min(row_id((ctx.payload or "").rsplit(":", 1)[-1]) or 1, pages) if ctx.payload else 1
    found = await review_queue.waiting(ctx.session, actor, offset=(page - 1) * PAGE, limit=PAGE)
    lines = [ctx.tn("{n} report waits for your decision, oldest first.", "{n} reports wait for your decision, "
                    "oldest first.", total)]
    if pages > 1:
        lines.append(ctx.t("Page {page} of {pages}", page=page, pages=pages))
    buttons = [[Button(f"review:open:{report.id}", await _label(ctx, report))] for report in found]
    nav = []
    if page > 1:
        nav.append(ctx.button(f"review:page:{page - 1}", "◀ Back"))
    if page < pages:
        nav.append(ctx.button(f"review:page:{page + 1}", "Next ▶"))
    ctx.reply("\n".join(lines), buttons + ([nav] if nav else []) + [[ctx.button("menu:main", "🏠 Menu")]])


async def _label(ctx: Context, report) -> str:
    """'BC-000012 · 23/11/2026 · Public services' on a button."""
    kind = load_report_types().get(report.type_id)
    name = kind.name_in(ctx.locale) if kind else report.type_id
    return f"{report.number} · {ctx.tr.date(report.activity_date)} · {name}"


async def on_open(ctx: Context) -> None:
    """`review:open:<id>`: the report's photos, one message each, then the report with Approve / Return."""
    report = await reviewable(ctx)
    if report is None:
        return
    ctx.finish()
    shown = await review_queue.report_photos(ctx.session, report.id)
    media = Path(ctx.core.media_dir)
    for n, photo in enumerate(shown, 1):
        ctx.reply(ctx.t("📷 Photo {n} of {total} · report {number}", n=n, total=len(shown), number=report.number),
                  photo=str((media / photo.path).resolve()))
    version = await report_filing.version(ctx.session, report.id)
    ctx.reply(await describe(ctx, ctx.tr, report), decision_buttons(ctx.tr, report, version) + [
        [ctx.button("menu:review", "🗂 Back to the list"), ctx.button("menu:main", "🏠 Menu")]])


def register(router: Router) -> None:
    router.command("review", "duyet")(on_list)
    router.payload("menu:review", "review:page:")(on_list)
    router.payload("review:open:")(on_open)
