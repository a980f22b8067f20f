"""Issue 15 item 10: the web chat greets a first-time visitor at once, and its frame follows the member's language."""

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.web import OPENED, WebChannel
from bot.config import Settings
from bot.core.messages import Outbound
from bot.web.chat_identity import COOKIE
from tests.browser import launch_browser, requires_chromium, screenshot_path
from tests.handlers.test_register import invite

NARROW_PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
                "has_touch": True}


async def test_a_fresh_tab_asks_for_a_greeting_and_a_reconnect_does_not(tmp_path):
    received = []

    async def sink(inbound):
        received.append(inbound)

    async def english(channel: str, chat: str) -> str | None:
        return "en" if chat == "chat-known-0001" else None

    channel = WebChannel(tmp_path / "media", english)
    app = web.Application()
    channel.setup_routes(app)
    await channel.start(sink)
    async with TestClient(TestServer(app)) as client:
        def tab(chat: str) -> dict[str, str]:  # the headers of that chat's page: its cookie, our origin
            return {"Cookie": f"{COOKIE}={channel.identity.sign(chat)}", "Origin": str(client.make_url("")).rstrip("/")}

        ws = await client.ws_connect("/chat/ws", headers=tab("chat-new-00001"))
        await ws.send_json({"type": "hello", "lang": "en", "fresh": True})
        assert await ws.receive_json(timeout=2) == {"type": "ready"}
        await ws.close()
        ws = await client.ws_connect("/chat/ws", headers=tab("chat-new-00001"))  # a dropped connection: not fresh
        await ws.send_json({"type": "hello", "lang": "en", "fresh": False})
        await ws.receive_json(timeout=2)
        await ws.close()
        await channel.send("chat-known-0001", Outbound("kept while the tab was closed"))
        ws = await client.ws_connect("/chat/ws", headers=tab("chat-known-0001"))
        await ws.send_json({"type": "hello", "fresh": True})
        assert await ws.receive_json(timeout=2) == {"type": "ready", "lang": "en"}
        assert (await ws.receive_json(timeout=2))["lang"] == "en"  # the backlog is on screen now: no greeting
        await asyncio.sleep(0.1)
        await ws.close()
    await channel.stop()
    assert [(i.external_id, i.payload) for i in received] == [("chat-new-00001", f"{OPENED}:en")]


@requires_chromium
async def test_a_newcomer_is_greeted_at_once_and_the_page_follows_their_language(demo_roster, tmp_path):
    from playwright.async_api import expect

    code = await invite(demo_roster, "21409-03")
    app = create_app(Settings(database_url=demo_roster.url, web_port=0, media_dir=tmp_path / "media"))
    await app.start()
    try:
        async with launch_browser() as browser:
            page = await (await browser.new_context(**NARROW_PHONE)).new_page()
            await page.goto(f"{app.url}/chat")
            bot = page.locator(".bubble.bot")
            await expect(bot.first).to_contain_text("Chào mừng bạn đến với cdsbot")  # nothing typed yet
            await expect(bot.first).to_contain_text("gõ mã mời 8 ký tự")
            assert await bot.count() == 1 and await page.get_attribute("html", "lang") == "vi"
            await page.screenshot(path=str(screenshot_path("first-use-greeting-360.png")))

            for typed in (code, "Võ Thị Hoa"):
                await page.fill("#input", typed)
                await page.press("#input", "Enter")
            await expect(bot.last).to_contain_text("gõ số điện thoại")
            assert "chia sẻ" not in (await bot.last.inner_text()).lower()
            await page.locator(".buttons button", has_text="Bỏ qua").last.click()
            await page.locator(".buttons button", has_text="Xác nhận").last.click()
            await page.locator(".buttons button", has_text="Ngôn ngữ").last.click()
            await page.locator(".buttons button", has_text="English").last.click()
            await expect(bot.last).to_contain_text("What would you like to do?")
            await expect_english_frame(page)

            await page.reload()  # a blank page again: the member is welcomed back, in English from the start
            await expect(page.locator(".bubble.bot").first).to_contain_text("Welcome back, Võ Thị Hoa!")
            await expect_english_frame(page)
            await page.screenshot(path=str(screenshot_path("first-use-english-360.png")))
    finally:
        await app.stop()


@requires_chromium
async def test_a_visitor_on_the_english_page_is_greeted_in_english(demo_roster, tmp_path):
    from playwright.async_api import expect

    app = create_app(Settings(database_url=demo_roster.url, web_port=0, media_dir=tmp_path / "media"))
    await app.start()
    try:
        async with launch_browser() as browser:
            page = await (await browser.new_context(**NARROW_PHONE)).new_page()
            await page.goto(f"{app.url}/chat?lang=en")
            await expect(page.locator(".bubble.bot").first).to_contain_text("To join, type your team's 8-character")
            await expect_english_frame(page)
    finally:
        await app.stop()


async def expect_english_frame(page) -> None:
    from playwright.async_api import expect

    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#status")).to_have_text("online")
    await expect(page.locator("#input")).to_have_attribute("placeholder", "Type a message…")
    await expect(page.locator("#send")).to_have_text("Send")
