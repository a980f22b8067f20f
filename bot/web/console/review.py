"""The review queue in the console: the reports waiting for the signed-in person's decision, oldest first, with
their photos; approve, or return with a reason, one at a time or several at once.

Every decision goes through `review_queue.decide` (the chat's way too): the member hears it in their language and
the audit log records it. A report someone else decided meanwhile is left as it is, and the page says who decided
it and when; one outside the person's scope is skipped and counted.
"""

from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDictProxy

from bot.core.router import row_id
from bot.db.reports import Report
from bot.i18n import N_
from bot.services import access, report_filing, review_queue
from bot.web.console.render import render, translator, url_for
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, OUTBOX

SHOWN = 50  # reports on the page (and decided at once), the oldest
NO_CHOICE = N_("Tick at least one report first.")
NO_REASON = N_("Type why you return it (at most {n} characters): the member reads it.")


@dataclass(frozen=True)
class Choice:
    """What the form asks: approve or return, which reports, and the reason for a return."""

    approve: bool
    ids: list[int]
    reason: str | None


def add_routes(app: web.Application) -> None:
    """The queue page and its form."""
    app.router.add_get("/reports/review", page, name="review")
    app.router.add_post("/reports/review", decide, name="review_decide")


async def page(request: web.Request) -> web.Response:
    """GET /admin/reports/review: the waiting reports; after a decision, what was done."""
    return await _show(request)


async def _show(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    """The queue page, with an error above it when the form was not right."""
    actor = access.require_any(request["actor"], access.Action.REVIEW)
    async with request.app[DB].session() as session:
        total = await review_queue.count(session, actor)
        items = [await review_queue.details(session, report)
                 for report in await review_queue.waiting(session, actor, limit=SHOWN)]
        notices = _notices(request) + await _lost(request, session)
    return await render(request, "review.html", {
        "items": items, "total": total, "notices": notices, "limit": review_queue.REASON_LIMIT,
        "error": error}, status=status)


def _notices(request: web.Request) -> list[str]:
    """'2 reports approved.' and the like, from the redirect after a decision."""
    tr = translator(request)
    approved, returned, skipped = (row_id(request.query.get(key, "")) or 0 for key in ("approved", "returned",
                                                                                       "skipped"))
    lines = [tr.tn("{n} report approved.", "{n} reports approved.", approved) if approved else "",
             tr.tn("{n} report returned to the member.", "{n} reports returned to their members.", returned)
             if returned else "",
             tr.tn("{n} report was already decided or is not yours to decide; it was left as it is.",
                   "{n} reports were already decided or are not yours to decide; they were left as they are.",
                   skipped) if skipped else ""]
    return [line for line in lines if line]


async def _lost(request: web.Request, session) -> list[str]:
    """For each report someone else decided while this person was deciding it: by whom and when."""
    tr, lines = translator(request), []
    for report_id in [row_id(x) for x in request.query.get("lost", "").split(",")][:SHOWN]:
        report = await session.get(Report, report_id) if report_id else None
        if report is not None and report_filing.may_decide(request["actor"], report):
            lines.append(await review_queue.refusal(session, tr, report, None) or "")
    return [line for line in lines if line]


def _choice(form: MultiDictProxy) -> Choice | str:
    """The decision the form asks for, or the message to show when it is not complete."""
    approve = "approve" in form
    chosen = str(form.get("approve" if approve else "return", ""))
    raw = form.getall("report", []) if chosen == "selected" else [chosen]
    ids = list(dict.fromkeys(i for i in (row_id(str(x)) for x in raw) if i))[:SHOWN]
    if not ids:
        return NO_CHOICE
    if approve:
        return Choice(True, ids, None)
    reason = review_queue.clean_reason(str(form.get("reason" if chosen == "selected" else f"reason-{ids[0]}", "")))
    return Choice(False, ids, reason) if reason else NO_REASON


async def decide(request: web.Request) -> web.Response:
    """POST /admin/reports/review: decide the chosen reports, tell their members, then show the queue again."""
    actor = access.require_any(request["actor"], access.Action.REVIEW)
    choice = _choice(await request.post())
    if isinstance(choice, str):
        return await _show(request, choice, status=400)
    decider = review_queue.Decider(actor, request["account"].name, address_of(request))
    now, done, notices, lost = request.app[CLOCK].now(), 0, [], []
    async with request.app[DB].session() as session:
        for report_id in choice.ids:
            report = await session.get(Report, report_id)
            if report is None or not report_filing.may_decide(actor, report):
                continue
            try:
                notices += await review_queue.decide(session, decider, report, choice.approve, choice.reason, now)
            except review_queue.AlreadyDecided:
                lost.append(str(report_id))
                continue
            done += 1
        channels = await review_queue.deliver(session, notices, now)
        await session.commit()
    for channel in channels:
        request.app[OUTBOX].wake(channel)
    result = {"approved" if choice.approve else "returned": done, "skipped": len(choice.ids) - done - len(lost),
              "lost": ",".join(lost)}
    raise web.HTTPSeeOther(url_for(request, "review", query={k: str(v) for k, v in result.items() if v}))
