"""The chat page in headless Chromium: typing, buttons, photos, separate tabs, and a screenshot to look at."""

import struct
import zlib

import pytest
from aiohttp import web

from bot.channels.web import OPENED, WebChannel
from bot.core.messages import Button, Inbound, Outbound
from tests.browser import requires_chromium, screenshot_path, serve

pytestmark = requires_chromium
PHONE = {"viewport": {"width": 390, "height": 760}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def small_png(width: int = 64, height: int = 40) -> bytes:
    """A valid gradient PNG, so the thumbnail really renders."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes((x * 4, 120 + y * 3, 200)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class EchoBot:
    """Answers every inbound through the channel, with two buttons, like a real flow would."""

    def __init__(self, channel: WebChannel):
        self.channel = channel
        self.received: list[Inbound] = []
        self.opened: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> None:
        if (inbound.payload or "").startswith(OPENED):  # a fresh tab's greeting request: the bot stays quiet
            self.opened.append(inbound)
            return
        self.received.append(inbound)
        said = inbound.text or ""
        if inbound.payload:
            said = f"nút {inbound.payload}"
        elif inbound.photo:
            said = f"ảnh {said}".strip()
        buttons = [[Button("echo:yes", "Đồng ý"), Button("echo:no", "Không")]]
        await self.channel.send(inbound.external_id, Outbound(f"Bạn gửi: {said}\nChọn tiếp:", buttons))


@pytest.fixture
async def site(tmp_path):
    """The web channel with an echo bot, served on a local port: (base URL, bot)."""
    channel = WebChannel(tmp_path / "media")
    bot = EchoBot(channel)
    app = web.Application()
    channel.setup_routes(app)
    await channel.start(bot)
    async with serve(app) as url:
        yield url, bot
        await channel.stop()  # close the sockets first, or the server waits for them on shutdown


async def open_chat(browser, url: str):
    """A fresh phone-sized tab (its own context, so its own chat cookie) showing the chat, online."""
    from playwright.async_api import expect

    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(f"{url}/chat")
    await expect(page.locator("#status")).to_have_text("trực tuyến")
    return page


async def test_member_types_taps_a_button_and_sends_a_photo(browser, site, tmp_path):
    from playwright.async_api import expect

    url, bot = site
    page = await open_chat(browser, url)
    await page.fill("#input", "Xin chào <b>bot</b>")
    await page.press("#input", "Enter")
    await expect(page.locator(".bubble.me").last).to_contain_text("Xin chào <b>bot</b>")
    await expect(page.locator(".bubble.bot").last).to_contain_text("Bạn gửi: Xin chào <b>bot</b>")
    await expect(page.locator(".msg.bot .buttons button")).to_have_count(2)
    assert await page.locator("#messages b").count() == 0  # text is escaped, never HTML

    await page.locator(".buttons button", has_text="Đồng ý").first.click()
    await expect(page.locator(".bubble.me").last).to_contain_text("Đồng ý")
    await expect(page.locator(".bubble.bot").last).to_contain_text("Bạn gửi: nút echo:yes")
    assert bot.received[-1].payload == "echo:yes"

    photo = tmp_path / "lop-hoc.png"
    photo.write_bytes(small_png())
    await page.fill("#input", "Lớp học")
    await page.set_input_files("#photo", str(photo))
    await expect(page.locator(".bubble.me img")).to_have_count(1)
    await expect(page.locator(".bubble.bot").last).to_contain_text("Bạn gửi: ảnh Lớp học")
    assert bot.received[-1].text == "Lớp học" and bot.received[-1].photo

    await page.screenshot(path=str(screenshot_path("chat.png")))


async def test_two_browsers_are_two_chats_and_reload_keeps_the_chat(browser, site):
    from playwright.async_api import expect

    url, bot = site
    first, second = await open_chat(browser, url), await open_chat(browser, url)
    await first.fill("#input", "tôi là A")
    await first.click("#send")
    await expect(first.locator(".bubble.bot")).to_contain_text("tôi là A")
    await second.fill("#input", "tôi là B")
    await second.click("#send")
    await expect(second.locator(".bubble.bot")).to_contain_text("tôi là B")

    assert "tôi là B" not in await first.locator("#messages").inner_text()
    assert "tôi là A" not in await second.locator("#messages").inner_text()
    chat_a, chat_b = (i.external_id for i in bot.received)
    assert chat_a != chat_b

    await first.reload()
    await expect(first.locator("#status")).to_have_text("trực tuyến")
    await first.fill("#input", "vẫn là A")
    await first.press("#input", "Enter")
    await expect(first.locator(".bubble.bot")).to_contain_text("vẫn là A")
    assert bot.received[-1].external_id == chat_a


async def test_page_reconnects_and_gets_what_was_sent_meanwhile(browser, site):
    from playwright.async_api import expect

    url, bot = site
    page = await open_chat(browser, url)
    await page.fill("#input", "trước")
    await page.press("#input", "Enter")
    await expect(page.locator(".bubble.bot")).to_have_count(1)
    chat = bot.received[0].external_id
    await bot.channel.stop()  # every socket drops; the page shows it and retries
    await expect(page.locator("#status")).to_have_text("đang kết nối…")
    await bot.channel.send(chat, Outbound("trong lúc mất kết nối"))
    await bot.channel.start(bot)
    await expect(page.locator("#status")).to_have_text("trực tuyến", timeout=10_000)
    await expect(page.locator(".bubble.bot").last).to_contain_text("trong lúc mất kết nối")
