"""The roll-up page in a real Chromium: totals add up, "no figures" is not 0, rows drill down, exports download,
another commune is refused; screenshots at 360 px and 1366 px land in var/screenshots/console/."""

import io

from aiohttp import web
from openpyxl import load_workbook

from bot.delivery.sender import Outbox
from bot.web.console import create_console, mount
from tests.browser import SCREENSHOTS, requires_chromium, serve, signed_in
from tests.browser import shoot as shoot_in
from tests.web.conftest import console_settings
from tests.web.test_home_browser import link_for
from tests.web.test_rollup import NO_FIGURES, commune_reports

pytestmark = requires_chromium
ROLLUP = "/admin/reports/rollup?period=2026-11"
SHOTS = SCREENSHOTS / "console"


def number(text: str) -> int | None:
    """'1.234' (Vietnamese) → 1234; "no figures" → None."""
    text = text.strip()
    return None if text == NO_FIGURES else int(text.replace(".", ""))


async def table(page) -> tuple[list[list[str]], list[str]]:
    """The body rows (without the total) and the total row, as the cells' texts."""
    rows = await page.eval_on_selector_all("#rollup tbody tr",
                                           "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
    return rows[:-1], rows[-1]



async def shoot(page, name: str) -> None:
    """The console's screenshots for people to look at: var/screenshots/console/<name>-<width>.png."""
    await shoot_in(page, SHOTS, name)

async def test_the_officer_reads_the_rollup_drills_down_and_downloads(browser, demo_roster, clock, people):
    await commune_reports(demo_roster)
    app = web.Application()
    mount(app, create_console(demo_roster, console_settings(), clock, Outbox(demo_roster, {}, clock)))
    async with serve(app) as base:
        context, page = await signed_in(browser, base, await link_for(demo_roster, "officer"), accept_downloads=True)
        await page.goto(base + ROLLUP)
        rows, total = await table(page)
        for column in range(3, len(total)):  # every figure column: the total is the sum of the rows
            assert number(total[column]) == sum(number(row[column]) or 0 for row in rows), column
        village2 = next(row for row in rows if row[0] == "Thôn 2")
        assert village2[3] == NO_FIGURES and "0" not in village2[3:]
        await shoot(page, "rollup-commune")

        async with page.expect_download() as waiting:
            await page.click("button[name=format][value=xlsx]")
            await page.click("#export-download")
        download = await waiting.value
        book = load_workbook(io.BytesIO(open(await download.path(), "rb").read()), read_only=True)
        sheet_total = list(book.worksheets[0].iter_rows(values_only=True))[-1]
        assert [v if isinstance(v, int) else None for v in sheet_total[5:]] == [number(c) for c in total[3:]]

        await page.goto(base + ROLLUP)
        await page.click("#rollup tr[data-code='21409-01'] td:nth-child(3)")  # anywhere on the row drills down
        await page.wait_for_url("**unit=21409-01**")
        assert "Thôn 1" in await page.inner_text("h1")
        await shoot(page, "rollup-village")
        await page.click(".crumbs a:text('Xã Đức Nhuận')")
        await page.wait_for_url("**unit=21409&**")

        assert (await page.goto(base + "/admin/reports/rollup?unit=21412")).status == 403
        await page.goto(base + ROLLUP)
        status = await page.evaluate("""async () => {
            const form = new FormData(document.querySelector('.export-buttons'));
            form.set('unit', '21412'); form.set('format', 'zip');
            return (await fetch('/admin/reports/exports', {method: 'POST', body: new URLSearchParams(form)})).status;
        }""")
        assert status == 403
        await context.close()
