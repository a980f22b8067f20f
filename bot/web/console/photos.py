"""Report photos in the console, only for signed-in people whose scope holds the report.

GET /admin/photos/{number}/{n}[/thumb] serves photo n (1-based) of report BC-…; `/match[/thumb]` serves the other
report's photo that photo n looks like (the duplicate warning shows both side by side). Every request checks the
report against the person's scope, so knowing a URL gives nothing; responses are private to the browser.
Thumbnails are made with Pillow once (long side ≤ THUMB_SIDE) and kept on disk under the media folder.
"""

import asyncio
import re
import threading
from pathlib import Path

from aiohttp import web
from PIL import Image

from bot.db.reports import Photo, Report
from bot.services import access, review_queue
from bot.web.keys import DB, SETTINGS

THUMB_SIDE = 320
THUMB_QUALITY = 80
CACHE = "private, max-age=3600"  # the browser may keep it; no shared cache (proxies) may
NUMBER = re.compile(r"BC-(\d{1,12})")
VARIANTS = {"": (False, False), "thumb": (False, True), "match": (True, False), "match-thumb": (True, True)}
_MAKING = threading.Lock()  # one thumbnail decoded at a time


def add_routes(app: web.Application) -> None:
    """The photo routes (names used by the review template)."""
    app.router.add_get("/photos/{number}/{n:\\d{1,3}}", serve, name="report_photo")
    app.router.add_get("/photos/{number}/{n:\\d{1,3}}/{variant}", serve, name="report_photo_variant")


async def _report(session, actor: access.Actor, number: str) -> Report:
    """The report named BC-…: 404 when there is none, 403 outside the person's scope."""
    matched = NUMBER.fullmatch(number)
    report = await session.get(Report, int(matched.group(1))) if matched else None
    if report is None:
        raise web.HTTPNotFound()
    access.require(actor, access.Action.VIEW, report.unit_path)
    return report


async def _photo(request: web.Request, match: bool) -> Photo:
    """The photo the URL names, after the scope check; 404 when the report has no such photo."""
    position = int(request.match_info["n"])
    async with request.app[DB].session() as session:
        report = await _report(session, request["actor"], request.match_info["number"])
        if match:
            photo = await review_queue.lookalike(session, report, position)
        else:
            shown = await review_queue.report_photos(session, report.id)
            photo = shown[position - 1] if 1 <= position <= len(shown) else None
    if photo is None:
        raise web.HTTPNotFound()
    return photo


async def serve(request: web.Request) -> web.StreamResponse:
    """The photo (full size, as stored: ≤ 1,600 px, no EXIF) or its thumbnail, private to this browser."""
    variant = VARIANTS.get(request.match_info.get("variant", ""))
    if variant is None:
        raise web.HTTPNotFound()
    match, thumb = variant
    photo = await _photo(request, match)
    media = Path(request.app[SETTINGS].media_dir)
    path = media / photo.path
    if thumb:
        path = await asyncio.to_thread(thumbnail, path, media / "thumbs" / photo.sha256[:2] / f"{photo.sha256}.jpg")
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": CACHE, "Content-Type": "image/jpeg"})


def thumbnail(source: Path, target: Path) -> Path:
    """The cached thumbnail of `source`, made first when missing (written whole, then renamed into place)."""
    if target.is_file() or not source.is_file():
        return target
    with _MAKING, Image.open(source) as image:
        image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))
        image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        image.convert("RGB").save(partial, "JPEG", quality=THUMB_QUALITY, optimize=True)
    partial.replace(target)
    return target
