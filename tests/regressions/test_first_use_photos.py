"""Issue 15 item 13: a non-photo file is called that, no 6th photo is invited, a loose photo can start a report."""

import hashlib

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.channels.web import WebChannel
from bot.db.reports import Photo, ReportPhoto
from tests.browser import requires_chromium, serve
from tests.chat import Harness
from tests.handlers.test_report import join, put_photo, stored_reports, to_count
from tests.report_images import photo


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def test_a_file_that_is_not_a_photo_is_called_that_in_the_report(harness):
    chat = await join(harness, "p1", "Đặng Thị Giang")
    await chat.send(payload="lang:vi")
    await to_count(chat)
    await chat.send("4")
    await chat.send(photo=put_photo(harness, "doc", b"%PDF-1.7 a document, not a picture"))
    assert "không phải là ảnh" in chat.text and "20 MB" not in chat.text


async def test_the_fifth_photo_does_not_invite_a_sixth(harness):
    chat = await join(harness, "p2", "Đặng Thị Giang")
    await to_count(chat)
    await chat.send("4")
    for n in range(1, 5):
        await chat.send(photo=put_photo(harness, f"five{n}", photo(40 + n)))
        assert "Send another one" in chat.text
    await chat.send(photo=put_photo(harness, "five5", photo(45)))
    assert "Photo 5 received" in chat.text and "Send another" not in chat.text
    assert "the most a report can have" in chat.text and chat.payloads == ["report:photos_done"]


async def test_a_photo_sent_outside_a_flow_can_start_a_report_as_its_first_photo(harness):
    chat = await join(harness, "p3", "Đặng Thị Giang")
    await chat.send(photo=put_photo(harness, "loose", photo(77)))
    assert "send a report with it?" in chat.text
    await chat.tap("report:with_photo")
    assert "What did you do?" in chat.text
    await chat.tap("report:type:public_services")
    await chat.tap("report:date:today")
    await chat.send("9")
    assert "Photo 1 received" in chat.text and chat.payloads == ["report:photos_done"]
    await chat.send(photo=put_photo(harness, "second", photo(78)))
    assert "Photo 2 received" in chat.text
    await chat.tap("report:photos_done")
    await chat.tap("report:skip_note")
    assert "Photos: 2" in chat.text
    await chat.tap("report:send")
    [report] = await stored_reports(harness.db)
    async with harness.db.session() as session:
        first = (await session.execute(select(Photo.sha256).join(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                       .order_by(ReportPhoto.position))).scalars().first()
    assert first == hashlib.sha256(photo(77)).hexdigest()


async def test_declining_the_offer_keeps_the_member_in_the_menu(harness):
    chat = await join(harness, "p4", "Đặng Thị Giang")
    await chat.send(photo=put_photo(harness, "loose2", photo(79)))
    await chat.tap("menu:main")
    assert "menu:report" in chat.payloads
    await chat.send(payload="report:with_photo")  # the old offer, tapped after leaving it: no report from it
    assert "What did you do?" not in chat.text


@requires_chromium
async def test_the_web_page_says_a_chosen_file_is_not_a_photo(tmp_path):
    from playwright.async_api import expect

    from tests.browser import launch_browser

    async def quiet(_inbound) -> None:
        return None

    channel = WebChannel(tmp_path / "media")
    app = web.Application()
    channel.setup_routes(app)
    await channel.start(quiet)
    document = tmp_path / "ke-hoach.pdf"
    document.write_bytes(b"%PDF-1.7 a document, not a picture")
    async with serve(app) as url, launch_browser() as browser:
        page = await browser.new_page()
        await page.goto(f"{url}/chat")
        await expect(page.locator("#status")).to_have_text("trực tuyến")
        await page.set_input_files("#photo", str(document))
        await expect(page.locator(".note")).to_have_text("Tệp này không phải là ảnh. Bạn chọn một ảnh "
                                                         "(JPEG, PNG, GIF hoặc WebP) nhé.")
        await channel.stop()
