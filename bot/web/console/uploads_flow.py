"""What the console's upload-preview-apply pages share (roster import, remap): keeping the file, the jobs, cleanup.

Each upload waits in a temporary folder of its own, under a random token only its uploader may open; the
newest few are kept, and the work an admin applies runs in the background (`start`) while the page follows it.
"""

import asyncio
import re
import secrets
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.services import access
from bot.services.access import Action
from bot.web.console.signin import address_of

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(eq=False)
class Upload:
    """One admin's uploaded file, kept under a token; each kind adds its preview and a `finished` property."""

    token: str
    account_id: int
    folder: Path
    file: Path
    task: asyncio.Task | None = field(default=None, kw_only=True)  # the work applying it, once started


def new_token() -> str:
    """The unguessable name of one upload in the console's paths."""
    return secrets.token_urlsafe(16)


def save_upload(form, name: str, prefix: str) -> tuple[Path, Path] | None:
    """Keep the uploaded file `name` in a new folder of its own: (folder, file); None when no file came."""
    upload = form.get(name)
    data = upload.file.read() if isinstance(upload, web.FileField) else b""
    if not data:
        return None
    folder = Path(tempfile.mkdtemp(prefix=f"cdsbot-{prefix}-"))
    path = folder / (_SAFE_NAME.sub("_", Path(upload.filename or "").name).strip("._") or f"{name}.csv")
    path.write_bytes(data)
    return folder, path


def require_admin(request: web.Request) -> None:
    """Only those who manage the whole tree upload rosters or maps (either may move any unit)."""
    access.require(request["actor"], Action.MANAGE, access.WHOLE_TREE)


def own_job(request: web.Request, key: web.AppKey) -> Upload:
    """The admin's own upload named in the path (404 for anyone else's or a forgotten one)."""
    require_admin(request)
    job = request.app[key].get(request.match_info["token"])
    if job is None or job.account_id != request["account"].id:
        raise web.HTTPNotFound()
    return job


def keep(jobs: dict[str, Upload], job: Upload, most: int) -> None:
    """Remember the upload; forget (and delete) the oldest beyond `most` that are not being applied."""
    jobs[job.token] = job
    for old in [j for j in jobs.values() if j.task is None or j.finished][:-most]:
        jobs.pop(old.token)
        shutil.rmtree(old.folder, ignore_errors=True)


def start(request: web.Request, job: Upload, run: Callable[..., Awaitable[None]]) -> None:
    """Run `run(app, job, account_id, name, address)` in the background for the signed-in admin."""
    account = request["account"]
    job.task = asyncio.create_task(run(request.app, job, account.id, account.name, address_of(request)))


def hold_jobs(app: web.Application, key: web.AppKey) -> None:
    """Where the app keeps its uploads; at shutdown, running work stops (and rolls back) and the uploads go."""

    async def forget_all(app: web.Application) -> None:
        for job in app[key].values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
                await asyncio.gather(job.task, return_exceptions=True)
            shutil.rmtree(job.folder, ignore_errors=True)

    app[key] = {}
    app.on_cleanup.append(forget_all)
