"""Schedules in a real Chromium: the department sets next year's DX week in the console, arms the DX Day plan
with the year's theme, and finds the sends on the month view (a grid on a desktop, a list on a phone).
Screenshots at 360 px and 1366 px land in var/screenshots/console/."""

import pytest
from sqlalchemy import select

from bot.db.schedules import Schedule
from tests.browser import launch_browser, requires_chromium, serve
from tests.web.conftest import console_app
from tests.web.test_home_browser import link_for
from tests.web.test_rollup_browser import shoot

pytestmark = requires_chromium
THEME = "Dữ liệu số và Liên kết vùng trong chuyển đổi số"


@pytest.fixture
async def browser():
    async with launch_browser() as chromium:
        yield chromium


async def test_the_department_sets_the_dx_week_arms_and_sees_the_month(browser, demo_roster, clock, people):
    async with serve(console_app(demo_roster, clock)) as base:
        context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
        try:
            page = await context.new_page()
            await page.goto(base + await link_for(demo_roster, "admin"))
            await page.wait_for_url(base + "/admin/")
            await page.click("nav a[href='/admin/schedules']")
            await page.wait_for_selector("#month-title")
            await page.goto(base + "/admin/schedules/calendar/2027")
            await page.fill("#week_start", "2027-09-24")
            await page.fill("#week_end", "2027-10-01")
            await page.fill("#cal_theme_vi", THEME)
            await shoot(page, "schedules-calendar")
            await page.click("#save-calendar")
            await page.wait_for_selector("#done")
            assert "24/09/2027 – 01/10/2027" in await page.inner_text("#fact-week")
            assert await page.input_value("#theme_vi") == THEME  # the arm form asks for the theme, filled in
            await page.fill("#theme_vi", "")
            await page.click("#arm-button")
            assert "Nothing was armed" not in await page.inner_text("#plan-error")  # in Vietnamese
            assert "Chưa kích hoạt gì cả" in await page.inner_text("#plan-error")
            await page.fill("#theme_vi", THEME)
            await page.click("#arm-button")
            await page.wait_for_selector("#done")
            assert "24/09/2027" in await page.inner_text("#step-dx-week-start")
            await shoot(page, "schedules-plan")
            await page.goto(base + "/admin/schedules?month=2027-09")
            assert await page.is_visible(".month-grid")
            assert "dx-week-start" in await page.inner_text(".month-grid")
            await shoot(page, "schedules-month")
            await page.set_viewport_size({"width": 360, "height": 900})
            assert not await page.is_visible(".month-grid")  # a phone gets the list
            assert await page.is_visible("#schedule-list")
        finally:
            await context.close()
    async with demo_roster.session() as session:
        keys = list((await session.execute(select(Schedule.key))).scalars())
    assert "national-dx-day:2027:dx-week-start" in keys
