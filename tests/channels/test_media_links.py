"""Links to local photos live in the database: any process serves them, until they expire and are deleted."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.channels.media_links import LIFETIME, REUSE_FOR, MediaLinks
from bot.channels.zalo_bot import ZaloBotChannel
from bot.clock import FakeClock
from bot.core.messages import Outbound
from bot.db.session import Database
from bot.db.shared import MediaLink
from tests.channels.zalo_bot.test_outgoing import assert_served
from tests.fakes.zalo_bot_api import FakeZaloBot

PUBLIC = "https://cds.example.vn"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes"
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_a_zalo_bot_photo_link_made_by_one_process_is_served_by_another(any_db, tmp_path):
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    other_db = Database(any_db.url)  # the second process's own engine
    async with FakeZaloBot() as api:
        sending = ZaloBotChannel(api.token, api.url, public_url=PUBLIC, db=any_db)
        serving = ZaloBotChannel(api.token, api.url, public_url=PUBLIC, db=other_db)
        await sending.send("a1b2c3d4e5f6a7b8c9d0", Outbound("Lịch tập huấn", photo=str(photo)))
        url = api.calls[0].params["photo"]
        await assert_served(serving, url)
        await sending.stop()
        await serving.stop()
    await other_db.dispose()


async def test_links_expire_and_are_deleted(db, tmp_path):
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    clock = FakeClock(START)
    links = MediaLinks("zalo_bot", db, clock)
    token = await links.token_for(photo)
    assert await links.token_for(photo) == token  # the same file keeps its link
    assert await MediaLinks("web", db, clock).path_of(token) is None  # another channel's route does not serve it
    clock.advance(seconds=(LIFETIME - REUSE_FOR).total_seconds() + 1)
    renewed = await MediaLinks("zalo_bot", db, clock).token_for(photo)  # too little left: a new link
    assert renewed != token and await links.path_of(token) == photo  # the old one still works until it expires
    clock.advance(seconds=REUSE_FOR.total_seconds())
    assert await links.path_of(token) is None and await links.path_of(renewed) == photo
    await MediaLinks("zalo_bot", db, clock).token_for(tmp_path / "other.jpg")  # making a link deletes expired ones
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(MediaLink)) == 2


@pytest.mark.parametrize("chars", ["", "x" * 200, "../../etc/passwd"])
async def test_names_that_are_no_link_are_not_served(db, chars):
    assert await MediaLinks("zalo_bot", db).path_of(chars) is None
