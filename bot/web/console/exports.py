"""Exports from the roll-up page: built in the background with a live count, then downloaded once ready.

POST /admin/reports/exports starts a job (403 outside the person's EXPORT scope) and sends the browser
to its page, which polls a small fragment (htmx, every second) showing rows written so far; the file
is served to the account that asked for it only, and each download goes into the audit log.
Files live in a temporary folder removed when the app stops; a job is forgotten after an hour.
"""

import asyncio
import logging
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.services import access, audit, export_files, exports, periods
from bot.services.audit import AuditAction
from bot.web.console.render import render, translator
from bot.web.console.rollup import chosen_history, chosen_period, chosen_unit
from bot.web.console.signin import address_of
from bot.web.keys import CLOCK, DB, SETTINGS

log = logging.getLogger(__name__)
KEEP_SECONDS = 3600


@dataclass
class Job:
    """One export being built (or built) for one account."""

    id: str
    account_id: int
    sel: exports.Selection
    fmt: str
    path: Path
    total: int = 0
    done: int = 0
    finished: bool = False
    failed: bool = False
    started: float = field(default_factory=time.monotonic)
    task: asyncio.Task | None = None


@dataclass
class Jobs:
    """The app's export jobs and the folder their files are written to."""

    folder: Path
    items: dict[str, Job] = field(default_factory=dict)

    def forget_old(self) -> None:
        """Drop jobs (and files) older than KEEP_SECONDS."""
        for job in [j for j in self.items.values() if time.monotonic() - j.started > KEEP_SECONDS]:
            self.items.pop(job.id, None)
            job.path.unlink(missing_ok=True)


JOBS = web.AppKey("export_jobs", Jobs)


async def _run(app: web.Application, job: Job) -> None:
    """Build the file in its own session, counting rows as they are written."""
    settings = app[SETTINGS]

    def advance(n: int) -> None:
        job.done += n

    try:
        async with app[DB].session() as session:
            job.total = await export_files.total(session, job.sel, job.fmt)
            await export_files.build(session, job.sel, job.fmt, job.path, public_url=settings.public_url,
                                     media_dir=settings.media_dir, progress=advance)
    except Exception:
        log.exception("export %s failed", job.fmt)
        job.failed = True
    job.finished = True


async def start(request: web.Request) -> web.Response:
    """POST /admin/reports/exports: check the scope, start the job, show its page."""
    form = await request.post()
    fmt = form.get("format")
    if fmt not in export_files.FORMATS:
        raise web.HTTPBadRequest()
    day, _other = chosen_history(form)  # the roll-up sheet on the tree the page showed
    async with request.app[DB].session() as session:
        unit = await chosen_unit(session, request["actor"], form)
        period = await periods.stored(session, chosen_period(request, form))
    access.require(request["actor"], access.Action.EXPORT, unit.path)
    jobs = request.app[JOBS]
    jobs.forget_old()
    sel = exports.Selection(unit, period, form.get("approved") == "1",
                            translator(request).locale, agencies=form.get("agencies") == "1", as_at=day)
    job_id = secrets.token_urlsafe(16)
    job = Job(job_id, request["account"].id, sel, fmt, jobs.folder / f"{job_id}.{fmt}")
    jobs.items[job_id] = job
    job.task = asyncio.create_task(_run(request.app, job))
    raise web.HTTPSeeOther(request.app.router["export_page"].url_for(job=job_id))


def _job(request: web.Request) -> Job:
    """The job named in the path, if it is the signed-in account's (404 otherwise: ids are not shared)."""
    job = request.app[JOBS].items.get(request.match_info["job"])
    if job is None or job.account_id != request["account"].id:
        raise web.HTTPNotFound()
    return job


async def page(request: web.Request) -> web.Response:
    """GET /admin/reports/exports/{job}: the job's progress (live) and its download link when ready."""
    job = _job(request)
    return await render(request, "rollup_export.html", {"job": job, "name": export_files.file_name(job.sel, job.fmt)})


async def status(request: web.Request) -> web.Response:
    """GET /admin/reports/exports/{job}/status: the progress fragment htmx swaps in every second."""
    job = _job(request)
    return await render(request, "rollup_export_status.html",
                        {"job": job, "name": export_files.file_name(job.sel, job.fmt)})


async def download(request: web.Request) -> web.StreamResponse:
    """GET /admin/reports/exports/{job}/file: the finished file, recorded in the audit log."""
    job = _job(request)
    if not job.finished or job.failed:
        raise web.HTTPNotFound()
    account, name = request["account"], export_files.file_name(job.sel, job.fmt)
    async with request.app[DB].session() as session:
        await audit.record(session, actor_account_id=account.id, actor_name=account.name,
                           action=AuditAction.EXPORT_DOWNLOADED, target=name, unit_path=job.sel.root.path,
                           address=address_of(request), at=request.app[CLOCK].now(),
                           detail={"format": job.fmt, "period": job.sel.period.key, "rows": job.done,
                                   "approved_only": job.sel.approved_only,
                                   **({"as_at": job.sel.as_at.isoformat()} if job.sel.as_at else {})})
        await session.commit()
    return web.FileResponse(job.path, headers={
        "Content-Type": export_files.MEDIA_TYPES[job.fmt], "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{name}"'})


async def _folder(app: web.Application):
    """A private temporary folder for the export files, removed (with them) when the app stops."""
    folder = Path(tempfile.mkdtemp(prefix="cdsbot-exports-"))
    app[JOBS] = Jobs(folder)
    yield
    for job in app[JOBS].items.values():
        if job.task is not None and not job.task.done():
            job.task.cancel()
    shutil.rmtree(folder, ignore_errors=True)


def add_routes(app: web.Application) -> None:
    """Register the export routes and the folder their files go to."""
    app.router.add_post("/reports/exports", start, name="export_start")
    app.router.add_get("/reports/exports/{job}", page, name="export_page")
    app.router.add_get("/reports/exports/{job}/status", status, name="export_status")
    app.router.add_get("/reports/exports/{job}/file", download, name="export_file")
    app.cleanup_ctx.append(_folder)
