"""Report photos: checked with Pillow, stored once by content hash, EXIF removed, near-duplicates found.

The stored copy is re-encoded (long side ≤ 1,600 px, JPEG, no EXIF) so no
phone metadata leaks to reviewers or exports; capture time and GPS position
are kept as columns because they are the proof a reviewer wants.

Memory stays bounded: a JPEG is decoded at a fraction of its size (Pillow's draft mode), other formats
(decoded whole) have a lower pixel limit, and one photo is decoded at a time.
"""

import asyncio
import functools
import hashlib
import io
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import MAX_PHOTO_BYTES
from bot.clock import LOCAL_TZ
from bot.db.reports import Photo, ReportPhoto

MAX_BYTES = MAX_PHOTO_BYTES
MAX_PIXELS = 64_000_000  # JPEG: above any phone camera's output; decoded scaled down, so cheap at any size
MAX_PIXELS_WHOLE = 16_000_000  # PNG, GIF, WebP are decoded at full size (4 bytes a pixel): screenshots fit
_DECODING = threading.Lock()  # one photo decoded at a time, whatever thread calls `process`
LONG_SIDE = 1600
JPEG_QUALITY = 85
DUPLICATE_DISTANCE = 6  # Hamming distance between 64-bit dHashes that counts as "the same photo"
_EXIF_IFD, _GPS_IFD, _DATETIME_ORIGINAL = 0x8769, 0x8825, 36867


class PhotoError(Exception):
    """A photo that cannot be used; `reason` is one of: too_large, not_image, too_many_pixels."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Processed:
    """What Pillow made of the original bytes: the clean JPEG and the facts kept from EXIF."""

    sha256: str
    jpeg: bytes
    width: int
    height: int
    dhash: int
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None


def dhash(image: Image.Image) -> int:
    """A 64-bit difference hash: survives re-encoding and resizing, as a signed 64-bit integer."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return bits - (1 << 64) if bits >= 1 << 63 else bits


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(306)
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S").replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    except ValueError:
        return None


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)

    def degrees(value, ref) -> float | None:
        try:
            d, m, s = (float(x) for x in value)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        sign = -1 if str(ref).upper() in ("S", "W") else 1
        return round(sign * (d + m / 60 + s / 3600), 6)

    return degrees(gps.get(2), gps.get(1)), degrees(gps.get(4), gps.get(3))


@functools.cache
def _worker() -> ThreadPoolExecutor:
    """The one thread that decodes photos: a single thread reuses one malloc arena, so memory returns afterwards."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="photos")


async def clean(data: bytes) -> Processed:
    """`process` in the photo worker thread, off the event loop; photos queue up rather than decode side by side."""
    return await asyncio.get_running_loop().run_in_executor(_worker(), process, data)


def process(data: bytes) -> Processed:
    """Check and clean one photo (CPU work: `clean` runs it in the photo worker; decodes one at a time)."""
    if len(data) > MAX_BYTES:
        raise PhotoError("too_large")
    with _DECODING:
        image = _decode(data)
        exif = image.getexif()
        taken_at, (lat, lon) = _taken_at(exif), _gps(exif)
        image = _small_rgb(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Processed(hashlib.sha256(data).hexdigest(), out.getvalue(), image.width, image.height, dhash(image),
                     taken_at, lat, lon)


def _decode(data: bytes) -> Image.Image:
    """The picture, loaded no larger than needed: sizes are checked from the header before any pixel is decoded."""
    try:
        with warnings.catch_warnings():  # Pillow's own bomb warning: our limits below are lower anyway
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.open(io.BytesIO(data)).verify()
            image = Image.open(io.BytesIO(data))
        limit = MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS_WHOLE
        if image.width * image.height > limit:
            raise PhotoError("too_many_pixels")
        image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale; others ignore it
        image.load()
    except Image.DecompressionBombError:
        raise PhotoError("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoError("not_image") from None
    return image


def _small_rgb(image: Image.Image) -> Image.Image:
    """Upright RGB, long side ≤ LONG_SIDE; shrunk first where the mode allows, so no full-size copy is made."""
    if image.mode not in ("RGB", "L", "RGBA"):  # palette and odd modes shrink badly: convert them first
        image = image.convert("RGB")
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return ImageOps.exif_transpose(image).convert("RGB")


async def store(session: AsyncSession, media_dir: Path, data: bytes, now: datetime) -> Photo:
    """The Photo row for these bytes: reused when the same bytes were stored before."""
    digest = hashlib.sha256(data).hexdigest()
    existing = (await session.execute(select(Photo).where(Photo.sha256 == digest))).scalar_one_or_none()
    if existing is not None:
        return existing
    done = await clean(data)
    relative = f"reports/{digest[:2]}/{digest}.jpg"
    target = Path(media_dir) / relative
    await asyncio.to_thread(_write, target, done.jpeg)
    photo = Photo(sha256=digest, path=relative, width=done.width, height=done.height, dhash=done.dhash,
                  taken_at=done.taken_at, latitude=done.latitude, longitude=done.longitude, created_at=now)
    session.add(photo)
    await session.flush()
    return photo


def _write(target: Path, jpeg: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(jpeg)
    partial.replace(target)


async def used_elsewhere(session: AsyncSession, photo_ids: list[int], report_id: int) -> dict[int, int]:
    """{photo id: another report id} for photos that look like a photo of another report (any team)."""
    mine = {pid: h for pid, h in await session.execute(select(Photo.id, Photo.dhash).where(Photo.id.in_(photo_ids)))}
    others = await session.execute(
        select(ReportPhoto.report_id, Photo.dhash).join(Photo, ReportPhoto.photo_id == Photo.id)
        .where(ReportPhoto.report_id != report_id)
    )
    found: dict[int, int] = {}
    for other_report, other_hash in others:
        for pid, h in mine.items():
            if pid not in found and distance(h, other_hash) <= DUPLICATE_DISTANCE:
                found[pid] = other_report
    return found
