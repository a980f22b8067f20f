"""The agencies in a real Chromium: the composer lists them apart from the places and counts a broadcast to them;
the province's roll-up leaves them out until "Include the agencies" is ticked, and their group rolls up on its own.
Screenshots at 360 px and 1366 px land in /tmp/a-shots/ (CDSBOT_TEST_SHOTS overrides)."""

import os
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli.common import import_files
from bot.cli.serving import DEMO_AGENCIES
from bot.delivery.sender import Outbox
from bot.web.console import create_console, mount
from tests.browser import requires_chromium, serve, shoot, signed_in
from tests.fakes.members import add_members
from tests.test_agencies_cli import file_report
from tests.web.conftest import console_settings
from tests.web.test_broadcast_browser import until
from tests.web.test_home_browser import link_for
from tests.web.test_rollup_browser import table

pytestmark = requires_chromium
SHOTS = Path(os.environ.get("CDSBOT_TEST_SHOTS", "/tmp/a-shots"))
ROLLUP = "/admin/reports/rollup?period=2026-11"


@pytest.fixture
async def console(demo_roster, clock, people):
    """The province with its agencies, 12 agency members and 5 in a commune, a report in each, the console."""
    result = await import_files(demo_roster, DEMO_AGENCIES, show_progress=False)
    assert not result.problems
    await add_members(demo_roster, 12, under="CQ", first_external=1000)
    await add_members(demo_roster, 5, under="21409-02", first_external=9000)
    await file_report(demo_roster, "CQ-SYT", 40)
    await file_report(demo_roster, "21409-02", 7)
    app = web.Application()
    mount(app, create_console(demo_roster, console_settings(), clock, Outbox(demo_roster, {}, clock)))
    return app


async def test_the_composer_offers_the_agencies_and_the_rollup_switch_adds_them(browser, demo_roster, console):
    async with serve(console) as base:
        context, page = await signed_in(browser, base, await link_for(demo_roster, "admin"), locale="vi-VN")
        assert (await page.goto(base + "/admin/")).ok  # the home page copes with the agency branch

        await page.goto(base + "/admin/broadcasts/new")
        places, offered = await page.inner_text("#unit-tree"), await page.inner_text("#agency-tree")
        assert "Sở Y tế" in offered and "VNPT Quảng Ngãi" in offered and "Huyện Mộ Đức" in places
        assert "Sở Y tế" not in places and "Huyện Mộ Đức" not in offered
        await until(page, "#count-members", lambda text: text not in ("", "0"))
        await page.check("#agency-tree input[value=CQ]")
        await until(page, "#count-members", lambda text: text == "12")
        await page.uncheck("#agency-tree input[value=CQ]")
        await page.check("#agency-tree input[value=CQ-SYT]")
        await until(page, "#count-members", lambda text: text == "1")
        await shoot(page, SHOTS, "composer-agencies")

        await page.goto(base + ROLLUP)
        rows, total = await table(page)
        assert "Cơ quan, tổ chức cấp tỉnh" not in [row[0] for row in rows]
        assert total[1].startswith("1/") and "Cơ quan, tổ chức cấp tỉnh" in await page.inner_text("#rollup-agencies")
        await shoot(page, SHOTS, "rollup-territory")
        await page.check("#with-agencies")
        await page.click(".rollup-filters button.primary")
        await page.wait_for_url("**agencies=1**")
        rows, total = await table(page)
        assert "Cơ quan, tổ chức cấp tỉnh" in [row[0] for row in rows] and total[1].startswith("2/")
        assert await page.query_selector("#rollup-agencies") is None
        await shoot(page, SHOTS, "rollup-with-agencies")
        await page.click("#rollup tr[data-code='CQ'] th a")
        await page.wait_for_url("**unit=CQ**")
        rows, total = await table(page)
        assert "Sở Y tế" in [row[0] for row in rows] and total[1] == "1/28"
        await shoot(page, SHOTS, "rollup-agency-group")
        await context.close()
