"""Issue 13 in a real Chromium: the officer answers difficulties and recommendations, edits base figures (a bad
one is named), previews a CSV, reads % of target on the roll-up and the report duties; the department words a
commune's answer. Screenshots at 360 px and 1366 px go to /tmp/o-shots/ (CDSBOT_TEST_SHOTS to change it)."""

import os
from datetime import date
from pathlib import Path

from aiohttp import web

from bot.delivery.sender import Outbox
from bot.web.console import create_console, mount
from tests.browser import requires_chromium, serve, shoot, signed_in
from tests.web.conftest import add_member, console_settings
from tests.web.test_home_browser import link_for
from tests.web.test_rollup import add_report
from tests.web.test_written_parts import chat_answer

pytestmark = requires_chromium
SHOTS = Path(os.environ.get("CDSBOT_TEST_SHOTS", "/tmp/o-shots"))
CSV = "code,population,households\n21409-01,1200,300\n21409-02,abc,10\n21412,5,5\n"


async def _data(db) -> None:
    author = await add_member(db, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    await add_report(db, "21409-01", author, date(2026, 10, 5), "results",
                     {"activated": 40, "dossiers": 3, "shops_listed": 1})
    await chat_answer(db, "21409", "difficulties", "Sóng điện thoại yếu ở thôn 4", date(2026, 10, 11))


async def _signed_in(browser, base: str, db, role: str):
    return await signed_in(browser, base, await link_for(db, role))


async def test_the_commune_officer_and_the_department_in_the_browser(browser, demo_roster, clock, people):
    await _data(demo_roster)
    app = web.Application()
    mount(app, create_console(demo_roster, console_settings(), clock, Outbox(demo_roster, {}, clock)))
    async with serve(app) as base:
        context, page = await _signed_in(browser, base, demo_roster, "officer")
        await page.click("nav.nav a:text('Khó khăn, kiến nghị')")
        await page.goto(base + "/admin/written?unit=21409&period=campaign:national-dx-day:2026")
        assert await page.input_value("#written-difficulties") == "Sóng điện thoại yếu ở thôn 4"
        await page.fill("#written-recommendations", "Đề nghị hỗ trợ kinh phí mua điện thoại cho tổ")
        await page.click("#written-submit")
        await page.wait_for_selector("#written-saved")
        await shoot(page, SHOTS, "written-form")

        await page.goto(base + "/admin/bases?unit=21409")
        await page.fill("input[name='population:21409-01']", "-3")
        await page.click("#bases-submit")
        assert "dân số phải là số nguyên lớn hơn 0" in await page.inner_text("#bases")
        await shoot(page, SHOTS, "bases-error")
        await page.fill("input[name='population:21409-01']", "1.200")
        await page.fill("input[name='households:21409-01']", "300")
        await page.click("#bases-submit")
        await page.wait_for_selector("#bases-saved")
        await page.set_input_files("#bases-file", files=[{"name": "bases.csv", "mimeType": "text/csv",
                                                          "buffer": CSV.encode()}])
        await page.click("#bases-preview")
        refused = await page.inner_text(".bases-refused")
        assert "dân số phải là số nguyên" in refused and "21412 nằm ngoài phạm vi" in refused
        await shoot(page, SHOTS, "bases-csv-preview")

        await page.goto(base + "/admin/reports/rollup?unit=21409&period=campaign:national-dx-day:2026")
        village1 = await page.inner_text("#rollup-targets tr[data-code='21409-01']")
        assert "13,3%" in village1  # 40 activated of 25 % × 1.200 people
        assert "chưa có số liệu nền" in await page.inner_text("#rollup-targets tr[data-code='21409-02']")
        await page.locator("#targets").scroll_into_view_if_needed()
        await shoot(page, SHOTS, "rollup-targets")

        await page.goto(base + "/admin/duties?year=2026")
        await shoot(page, SHOTS, "duties")
        await page.click("#duties tr[data-key='campaign:national-dx-day:2026'] a")
        await page.wait_for_selector("#missing-teams")
        assert "Thôn 2" in await page.inner_text("#missing-teams")
        await shoot(page, SHOTS, "duty-dx-day")
        await context.close()

        context, page = await _signed_in(browser, base, demo_roster, "admin")
        await page.goto(base + "/admin/written/gathered?unit=51&period=campaign:national-dx-day:2026")
        await page.fill("#wording-21409-difficulties", "Sóng điện thoại yếu ở một số thôn.")
        await page.click("#unit-21409 button.primary")
        await page.wait_for_selector("#unit-21409 .notice")
        assert await page.input_value("#wording-21409-difficulties") == "Sóng điện thoại yếu ở một số thôn."
        await shoot(page, SHOTS, "written-gathered")
        await context.close()
