"""Roster import from the console (admins): upload a CSV, see what it would change, then apply it all or nothing.

The preview is `roster.preview_rosters` (the import's own checks, nothing written); applying runs
`roster.import_rosters` in the background while the page polls its progress (htmx), and is audited.
Uploaded files wait in a temporary folder until applied or forgotten (the newest KEEP are kept).
"""

import logging
import re
import shutil
from dataclasses import dataclass

from aiohttp import web

from bot.i18n import N_
from bot.services import audit, roster
from bot.services.audit import AuditAction
from bot.web.console import uploads_flow
from bot.web.console.render import render, translator, url_for
from bot.web.keys import DB

log = logging.getLogger(__name__)

JOBS = web.AppKey("roster_jobs", dict)
KEEP = 20  # uploads kept waiting for "apply"
LISTED = 200  # rows shown per kind of change
NO_FILE = N_("Choose a CSV file first.")
_PROBLEM = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<text>.*)$", re.S)


@dataclass(eq=False)
class Job(uploads_flow.Upload):
    """One uploaded roster: its preview, then the import's progress and result."""

    preview: roster.Preview
    total: int
    done: int = 0
    result: roster.ImportResult | None = None
    failed: bool = False

    @property
    def finished(self) -> bool:
        """The import has ended, one way or another."""
        return self.failed or self.result is not None

    def advance(self, rows: int) -> None:
        """Told by the import as rows are written."""
        self.done = min(self.total, self.done + rows)


def add_routes(app: web.Application) -> None:
    """Upload, preview, apply and progress."""
    uploads_flow.hold_jobs(app, JOBS)
    app.router.add_get("/roster", page, name="roster")
    app.router.add_post("/roster", upload, name="roster_upload")
    app.router.add_get("/roster/{token}", job_page, name="roster_job")
    app.router.add_post("/roster/{token}/apply", apply, name="roster_apply")
    app.router.add_get("/roster/{token}/progress", progress, name="roster_progress")


def refused_rows(job: Job) -> list[tuple[str, str]]:
    """The problems as (line, text), the upload's folder left out of the file name."""
    rows = []
    for problem in job.preview.refused:
        found = _PROBLEM.match(problem.replace(f"{job.folder}/", ""))
        rows.append((found["line"], found["text"]) if found else ("", problem))
    return rows


async def page(request: web.Request, *, job: Job | None = None, error: str | None = None,
               status: int = 200) -> web.Response:
    """GET /admin/roster: the upload form (and, after an upload, what it would change)."""
    uploads_flow.require_admin(request)
    context = {"job": job, "error": error, "listed": LISTED, "refused": refused_rows(job) if job else []}
    return await render(request, "roster.html", context, status=status)


async def upload(request: web.Request) -> web.Response:
    """POST /admin/roster: keep the file and show what importing it would change; nothing is written yet."""
    uploads_flow.require_admin(request)
    saved = uploads_flow.save_upload(await request.post(), "roster", "roster")
    if saved is None:
        return await page(request, error=translator(request).t(NO_FILE), status=400)
    folder, path = saved
    async with request.app[DB].session() as session:
        preview = await roster.preview_rosters(session, [path])
    changed = {row.code for row, _old in preview.renamed + preview.moved}
    job = Job(uploads_flow.new_token(), request["account"].id, folder, path, preview,
              len(preview.added) + len(changed) + preview.unchanged)
    uploads_flow.keep(request.app[JOBS], job, KEEP)
    raise web.HTTPSeeOther(url_for(request, "roster_job", token=job.token))


async def job_page(request: web.Request) -> web.Response:
    """GET /admin/roster/{token}: the preview of an upload, and the import's progress once applied."""
    return await page(request, job=uploads_flow.own_job(request, JOBS))


async def apply(request: web.Request) -> web.Response:
    """POST /admin/roster/{token}/apply: import the previewed file in the background (once)."""
    job = uploads_flow.own_job(request, JOBS)
    if job.task is None and not job.preview.refused:
        uploads_flow.start(request, job, _import)
    raise web.HTTPSeeOther(url_for(request, "roster_job", token=job.token))


async def progress(request: web.Request) -> web.Response:
    """GET /admin/roster/{token}/progress: the progress box alone, for htmx to swap in."""
    return await render(request, "roster_progress.html", {"job": uploads_flow.own_job(request, JOBS)})


async def _import(app: web.Application, job: Job, account_id: int, name: str, address: str) -> None:
    """Apply the file in one transaction (all or nothing) and audit it; the file is deleted afterwards."""
    try:
        async with app[DB].session() as session:
            result = await roster.import_rosters(session, [job.file], progress=job.advance)
            if result.problems:  # the tree changed since the preview: nothing is written
                await session.rollback()
            else:
                await audit.record(session, actor_account_id=account_id, actor_name=name,
                                   action=AuditAction.ROSTER_IMPORTED, target=job.file.name, address=address,
                                   detail={"created": result.created, "updated": result.updated})
                await session.commit()
        job.done, job.result = job.total, result
    except Exception:
        log.exception("roster import from the console failed")
        job.failed = True
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)

