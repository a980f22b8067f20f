"""Re-mapping the tree from the console (admins): the same services as `cdsbot units remap` and `remap-draft`.

An admin uploads the new roster to get a draft map (its unmatched names listed, the file to download and
settle), then uploads the settled map with its effective date and sees the preview (`remap.plan_remap`,
nothing written). Applying runs `remap_apply.apply_remap` in the background, all or nothing, audited,
while the page follows its steps as Server-Sent Events. Uploads wait in a temporary folder (newest KEEP).
"""

import asyncio
import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import date

from aiohttp import web
from aiohttp_sse import sse_response

from bot.i18n import N_
from bot.services import audit, remap, remap_apply, remap_draft
from bot.services.audit import AuditAction
from bot.web.console import remap_problems, uploads_flow
from bot.web.console.render import render, translator, url_for
from bot.web.keys import CLOCK, DB

log = logging.getLogger(__name__)

JOBS = web.AppKey("remap_jobs", dict)
KEEP, TICK_S = 10, 0.5
NO_FILE = N_("Choose a CSV file first.")
NO_DATE = N_("Give the date the new tree takes effect.")


@dataclass(eq=False)
class Job(uploads_flow.Upload):
    """One uploaded map (its preview, then the remap's steps) or one drafted map (its text to download)."""

    plan: remap.Plan | None = None
    draft: remap_draft.Draft | None = None
    draft_text: str = ""
    problems: list[str] = field(default_factory=list)  # the new roster's, when it cannot be drafted from
    step: str = ""
    done: int = 0
    told: int | None = None
    failed: str = ""  # why the remap did not happen (translated)

    @property
    def finished(self) -> bool:
        """The remap has ended, one way or another."""
        return bool(self.failed) or self.told is not None

    def advance(self, step: str) -> None:
        """Told by `apply_remap` as each step begins."""
        self.step, self.done = step, list(remap_apply.STEPS).index(step)


def add_routes(app: web.Application) -> None:
    """The page, the draft, the preview, applying and its events."""
    uploads_flow.hold_jobs(app, JOBS)
    app.router.add_get("/remap", page, name="remap")
    app.router.add_post("/remap/draft", draft, name="remap_draft")
    app.router.add_get("/remap/draft/{token}.csv", draft_file, name="remap_draft_file")
    app.router.add_post("/remap", upload, name="remap_upload")
    app.router.add_get("/remap/{token}", job_page, name="remap_job")
    app.router.add_post("/remap/{token}/apply", apply, name="remap_apply")
    app.router.add_get("/remap/{token}/events", events, name="remap_events")


async def page(request: web.Request, *, job: Job | None = None, error: str | None = None,
               status: int = 200) -> web.Response:
    """GET /admin/remap: the draft and map forms (and, after an upload, its draft or its preview)."""
    uploads_flow.require_admin(request)
    plan = job.plan if job else None
    problems = remap_problems.by_line(translator(request), (plan.problems if plan else []) + job.problems + (
        job.draft.unmatched if job.draft else []), str(job.folder)) if job else []
    return await render(request, "remap.html", {"job": job, "plan": plan, "error": error, "problems": problems,
                                                "steps": remap_apply.STEPS}, status=status)


async def _saved(request: web.Request, form, name: str) -> Job | None:
    """Keep the uploaded file `name` in a folder of its own; None when no file came."""
    saved = uploads_flow.save_upload(form, name, "remap")
    if saved is None:
        return None
    job = Job(uploads_flow.new_token(), request["account"].id, *saved)
    uploads_flow.keep(request.app[JOBS], job, KEEP)
    return job


async def draft(request: web.Request) -> web.Response:
    """POST /admin/remap/draft: a draft map from the new roster's "formed from" text; nothing is written."""
    uploads_flow.require_admin(request)
    job = await _saved(request, await request.post(), "roster")
    if job is None:
        return await page(request, error=translator(request).t(NO_FILE), status=400)
    async with request.app[DB].session() as session:
        found, problems = await remap_draft.draft_map(session, job.file)
    job.draft, job.problems = found, problems
    if problems:
        return await page(request, job=job, status=400)
    job.draft_text = remap_draft.write_map(found, job.file)
    raise web.HTTPSeeOther(url_for(request, "remap_job", token=job.token))


async def draft_file(request: web.Request) -> web.Response:
    """GET /admin/remap/draft/{token}.csv: the drafted map, to settle and upload."""
    job = uploads_flow.own_job(request, JOBS)
    if not job.draft_text:
        raise web.HTTPNotFound()
    return web.Response(body=job.draft_text.encode("utf-8"), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="map-{job.file.stem}.csv"'})


async def upload(request: web.Request) -> web.Response:
    """POST /admin/remap: keep the map and show what the remap would change; nothing is written yet."""
    uploads_flow.require_admin(request)
    form = await request.post()
    tr = translator(request)
    try:
        effective = date.fromisoformat(str(form.get("effective", "")))
    except ValueError:
        return await page(request, error=tr.t(NO_DATE), status=400)
    job = await _saved(request, form, "map")
    if job is None:
        return await page(request, error=tr.t(NO_FILE), status=400)
    async with request.app[DB].session() as session:
        job.plan = await remap.plan_remap(session, job.file, effective)
    raise web.HTTPSeeOther(url_for(request, "remap_job", token=job.token))


async def job_page(request: web.Request) -> web.Response:
    """GET /admin/remap/{token}: the preview of a map, and the remap's progress once applied."""
    return await page(request, job=uploads_flow.own_job(request, JOBS))


async def apply(request: web.Request) -> web.Response:
    """POST /admin/remap/{token}/apply: re-map the tree in the background (once)."""
    job = uploads_flow.own_job(request, JOBS)
    if job.task is None and job.plan is not None and not job.plan.problems:
        uploads_flow.start(request, job, _remap)
    raise web.HTTPSeeOther(url_for(request, "remap_job", token=job.token))


def _state(job: Job, tr) -> dict:
    """What the page's progress box shows."""
    total = len(remap_apply.STEPS)
    return {"done": total if job.told is not None else job.done, "total": total, "finished": job.finished,
            "step": tr.t(remap_apply.STEPS[job.step]) if job.step else "", "failed": job.failed,
            "told": job.told}


async def events(request: web.Request) -> web.StreamResponse:
    """GET /admin/remap/{token}/events: the remap's steps as Server-Sent Events, until it ends."""
    job, tr = uploads_flow.own_job(request, JOBS), translator(request)
    async with sse_response(request) as stream:
        last = None
        while stream.is_connected():
            current = _state(job, tr)
            if current != last:
                await stream.send(json.dumps(current), event="progress")
                last = current
            if job.finished:
                break
            await asyncio.sleep(TICK_S)
    return stream


async def _remap(app: web.Application, job: Job, account_id: int, name: str, address: str) -> None:
    """Plan again (the tree may have changed since the preview) and apply in one transaction, audited."""
    tr_changed = N_("The tree changed since the preview; nothing was changed. Upload the map again to see why.")
    try:
        async with app[DB].session() as session:
            plan = await remap.plan_remap(session, job.file, job.plan.effective)
            if plan.problems or (plan.retired, plan.created) != (job.plan.retired, job.plan.created):
                job.failed = tr_changed
                return
            told = await remap_apply.apply_remap(session, plan, app[CLOCK].now(), progress=job.advance)
            await audit.record(session, actor_account_id=account_id, actor_name=name,
                               action=AuditAction.UNITS_REMAPPED, target=job.file.name, address=address,
                               detail={"effective": plan.effective.isoformat(), "retired": len(plan.retired),
                                       "created": len(plan.created), "members_told": told})
            await session.commit()
        job.told = told
    except Exception:
        log.exception("remap from the console failed")
        job.failed = N_("The remap failed and nothing was changed. Try again; if it fails again, tell an admin.")
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)

