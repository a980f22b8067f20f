"""The remap page and the roll-up's "tree as at" and "compare with" in a real Chromium: draft, download, preview,
apply with its live progress, then the 2024 and 2026 figures side by side; screenshots at 360 px and 1366 px."""

import os
from pathlib import Path

from aiohttp import web

from bot.delivery.sender import Outbox
from bot.web.console import create_console, mount
from tests.browser import requires_chromium, serve, shoot, signed_in
from tests.services.test_remap import AN_PHU, ROSTER_2025, SETTLED, seed
from tests.services.test_rollup_history import file_2026
from tests.web.conftest import console_settings
from tests.web.test_home_browser import link_for
from tests.web.test_rollup import NO_FIGURES

pytestmark = requires_chromium
SHOTS = Path(os.environ.get("CDSBOT_TEST_SHOTS", "/tmp/h-shots"))


async def remap_in_the_browser(page, base: str, tmp_path: Path) -> None:
    """Draft from the 2025 roster, download and settle the map, preview it, apply it and watch it finish."""
    await page.goto(base + "/admin/remap")
    await page.set_input_files("#roster-file", str(ROSTER_2025))
    await page.click("#remap-draft")
    assert "169" in await page.inner_text("#draft-matched")
    assert "Xã Thắng Lợi" in await page.inner_text("#problems")
    await shoot(page, SHOTS, "remap-draft", settle_ms=300)
    async with page.expect_download() as waiting:
        await page.click("#draft-download")
    settled = tmp_path / "map.csv"
    drafted = Path(await (await waiting.value).path()).read_text(encoding="utf-8")
    settled.write_text(drafted + "\n".join(SETTLED) + "\n", encoding="utf-8")
    await page.set_input_files("#map-file", str(settled))
    await page.fill("#effective", "2025-07-01")
    await page.click("#remap-preview")
    assert "186" in await page.inner_text("#count-retired") and "96" in await page.inner_text("#count-created")
    assert "Xã Nghĩa Hà" in await page.inner_text("#merged")
    await shoot(page, SHOTS, "remap-preview", settle_ms=300)
    await page.click("#remap-apply")
    await page.wait_for_selector("#remap-progress")  # the steps arrive as events; the page reloads at the end
    await page.wait_for_selector("#remap-done", timeout=60_000)
    await shoot(page, SHOTS, "remap-done", settle_ms=300)


async def test_an_admin_remaps_then_reads_2024_and_2026_side_by_side(browser, demo_roster, clock, people, tmp_path):
    async with demo_roster.session() as session:
        await seed(session)
    app = web.Application()
    mount(app, create_console(demo_roster, console_settings(), clock, Outbox(demo_roster, {}, clock)))
    async with serve(app) as base:
        context, page = await signed_in(browser, base, await link_for(demo_roster, "admin"), accept_downloads=True)
        await remap_in_the_browser(page, base, tmp_path)
        async with demo_roster.session() as session:
            await file_2026(session, AN_PHU, people=7, times=3)

        await page.goto(base + "/admin/reports/rollup?period=2026")
        await page.select_option("#compare", "2024")
        await page.click(".rollup-filters button.primary")
        await page.wait_for_url("**compare=2024**")
        an_phu = await page.eval_on_selector("#rollup-compare tr[data-code='21034']",
                                             "row => [...row.cells].map(c => c.innerText.trim())")
        assert an_phu[1] == "3" and an_phu[2] not in ("", NO_FIGURES) and an_phu[3].startswith("-")
        await shoot(page, SHOTS, "rollup-compare", settle_ms=300)

        await page.fill("#asat", "2024-12-31")
        await page.click(".rollup-filters button.primary")
        await page.wait_for_url("**asat=2024-12-31**")
        names = await page.eval_on_selector_all("#rollup tbody tr th", "cells => cells.map(c => c.innerText)")
        assert any(name.startswith("Huyện Tư Nghĩa") for name in names)
        assert any("Xã An Phú" in name and "không có trên cây" in name for name in names)  # formed later
        await shoot(page, SHOTS, "rollup-as-at", settle_ms=300)
