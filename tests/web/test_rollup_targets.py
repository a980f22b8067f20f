"""The roll-up page shows, for every unit row, the percentage of the year's targets on the unit's base figures,
and "chưa có số liệu nền" (not 0 %) for a unit without one."""

import re
from datetime import UTC, date, datetime
from html import unescape

from bot.services import bases
from tests.web.conftest import add_member, sign_in
from tests.web.test_rollup import add_report


def target_row(page: str, code: str) -> list[str]:
    section = page[page.index('id="rollup-targets"'):]
    found = re.search(rf'<tr class="[^"]*" data-code="{code}">(.*?)</tr>', section, re.S).group(1)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                                         found, re.S)]


async def test_percentages_of_the_target_per_row_and_no_base_where_none(client, demo_roster, people):
    async with demo_roster.session() as session:
        figures, _ = bases.parse_csv("code,population,households\n21409-01,100,40\n21409-03,200,\n")
        await bases.import_bases(session, figures, datetime(2026, 11, 1, tzinfo=UTC))
        await session.commit()
    author = await add_member(demo_roster, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    await add_report(demo_roster, "21409-01", author, date(2026, 11, 3), "results",
                     {"activated": 15, "dossiers": 2, "shops_listed": 0})
    await add_report(demo_roster, "21409-01", author, date(2026, 11, 4), "support", {"households": 2, "businesses": 0})
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/reports/rollup?period=2026-11")).text()
    assert "Tiến độ so với chỉ tiêu năm 2026" in page
    # 2026 targets: identity 25 % of people, dossiers 3 % of people, households supported 10 % of households
    assert target_row(page, "21409-01") == ["60,0% 15 / 25", "66,7% 2 / 3", "50,0% 2 / 4"]
    assert target_row(page, "21409-03") == ["0,0% 0 / 50", "0,0% 0 / 6", "chưa có số liệu nền"]
    assert target_row(page, "21409-02") == ["chưa có số liệu nền"] * 3
    assert target_row(page, "")[2] == "chưa có số liệu nền"  # the commune: not every village has a base
