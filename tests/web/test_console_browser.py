"""The console in a real browser (Debian's chromium): sign in by a link the web chat receives, scope, CSRF, sign-out.

Screenshots of every page go to var/screenshots/console/ for people to look at.
"""

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from bot.app import create_app
from bot.db.console import ConsoleAccount
from bot.services import accounts, signin
from bot.web.chat_identity import COOKIE
from tests.browser import launch_browser, requires_chromium, screenshot_path
from tests.web.conftest import COMMUNE, OTHER_COMMUNE, console_settings
from tests.web.test_languages import raw_ids

pytestmark = requires_chromium
PHONE = {"viewport": {"width": 360, "height": 760}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "vi-VN"}
DESKTOP = {"viewport": {"width": 1366, "height": 800}, "locale": "vi-VN"}
LINK = re.compile(r"http://[^\s]+/admin/signin/t/[A-Za-z0-9_-]+")


def shot(name: str) -> str:
    """Where a console screenshot goes (var/screenshots/console/<name>.png)."""
    path = screenshot_path(f"console/{name}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


@pytest.fixture
async def app(demo_roster, people, tmp_path):
    """cdsbot serving the chat and the console on a free port."""
    running = create_app(console_settings(database_url=demo_roster.url, web_port=0, media_dir=tmp_path / "media"))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def browser():
    async with launch_browser() as started:
        yield started


async def link_through_the_web_chat(browser, app, phone: str, chat: str, console_page) -> str:
    """Ask for a link on the sign-in page; read it where the person reads it: their web chat."""
    context = await browser.new_context(**PHONE)
    cookie = app.channels["web"].identity.sign(chat)  # the chat's browser: it holds that chat's signed cookie
    await context.add_cookies([{"name": COOKIE, "value": cookie, "url": f"{app.url}/chat"}])
    chat_page = await context.new_page()
    await chat_page.goto(f"{app.url}/chat")
    await expect(chat_page.locator("#status")).to_have_text("trực tuyến")
    await console_page.goto(f"{app.url}/")
    await console_page.fill("#who", phone)
    await console_page.click("button[type=submit] >> nth=0")
    await expect(console_page.locator("#sent")).to_be_visible()
    bubble = chat_page.locator(".bubble.bot", has_text="/admin/signin/t/")
    await expect(bubble).to_have_count(1)
    await chat_page.screenshot(path=shot("link-in-web-chat"))
    link = LINK.search(await bubble.inner_text()).group(0)
    await chat_page.context.close()
    return link


async def signed_in(browser, app, people, who: str, viewport=DESKTOP):
    """A page signed in as `who` by the link the web chat received, and that (now spent) link."""
    page = await (await browser.new_context(**viewport)).new_page()
    phone, chat = people[who]
    link = await link_through_the_web_chat(browser, app, phone, chat, page)
    await page.goto(link)
    await page.wait_for_url(f"{app.url}/admin/")
    return page, link


async def signed_in_page(browser, app, people, who: str, viewport=DESKTOP):
    """A page signed in as `who`."""
    return (await signed_in(browser, app, people, who, viewport))[0]


async def no_horizontal_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= await page.evaluate("window.innerWidth"), f"page is {width}px wide"


async def test_sign_in_by_a_link_the_web_chat_receives(browser, app, people):
    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(f"{app.url}/")
    await expect(page.locator("h1")).to_have_text("Đăng nhập trang quản trị")
    await page.screenshot(path=shot("signin-360"), full_page=True)
    phone, chat = people["admin"]
    link = await link_through_the_web_chat(browser, app, phone, chat, page)
    await page.screenshot(path=shot("signin-sent-360"), full_page=True)
    await page.goto(link)  # the page signs in by itself (a link preview that only fetches it would not)
    await page.wait_for_url(f"{app.url}/admin/")
    await expect(page.locator(".me summary")).to_have_text("Trần Thị Admin")
    assert await raw_ids(page, "vi") == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
async def test_home_page_fits_the_screen(browser, app, people, viewport):
    page = await signed_in_page(browser, app, people, "admin", viewport)
    await no_horizontal_scroll(page)
    await page.screenshot(path=shot(f"home-{viewport['viewport']['width']}"), full_page=True)
    for name in ("audit", "accounts", f"units/{COMMUNE}"):
        await page.goto(f"{app.url}/admin/{name}")
        await no_horizontal_scroll(page)
        await page.screenshot(path=shot(f"{name.replace('/', '-')}-{viewport['viewport']['width']}"), full_page=True)


async def test_an_officer_sees_their_commune_and_not_another(browser, app, people):
    page = await signed_in_page(browser, app, people, "officer", PHONE)
    await page.screenshot(path=shot("officer-home-360"), full_page=True)
    own = await page.goto(f"{app.url}/admin/units/{COMMUNE}")
    assert own.status == 200
    await expect(page.locator("h1")).to_have_text("Xã Đức Nhuận")
    other = await page.goto(f"{app.url}/admin/units/{OTHER_COMMUNE}")
    assert other.status == 403
    await expect(page.locator("h1")).to_have_text("Không được phép")
    assert "Đức Chánh" not in await page.content()
    await page.screenshot(path=shot("forbidden-360"), full_page=True)
    assert (await page.goto(f"{app.url}/admin/accounts")).status == 403


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(browser, app, people, demo_roster):
    page = await signed_in_page(browser, app, people, "admin")
    await page.goto(f"{app.url}/admin/accounts")
    await page.check("input[value=staff]")
    await page.fill("#email", "nguoi.moi@quangngai.gov.vn")
    await page.fill("#name", "Người Mới")
    await page.fill("#password", "mật khẩu đủ dài")
    await page.fill("#unit", COMMUNE)
    await page.evaluate("document.querySelector('#add input[name=csrf_token]').remove()")
    await page.click("#add button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Biểu mẫu đã hết hạn")
    await page.screenshot(path=shot("csrf-refused"), full_page=True)
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(ConsoleAccount)) == 2
    await page.go_back()
    await page.reload()
    await page.check("input[value=staff]")
    for field, value in (("#email", "nguoi.moi@quangngai.gov.vn"), ("#name", "Người Mới"),
                         ("#password", "mật khẩu đủ dài"), ("#unit", COMMUNE)):
        await page.fill(field, value)
    await page.click("#add button[type=submit]")
    await expect(page.locator(".notice")).to_contain_text("Người Mới")


async def test_a_used_or_expired_link_is_refused(browser, app, people, demo_roster):
    _page, used = await signed_in(browser, app, people, "officer")
    async with demo_roster.session() as session:
        account = (await session.execute(select(ConsoleAccount).where(ConsoleAccount.role == "admin"))).scalar_one()
        expired = await signin.issue_link(session, account, app.clock.now() - timedelta(minutes=10, seconds=1))
        await session.commit()
    other = await (await browser.new_context(**DESKTOP)).new_page()
    for link in (used, f"{app.url}/admin/signin/t/{expired}"):
        response = await other.goto(link)
        assert response.status == 400
        await expect(other.locator("#invalid")).to_be_visible()
        assert await raw_ids(other, "vi") == []
    await other.screenshot(path=shot("link-refused"), full_page=True)
    await other.goto(f"{app.url}/admin/audit")
    assert other.url.endswith("/admin/signin")


async def test_sign_out_ends_the_session(browser, app, people):
    page = await signed_in_page(browser, app, people, "admin")
    await page.click(".me summary")
    await page.click("#signout")
    await page.wait_for_url(re.compile(r"/admin/signin\?out=1$"))
    await expect(page.locator(".notice")).to_have_text("Bạn đã đăng xuất.")
    await page.goto(f"{app.url}/admin/audit")
    assert page.url.endswith("/admin/signin")


async def test_english_is_one_switch_away_and_remembered(browser, app, people):
    page = await signed_in_page(browser, app, people, "admin")
    await page.click("button[name=lang][value=en]")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    for name in ("", "audit", "accounts", f"units/{COMMUNE}"):
        await page.goto(f"{app.url}/admin/{name}")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        assert await raw_ids(page, "en") == [], name
        await page.screenshot(path=shot(f"en-{name.replace('/', '-') or 'home'}-1366"), full_page=True)
    async with app.db.session() as session:
        account = await accounts.active_account(session, 1)
    assert account.locale == "en"


async def test_the_audit_log_filters_as_you_choose(browser, app, people):
    page = await signed_in_page(browser, app, people, "admin")
    await page.goto(f"{app.url}/admin/audit")
    rows = page.locator("#entries tbody tr")
    await expect(rows).to_have_count(2)  # the roster import and this sign-in
    await page.select_option("select[name=action]", "signin")  # htmx swaps the list in, no button needed
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Đã đăng nhập")
    assert "action=signin" in page.url
    async with page.expect_download() as download:
        await page.click("#csv")
    assert (await download.value).suggested_filename.startswith("cdsbot-audit-")
