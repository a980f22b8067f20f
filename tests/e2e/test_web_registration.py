"""A newcomer opens the local web chat in a real browser, registers with an invite code and uses the menu."""

from playwright.async_api import expect

from bot.app import create_app
from bot.config import Settings
from tests.browser import launch_browser, requires_chromium, screenshot_path
from tests.handlers.test_register import invite

pytestmark = requires_chromium
PHONE = {"viewport": {"width": 390, "height": 760}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


async def test_register_in_the_web_chat_and_press_a_menu_button(demo_roster, tmp_path):
    code = await invite(demo_roster, "21409-03")
    app = create_app(Settings(database_url=demo_roster.url, web_port=0, media_dir=tmp_path / "media"))
    await app.start()
    try:
        async with launch_browser() as browser:
            page = await (await browser.new_context(**PHONE)).new_page()
            await page.goto(f"{app.url}/chat")
            await expect(page.locator("#status")).to_have_text("trực tuyến")
            bot = page.locator(".bubble.bot")

            await page.fill("#input", "xin chào")
            await page.press("#input", "Enter")
            await expect(bot.last).to_contain_text("mã mời 8 ký tự")
            await page.fill("#input", code)
            await page.press("#input", "Enter")
            await expect(bot.last).to_contain_text("Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức")
            await page.fill("#input", "Võ Thị Hoa")
            await page.press("#input", "Enter")
            await page.locator(".buttons button", has_text="Bỏ qua").last.click()
            await expect(bot.last).to_contain_text("Họ tên: Võ Thị Hoa")
            await page.locator(".buttons button", has_text="Xác nhận").last.click()
            await expect(bot.last).to_contain_text("Chào mừng Võ Thị Hoa gia nhập tổ")
            await page.locator(".buttons button", has_text="Tổ của tôi").last.click()
            await expect(bot.last).to_contain_text("Tổ CNSCĐ Thôn 3")
            await expect(bot.last).to_contain_text("1 thành viên")
            await page.screenshot(path=str(screenshot_path("registration.png")))
    finally:
        await app.stop()
