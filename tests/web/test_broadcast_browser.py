"""Broadcasts in a real Chromium: a commune officer composes to their commune (phone preview, live count), confirms,
sends, and watches the progress page reach 100 % without reloading while the web chat sends at 4 messages a second,
pausing and resuming on the way (and, in a second test, with Telegram deliveries through the local fake Bot
API counted live); their picker shows only their subtree and a forged POST to another unit is
refused. Screenshots at 360 px and 1366 px land in var/screenshots/console/."""

import asyncio

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.channels.base import Limits
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChannel
from bot.db.broadcasts import Broadcast
from bot.db.models import ChannelAccount, Delivery
from bot.delivery.sender import Outbox
from bot.web.console import create_console, mount
from tests.browser import requires_chromium, serve
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.web.conftest import COMMUNE, OTHER_COMMUNE, add_member, console_settings
from tests.web.test_home_browser import link_for
from tests.web.test_rollup_browser import shoot

pytestmark = requires_chromium
MEMBERS = 14  # plus the fixture's admin and officer, both in the commune: 16 messages, 4 s at 4 a second


class PacedWebChat(WebChannel):
    """The web chat, held to 4 messages a second so there is time to watch, pause and resume."""

    limits = Limits(per_second=4)


@pytest.fixture
async def sending(demo_roster, clock, tmp_path):
    """The console with an outbox that really sends over the (paced) web chat."""
    outbox = Outbox(demo_roster, {"web": PacedWebChat(tmp_path)}, clock)
    app = web.Application()
    mount(app, create_console(demo_roster, console_settings(media_dir=tmp_path / "media"), clock, outbox))
    await outbox.start()
    yield app
    await outbox.stop()


async def text_of(page, selector: str) -> str:
    return (await page.inner_text(selector)).strip()


async def until(page, selector: str, check, seconds: float = 20.0) -> str:
    """Poll an element's text until `check` holds (the console's CSP forbids wait_for_function's eval)."""
    for _ in range(int(seconds / 0.1)):
        text = await text_of(page, selector)
        if check(text):
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{selector} stayed at {await text_of(page, selector)!r}")


async def broadcasts(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Broadcast))


async def test_an_officer_composes_sends_and_watches_the_progress(browser, demo_roster, people, sending):
    for i in range(MEMBERS):
        await add_member(demo_roster, COMMUNE + "-02", f"Thành viên {i:02d}", f"+849051110{i:02d}",
                         f"chat-member-{i:04d}")
    await add_member(demo_roster, OTHER_COMMUNE + "-01", "Phạm Văn Xa", "+84905333444", "chat-xa-000001")
    async with serve(sending) as base:
        context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
        try:
            page = await context.new_page()
            await page.goto(base + await link_for(demo_roster, "officer"))
            await page.wait_for_url(base + "/admin/")
            await page.click("nav a[href='/admin/broadcasts']")
            await page.click("#new-broadcast")

            units = await page.eval_on_selector_all("#unit-tree input", "boxes => boxes.map(b => b.value)")
            assert COMMUNE in units and all(u == COMMUNE or u.startswith(COMMUNE + "-") for u in units)
            assert OTHER_COMMUNE not in units

            await page.fill("#text_vi", "Họp triển khai Ngày Chuyển đổi số lúc 8 giờ sáng mai.")
            await page.fill("#text_en", "Meeting tomorrow at 8.")
            await page.check("#ack")
            assert "Ngày Chuyển đổi số" in await text_of(page, "#preview-vi")
            assert await page.is_visible(".preview-ack")
            await page.check(f"#unit-tree input[value='{COMMUNE}']")
            await until(page, "#count-members", lambda text: text == str(MEMBERS + 2))
            assert "4" in await text_of(page, ".count-table")  # the web chat's rate, and its time
            await shoot(page, "broadcast-composer")
            await page.set_viewport_size({"width": 1366, "height": 900})

            token = await page.get_attribute("input[name=csrf_token]", "value")
            forged = await context.request.post(base + "/admin/broadcasts", form={
                "csrf_token": token, "text_vi": "Giả mạo", "unit": OTHER_COMMUNE, "when": "now"})
            assert forged.status == 403 and await broadcasts(demo_roster) == 0

            await page.click("#review")
            assert str(MEMBERS + 2) in await text_of(page, "#count-members")
            await page.click("#send")
            await page.wait_for_url(f"{base}/admin/broadcasts/*")
            await until(page, "#percent", lambda text: 0 < int(text) < 100)
            await page.click("#pause")
            await until(page, "#state", lambda text: text == "Tạm dừng")
            await asyncio.sleep(1.5)  # the messages already handed to the messenger still finish
            paused_at = await text_of(page, "tfoot [data-col=sent]")
            await asyncio.sleep(1.5)
            assert await text_of(page, "tfoot [data-col=sent]") == paused_at and int(paused_at) < MEMBERS + 2
            await shoot(page, "broadcast-progress-paused")
            await page.click("#resume")
            await page.evaluate("window.stillTheSamePage = true")
            await until(page, "#percent", lambda text: text == "100")
            assert await page.evaluate("window.stillTheSamePage === true")  # the stream filled it: no reload
            assert await text_of(page, "tfoot [data-col=sent]") == str(MEMBERS + 2)
            assert await text_of(page, "#state") == "Đã xong"
            await shoot(page, "broadcast-progress")
        finally:
            await context.close()
    async with demo_roster.session() as session:
        chats = set((await session.execute(select(Delivery.external_id).where(Delivery.status == "sent",
                                                                                Delivery.broadcast_id.is_not(None))))
                    .scalars())
    assert "chat-xa-000001" not in chats and len(chats) == MEMBERS + 2


async def on_telegram(db, member_id: int, chat_id: int) -> None:
    """Move the member's messenger account from the web chat to Telegram."""
    async with db.session() as session:
        query = select(ChannelAccount).where(ChannelAccount.member_id == member_id)
        account = (await session.execute(query)).scalar_one()
        account.channel, account.external_id = "telegram", str(chat_id)
        await session.commit()


async def test_progress_counts_telegram_deliveries_live(browser, demo_roster, people, clock, tmp_path):
    telegram_chats = [700100000 + i for i in range(6)]
    for i in range(MEMBERS):
        member = await add_member(demo_roster, COMMUNE + "-02", f"Thành viên {i:02d}", f"+849051110{i:02d}",
                                  f"chat-member-{i:04d}")
        if i < len(telegram_chats):
            await on_telegram(demo_roster, member, telegram_chats[i])
    async with FakeTelegramAPI() as api:
        telegram = TelegramChannel(DEFAULT_TOKEN, api_url=api.url)
        await telegram.start(None)  # sending only, as `cdsbot broadcast send` does
        outbox = Outbox(demo_roster, {"web": PacedWebChat(tmp_path), "telegram": telegram}, clock)
        app = web.Application()
        mount(app, create_console(demo_roster, console_settings(media_dir=tmp_path / "media"), clock, outbox))
        await outbox.start()
        try:
            async with serve(app) as base:
                context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
                page = await context.new_page()
                await page.goto(base + await link_for(demo_roster, "officer"))
                await page.wait_for_url(base + "/admin/")
                await page.goto(base + "/admin/broadcasts")
                await page.click("#new-broadcast")
                await page.fill("#text_vi", "Họp tổ tối nay.")
                await page.check(f"#unit-tree input[value='{COMMUNE}']")
                await until(page, "#count-members", lambda text: text == str(MEMBERS + 2))
                await page.click("#review")
                await page.click("#send")
                await page.wait_for_url(f"{base}/admin/broadcasts/*")
                await page.evaluate("window.stillTheSamePage = true")
                await until(page, "#percent", lambda text: text == "100")
                assert await page.evaluate("window.stillTheSamePage === true")  # the stream filled it: no reload
                assert await text_of(page, "tr[data-channel=telegram] [data-col=sent]") == str(len(telegram_chats))
                assert await text_of(page, "tfoot [data-col=sent]") == str(MEMBERS + 2)
                await context.close()
        finally:
            await outbox.stop()
            await telegram.stop()
    assert sorted(chat for chat, _, _ in api.sent) == telegram_chats
    assert {text for _, text, _ in api.sent} == {"Họp tổ tối nay."}
