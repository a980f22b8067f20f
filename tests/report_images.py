"""Test photos made with Pillow: textured (so their dHashes differ), optionally with EXIF capture time and GPS."""

import io
import random

from PIL import Image


def photo(seed: int, size: tuple[int, int] = (1200, 900), *, exif: bool = False, fmt: str = "JPEG",
          quality: int = 90) -> bytes:
    """A smooth random picture for `seed`; the same seed gives the same picture."""
    rng = random.Random(seed)
    small = Image.new("RGB", (12, 9))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(12 * 9)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "PhoneMaker"
        info[0x0110] = "Model X"
        info.get_ifd(0x8769)[36867] = "2026:11:20 09:30:00"
        info.get_ifd(0x8825).update({1: "N", 2: (15.0, 7.0, 30.0), 3: "E", 4: (108.0, 48.0, 0.0)})
        image.save(out, fmt, quality=quality, exif=info)
    else:
        image.save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()


def reencoded(data: bytes, scale: float = 0.5, quality: int = 60) -> bytes:
    """The same picture resized and saved again, as a forwarded copy would be."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


async def assert_filed_with_one_photo(db, media, receipt: str, member_id: int) -> None:
    """The end-to-end report: 12 students helped, one 64×48 JPEG stored, its number in the receipt."""
    from sqlalchemy import select

    from bot.db.reports import Photo, Report, ReportPhoto

    async with db.session() as session:
        report = (await session.execute(select(Report))).scalar_one()
        photos = (await session.execute(select(Photo).join(ReportPhoto)
                                        .where(ReportPhoto.report_id == report.id))).scalars().all()
    assert report.number in receipt
    assert (report.type_id, report.counts, report.people, report.filed_by_member_id) == (
        "students", {"people": 12}, 12, member_id)
    assert len(photos) == 1 and (photos[0].width, photos[0].height) == (64, 48)
    assert (media / photos[0].path).read_bytes().startswith(b"\xff\xd8")
