"""The report draft kept in the conversation data, and which step it needs next.

The draft is plain JSON in `ctx.data["report"]`, saved with the conversation
row on every message, so a dropped connection or a restart loses nothing.
Every step fills one field; `advance` asks for the first field still missing,
so editing a field from the summary is "forget it, then advance".
"""

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from bot.clock import LOCAL_TZ
from bot.core.context import Context
from bot.services import plans
from bot.services.report_types import ReportType, load_report_types

DRAFT = "report"
RESUME, PROXY, TYPE, DATE, COUNT, BIG, PHOTOS, NOTE, SUMMARY, EDIT, PLAN = (
    f"report.{s}" for s in ("resume", "proxy", "type", "date", "count", "confirm_count", "photos", "note",
                            "summary", "edit", "plan"))
MAX_PHOTOS = 5
NOTE_LIMIT = 500
REPORT_WORDS = ("bao cao", "báo cáo", "report", "gui bao cao")

Prompt = Callable[[Context], Awaitable[None]]
PROMPTS: dict[str, Prompt] = {}  # step name → the function that asks for it; filled by the flow modules


def draft(ctx: Context) -> dict:
    """The open draft (created empty by the caller with `ctx.goto`)."""
    return ctx.data.setdefault(DRAFT, {})


def has_draft(ctx: Context) -> bool:
    return bool(ctx.data.get(DRAFT)) and (ctx.state or "").startswith("report.")


def report_type(ctx: Context) -> ReportType | None:
    return load_report_types().get(draft(ctx).get("type", ""))


def today(ctx: Context) -> date:
    """The member's calendar day (Asia/Ho_Chi_Minh)."""
    return ctx.now.astimezone(LOCAL_TZ).date()


def window_days(ctx: Context) -> int:
    """How far back a report may be dated (CDSBOT_REPORT_WINDOW_DAYS)."""
    return ctx.core.report_window_days


def oldest_date(ctx: Context) -> date:
    return today(ctx) - timedelta(days=window_days(ctx))


def missing_count(ctx: Context) -> str | None:
    """The id of the first count of the chosen type not answered yet."""
    kind, counts = report_type(ctx), draft(ctx).get("counts", {})
    return next((c.id for c in kind.counts if c.id not in counts), None) if kind else None


async def next_step(ctx: Context) -> str:
    """The first step whose field is still empty, or "summary"."""
    d = draft(ctx)
    if d.get("proxy") and not (d.get("proxy_for") or d.get("proxy_name")):
        return "proxy"
    if report_type(ctx) is None:
        return "type"
    if "date" not in d:
        return "date"
    if "plan" not in d and await plans.running(ctx.session, date.fromisoformat(d["date"])):
        return "plan"
    if missing_count(ctx):
        return "count"
    if not d.get("photos") and not d.get("no_photo") and report_type(ctx).asks_photos:
        return "photos"
    if not d.get("note_done"):
        return "note"
    return "summary"


def returned_note(ctx: Context) -> str:
    """Above the summary of a returned report being corrected: who returned it and why, and what to do."""
    back = ctx.data.get(DRAFT, {}).get("returned")
    if not back:
        return ""
    return ctx.t("↩️ Report {number} was returned by {name}: “{reason}”\nChange what was asked with {edit}, then tap "
                 "{send} to send it again.", number=back["number"], name=back["by"], reason=back["reason"],
                 edit=ctx.t("✏️ Edit"), send=ctx.t("📤 Send")) + "\n\n"


def discarded_text(ctx: Context) -> str:
    """What cancelling the draft means: a new report is deleted, a returned one stays as it was."""
    number = ctx.data.get(DRAFT, {}).get("number")
    if number:
        return ctx.t("Your changes were not sent: report {number} stays returned. You can open it again from the "
                     "menu.", number=number)
    return ctx.t("The report was not sent and has been deleted.")


async def advance(ctx: Context) -> None:
    """Ask for whatever the draft needs next (the summary once it is complete)."""
    await PROMPTS[await next_step(ctx)](ctx)
