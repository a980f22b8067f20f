"""Report photos: cleaned, resized, stored once, bombs and non-images refused, near-duplicates found."""

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.db.reports import Report, ReportPhoto
from bot.services import photos
from tests.report_images import photo, reencoded

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_exif_is_stripped_but_capture_time_and_gps_are_kept():
    done = photos.process(photo(1, (3000, 2000), exif=True))
    stored = Image.open(io.BytesIO(done.jpeg))
    assert stored.format == "JPEG" and not stored.getexif()
    assert done.taken_at == datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # 09:30 in Quảng Ngãi
    assert (done.latitude, done.longitude) == (pytest.approx(15.125), pytest.approx(108.8))


def test_resized_to_a_long_side_of_1600_and_small_photos_kept():
    big = photos.process(photo(2, (4000, 3000)))
    assert (big.width, big.height) == (1600, 1200)
    small = photos.process(photo(3, (800, 1200), fmt="PNG"))
    assert (small.width, small.height) == (800, 1200) and small.taken_at is None and small.latitude is None


async def test_the_same_bytes_are_stored_once(db, tmp_path):
    data = photo(4)
    async with db.session() as session:
        first = await photos.store(session, tmp_path / "media", data, NOW)
        again = await photos.store(session, tmp_path / "media", data, NOW)
        await session.commit()
    assert first.id == again.id
    files = list((tmp_path / "media").rglob("*.jpg"))
    assert [f.name for f in files] == [f"{first.sha256}.jpg"]
    assert Image.open(files[0]).size == (1200, 900)


def test_a_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(photos.PhotoError) as err:
        photos.process(out.getvalue())
    assert err.value.reason == "too_many_pixels"


@pytest.mark.parametrize("data", [b"", b"hello, not a picture", photo(5)[:2000]])
def test_non_images_and_broken_files_are_refused(data):
    with pytest.raises(photos.PhotoError) as err:
        photos.process(data)
    assert err.value.reason == "not_image"


def test_files_over_20_mb_are_refused_before_decoding():
    with pytest.raises(photos.PhotoError) as err:
        photos.process(photo(6) + b"\0" * (20 * 1024 * 1024))
    assert err.value.reason == "too_large"


def test_near_duplicates_are_close_and_different_photos_are_not():
    original = photos.process(photo(7)).dhash
    assert photos.distance(original, photos.process(reencoded(photo(7), 0.4, 50)).dhash) <= photos.DUPLICATE_DISTANCE
    others = [photos.distance(original, photos.process(photo(seed)).dhash) for seed in range(100, 120)]
    assert min(others) > photos.DUPLICATE_DISTANCE


async def _report_with(session, photo_id: int, key: str) -> Report:
    from bot.db.models import Member, Team

    team = (await session.get(Team, 1))
    member = Member(full_name="Người Thử", team_id=team.id, created_at=NOW)
    session.add(member)
    await session.flush()
    report = Report(team_id=team.id, unit_path="/1/", type_id="other", activity_date=NOW.date(), counts={},
                    filed_by_member_id=member.id, draft_key=key, created_at=NOW)
    session.add(report)
    await session.flush()
    session.add(ReportPhoto(report_id=report.id, photo_id=photo_id))
    await session.flush()
    return report


async def test_a_photo_used_in_another_report_is_found(demo_roster, tmp_path):
    async with demo_roster.session() as session:
        used = await photos.store(session, tmp_path, photo(8), NOW)
        earlier = await _report_with(session, used.id, "k1")
        copy = await photos.store(session, tmp_path, reencoded(photo(8)), NOW)
        fresh = await photos.store(session, tmp_path, photo(9), NOW)
        assert copy.id != used.id
        assert await photos.used_elsewhere(session, [copy.id, fresh.id], report_id=0) == {copy.id: earlier.id}
        assert await photos.used_elsewhere(session, [used.id], report_id=earlier.id) == {}
