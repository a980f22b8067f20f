"""The results report from the roll-up page: POST /admin/reports/document gives the DOCX (or its XLSX annex);
POST /admin/reports/feature marks a good practice "điển hình" from the review queue.

The unit and period are the roll-up's; a campaign period (`campaign:national-dx-day:2027`) makes the report
one on that plan. Outside the person's EXPORT scope it is 403; each download goes into the audit log.
"""

import asyncio
import tempfile
from pathlib import Path

from aiohttp import web

from bot.clock import LOCAL_TZ
from bot.db.reports import Report
from bot.services import access, audit, document, document_annex, document_data, periods, plans, practices
from bot.services.audit import AuditAction
from bot.web.console.rollup import chosen_period, chosen_unit
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, SETTINGS

PARTS = {"docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
         "annex": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "-phu-luc.xlsx")}


def _build(data: document_data.DocumentData, part: str, out: Path) -> bytes:
    """The file's bytes (python-docx and openpyxl are synchronous: run in a thread)."""
    if part == "docx":
        document.build(data, out)
    else:
        document_annex.build_annex(data, out)
    return out.read_bytes()


async def download(request: web.Request) -> web.Response:
    """POST: build the report of the chosen unit and period and send it as an attachment."""
    form = await request.post()
    part = form.get("part", "docx")
    if part not in PARTS:
        raise web.HTTPBadRequest()
    now = request.app[CLOCK].now()
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, request["actor"], form)
        access.require(request["actor"], access.Action.EXPORT, unit.path)
        period = await periods.stored(session, chosen_period(request, form))
        plan = plans.by_key(period.key.removeprefix("campaign:")) if period.kind == "campaign" else None
        data = await document_data.gather(session, unit, period, plan, now.astimezone(LOCAL_TZ).date(),
                                          request.app[SETTINGS].media_dir, form.get("approved") == "1")
        media_type, suffix = PARTS[part]
        name = f"bao-cao-ket-qua-{unit.code}-{period.key.replace(':', '-')}{suffix}"
        with tempfile.TemporaryDirectory() as folder:
            try:
                body = await asyncio.to_thread(_build, data, part, Path(folder) / name)
            except document.DocumentError as exc:
                raise web.HTTPInternalServerError(text=str(exc)) from exc
        account = request["account"]
        await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                           action=AuditAction.EXPORT_DOWNLOADED, target=name, unit_path=unit.path,
                           address=address_of(request), at=now, detail={"format": part, "period": period.key})
        await session.commit()
    return web.Response(body=body, headers={"Content-Type": media_type, "Cache-Control": "no-store",
                                            "Content-Disposition": f'attachment; filename="{name}"'})


async def feature(request: web.Request) -> web.Response:
    """POST from the review queue: mark a good practice "điển hình" (or unmark it), then back to the queue."""
    form = await request.post()
    raw = str(form.get("feature", ""))
    async with request.app[DB].session() as session:
        report = await session.get(Report, int(raw)) if raw.isdigit() else None
        if not practices.may_feature(request["actor"], report):
            raise web.HTTPForbidden()
        now_featured = practices.toggle(report)
        account = request["account"]
        await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                           action=AuditAction.REPORT_FEATURED, target=report.number, unit_path=report.unit_path,
                           address=address_of(request), at=request.app[CLOCK].now(),
                           detail={"featured": now_featured})
        await session.commit()
    raise web.HTTPSeeOther(request.app.router["review"].url_for())


def add_routes(app: web.Application) -> None:
    """Register the report download and the "điển hình" mark."""
    app.router.add_post("/reports/document", download, name="document_download")
    app.router.add_post("/reports/feature", feature, name="report_feature")
